// LeaderLease decides when a leader may answer a read from its lease
// (ReadOnlyOption::kLeaseBased) instead of confirming its leadership with a
// heartbeat round.
//
// The lease rests on the followers' side of CheckQuorum: a follower that
// heard from its leader refuses to vote for anyone else (and does not
// campaign) for an election timeout of its own ticks after that. So once a
// quorum of voters has heard from the leader after leader tick T, no other
// leader can be elected before those followers' election timeouts run out:
// the leader may serve reads until tick T + lease_ticks, with lease_ticks a
// margin short of the election timeout for clocks that run at different
// rates. The lease is 3/4 of the election timeout: a leader's lease ends
// lease_ticks of its ticks after the evidence, while a follower grants no
// vote until election_tick of its own ticks (at least election_tick - 1
// tick periods) have passed since: with the default election tick of 10 (a
// lease of 7 ticks) the rates may differ by a factor of 9/7, each clock
// within about 12% of true time.
//
// The evidence must say when the follower heard from the leader, not when
// the leader heard back: a response may have been delayed, and the
// follower's timer started when it received the leader's message. So a
// heartbeat response counts from the tick its heartbeat was sent
// (heartbeats carry a sequence number in their context, echoed back), and
// an append acknowledgement from the tick the acknowledged entry was
// appended (the follower learned of it from a message sent after that).
//
// etcd-io/raft's lease instead lasts until the leader's next CheckQuorum
// finds no quorum active, up to two election timeouts after the followers
// last heard from it, while they may elect a new leader after one: its
// lease reads can be stale even with perfect clocks. The simulator found
// that; this is the fix. A leader that hands leadership over (MsgTimeoutNow
// makes a follower campaign at once, whatever it heard) gives up its lease
// for the rest of its term.

#ifndef CRAFT_RAFT_LEASE_H_
#define CRAFT_RAFT_LEASE_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "craft/quorum/joint.h"

namespace craft {

class LeaderLease {
 public:
  explicit LeaderLease(int lease_ticks) : lease_ticks_(lease_ticks) {}

  // Starts a new term of leadership, with no evidence yet.
  void Reset();
  // One leader tick passed.
  void Tick();
  // The leader appended entries starting at `first_index`, now.
  void Appended(uint64_t first_index);
  // The leader sent heartbeats carrying sequence `seq`, now.
  void HeartbeatSent(uint64_t seq);
  // `id` acknowledged the leader's log up to `index` (an entry of this
  // term, or nothing is learned), or echoed heartbeat sequence `seq`.
  void AckedEntries(uint64_t id, uint64_t index);
  void AckedHeartbeat(uint64_t id, uint64_t seq);
  // The leader asked a follower to campaign: no lease until the next term.
  void Revoke() { revoked_ = true; }

  // Whether a quorum of `voters` heard from `self` recently enough.
  bool Valid(const quorum::JointConfig& voters, uint64_t self) const;

 private:
  void Heard(uint64_t id, uint64_t tick);
  void Prune();

  const int lease_ticks_;
  // Leader ticks, from 1; 0 means "never".
  uint64_t now_ = 1;
  bool revoked_ = false;
  // (first index appended, tick) and (heartbeat sequence, tick), both
  // increasing; only what can still make a lease is kept.
  // (Vectors, not deques: a deque allocates on construction, and every
  // node has a lease, leading or not; these stay a few records long.)
  std::vector<std::pair<uint64_t, uint64_t>> appends_;
  std::vector<std::pair<uint64_t, uint64_t>> beats_;
  // The latest tick each follower is known to have heard from the leader.
  absl::flat_hash_map<uint64_t, uint64_t> heard_;
};

}  // namespace craft

#endif  // CRAFT_RAFT_LEASE_H_
