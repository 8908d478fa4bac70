#include "raft/read_only.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace craft {
namespace {

// Context tag distinguishing a sequence-number context from anything else
// a peer might echo back.
constexpr char kTag[] = "craft-ri";
constexpr size_t kTagSize = sizeof(kTag) - 1;

}  // namespace

ReadOnly::State& ReadOnly::MutableState() {
  if (state_ == nullptr) state_ = std::make_unique<State>();
  return *state_;
}

void ReadOnly::AddRequest(uint64_t seq, uint64_t index, Message req) {
  MutableState().pending.push_back(PendingRead{seq, index, std::move(req)});
}

std::vector<PendingRead> ReadOnly::RecvAck(uint64_t id, uint64_t seq,
                                           const quorum::JointConfig& voters) {
  State& state = MutableState();
  uint64_t& acked = state.acked[id];
  acked = std::max(acked, seq);
  // Requests are ordered by sequence; a quorum confirming one confirms all
  // older ones. Find the newest confirmed request.
  std::vector<PendingRead>& pending = state.pending;
  size_t confirmed = 0;
  for (size_t i = pending.size(); i > 0; --i) {
    const uint64_t want = pending[i - 1].seq;
    auto lookup = [&](uint64_t voter) -> std::optional<bool> {
      auto it = state.acked.find(voter);
      if (it != state.acked.end() && it->second >= want) return true;
      return std::nullopt;
    };
    if (voters.VoteResult(lookup) == quorum::kVoteWon) {
      confirmed = i;
      break;
    }
  }
  std::vector<PendingRead> out(
      std::make_move_iterator(pending.begin()),
      std::make_move_iterator(pending.begin() + confirmed));
  pending.erase(pending.begin(), pending.begin() + confirmed);
  return out;
}

std::optional<uint64_t> ReadOnly::LastPendingSeq() const {
  if (state_ == nullptr || state_->pending.empty()) return std::nullopt;
  return state_->pending.back().seq;
}

std::string ReadOnly::EncodeContext(uint64_t seq) {
  std::string ctx(kTag, kTagSize);
  for (int shift = 56; shift >= 0; shift -= 8) {
    ctx.push_back(static_cast<char>((seq >> shift) & 0xff));
  }
  return ctx;
}

std::optional<uint64_t> ReadOnly::DecodeContext(absl::string_view ctx) {
  if (ctx.size() != kTagSize + 8 || ctx.substr(0, kTagSize) != kTag) {
    return std::nullopt;
  }
  uint64_t seq = 0;
  for (size_t i = kTagSize; i < ctx.size(); ++i) {
    seq = (seq << 8) | static_cast<uint8_t>(ctx[i]);
  }
  return seq;
}

}  // namespace craft
