#include "craft/quorum/joint.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace craft::quorum {

JointConfig::JointConfig(MajorityConfig incoming, MajorityConfig outgoing)
    : incoming_(std::move(incoming)) {
  if (!outgoing.empty()) {
    outgoing_ = std::make_unique<MajorityConfig>(std::move(outgoing));
  }
}

JointConfig::JointConfig(const JointConfig& other)
    : incoming_(other.incoming_) {
  if (other.IsJoint())
    outgoing_ = std::make_unique<MajorityConfig>(*other.outgoing_);
}

JointConfig& JointConfig::operator=(const JointConfig& other) {
  if (this != &other) *this = JointConfig(other);
  return *this;
}

const MajorityConfig& JointConfig::Empty() {
  static const MajorityConfig* const empty = new MajorityConfig();
  return *empty;
}

MajorityConfig* JointConfig::mutable_outgoing() {
  if (!outgoing_) outgoing_ = std::make_unique<MajorityConfig>();
  return outgoing_.get();
}

MajorityConfig JointConfig::Ids() const {
  MajorityConfig ids = incoming_;
  for (uint64_t id : outgoing()) ids.Insert(id);
  return ids;
}

std::string JointConfig::String() const {
  if (!IsJoint()) return incoming_.String();
  return absl::StrCat(incoming_.String(), "&&", outgoing_->String());
}

std::string JointConfig::Describe(AckedIndexer acked) const {
  return Ids().Describe(acked);
}

uint64_t JointConfig::CommittedIndex(AckedIndexer acked) const {
  const uint64_t in = incoming_.CommittedIndex(acked);
  return outgoing_ ? std::min(in, outgoing_->CommittedIndex(acked)) : in;
}

VoteResult JointConfig::VoteResult(VoteLookup votes) const {
  const quorum::VoteResult in = incoming_.VoteResult(votes);
  // An empty half wins every vote (see MajorityConfig::VoteResult).
  const quorum::VoteResult out =
      outgoing_ ? outgoing_->VoteResult(votes) : kVoteWon;
  if (in == out) return in;
  if (in == kVoteLost || out == kVoteLost) return kVoteLost;
  // One half won, the other is still open.
  return kVotePending;
}

VoteResult JointConfig::VoteResult(const VoteMap& votes) const {
  return VoteResult([&votes](uint64_t id) -> std::optional<bool> {
    auto it = votes.find(id);
    if (it == votes.end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace craft::quorum
