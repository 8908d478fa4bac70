#include "raft/lease.h"

#include <algorithm>
#include <optional>

namespace craft {
namespace {

// The tick recorded for `key` in `log`, a sequence of (key, tick) pairs
// with increasing keys: that of the last pair whose key is at most `key`.
// Nothing if `key` precedes every pair.
std::optional<uint64_t> TickOf(
    const std::vector<std::pair<uint64_t, uint64_t>>& log, uint64_t key) {
  auto it =
      std::upper_bound(log.begin(), log.end(), key,
                       [](uint64_t k, const std::pair<uint64_t, uint64_t>& p) {
                         return k < p.first;
                       });
  if (it == log.begin()) return std::nullopt;
  return std::prev(it)->second;
}

}  // namespace

void LeaderLease::Reset() {
  now_ = 1;
  revoked_ = false;
  appends_.clear();
  beats_.clear();
  heard_.clear();
}

void LeaderLease::Tick() {
  ++now_;
  Prune();
}

void LeaderLease::Prune() {
  // Evidence from before now - lease_ticks can no longer make a lease; keep
  // the newest such record, which still bounds the keys after it.
  const uint64_t horizon =
      now_ > static_cast<uint64_t>(lease_ticks_) ? now_ - lease_ticks_ : 0;
  auto prune = [horizon](std::vector<std::pair<uint64_t, uint64_t>>& log) {
    size_t drop = 0;
    while (log.size() - drop > 1 && log[drop + 1].second < horizon) ++drop;
    log.erase(log.begin(), log.begin() + static_cast<ptrdiff_t>(drop));
  };
  prune(appends_);
  prune(beats_);
}

void LeaderLease::Appended(uint64_t first_index) {
  if (!appends_.empty() && appends_.back().second == now_) return;
  appends_.emplace_back(first_index, now_);
}

void LeaderLease::HeartbeatSent(uint64_t seq) {
  beats_.emplace_back(seq, now_);
}

void LeaderLease::Heard(uint64_t id, uint64_t tick) {
  uint64_t& h = heard_[id];
  h = std::max(h, tick);
}

void LeaderLease::AckedEntries(uint64_t id, uint64_t index) {
  if (std::optional<uint64_t> t = TickOf(appends_, index)) Heard(id, *t);
}

void LeaderLease::AckedHeartbeat(uint64_t id, uint64_t seq) {
  // Sequence numbers are shared with the read confirmations, so an echoed
  // one may be older than this lease's first heartbeat: nothing then.
  if (std::optional<uint64_t> t = TickOf(beats_, seq)) Heard(id, *t);
}

bool LeaderLease::Valid(const quorum::JointConfig& voters,
                        uint64_t self) const {
  if (revoked_) return false;
  // The latest tick by which a quorum had heard from the leader (the
  // leader hears itself now).
  const uint64_t quorum_tick =
      voters.CommittedIndex([&](uint64_t id) -> std::optional<uint64_t> {
        if (id == self) return now_;
        auto it = heard_.find(id);
        if (it == heard_.end()) return std::nullopt;
        return it->second;
      });
  if (quorum_tick == 0) return false;
  // (An empty majority "commits" everything; the leader's own ticks bound
  // what it may claim.)
  return now_ < std::min(quorum_tick, now_) + lease_ticks_;
}

}  // namespace craft
