// Progress: what a leader knows about one follower's log, and the flow
// control that decides when to send it more.

#ifndef CRAFT_TRACKER_PROGRESS_H_
#define CRAFT_TRACKER_PROGRESS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "craft/tracker/inflights.h"

namespace craft::tracker {

// How the leader replicates to a follower.
enum class ProgressState : uint8_t {
  // The follower's log position is unknown: send at most one append per
  // heartbeat interval and learn from the answer.
  kProbe = 0,
  // The follower is known to be in sync: stream appends optimistically,
  // limited by the in-flight window.
  kReplicate = 1,
  // The follower needs a snapshot; no appends are sent until it is applied.
  kSnapshot = 2,
};

// "StateProbe", "StateReplicate" or "StateSnapshot".
absl::string_view ProgressStateName(ProgressState s);

// The leader's view of one follower (or learner).
//
// Invariants: match < next; in kSnapshot, next == pending_snapshot + 1; the
// highest commit index sent is below next unless a rejection regressed next.
class Progress {
 public:
  Progress(uint64_t match, uint64_t next, Inflights inflights,
           bool is_learner = false)
      : match_(match),
        next_(next),
        inflights_(std::move(inflights)),
        is_learner_(is_learner) {}

  // ResetState enters `state`, clearing the pause flag, the pending
  // snapshot and the in-flight window.
  void ResetState(ProgressState state);

  // BecomeProbe starts probing from match + 1, or right after the pending
  // snapshot when leaving kSnapshot (the snapshot was delivered).
  void BecomeProbe();
  // BecomeReplicate starts streaming from match + 1.
  void BecomeReplicate();
  // BecomeSnapshot waits for a snapshot at `snapshot_index` to be applied.
  void BecomeSnapshot(uint64_t snapshot_index);

  // SentEntries records an append of `count` entries starting at next,
  // carrying `bytes` payload bytes. In kReplicate it advances next, fills
  // the window and pauses when the window is full; in kProbe a non-empty
  // append pauses the flow until the next heartbeat response. Ignored in
  // kSnapshot, where no appends are sent.
  void SentEntries(size_t count, uint64_t bytes);

  // CanBumpCommit: sending commit index `index` could still advance the
  // follower's commit index (followers never commit beyond next - 1).
  bool CanBumpCommit(uint64_t index) const {
    return index > sent_commit_ && sent_commit_ < next_ - 1;
  }
  // SentCommit records that commit index `commit` was sent.
  void SentCommit(uint64_t commit) { sent_commit_ = commit; }

  // MaybeUpdate handles an acknowledgement of index `n`. It returns false,
  // changing nothing, if the acknowledgement is stale (n <= match).
  bool MaybeUpdate(uint64_t n);

  // MaybeDecrTo handles a rejection of the append at index `rejected`, with
  // the follower's hint of its last possibly matching index. It returns
  // false, changing nothing, for a stale rejection; otherwise it lowers next
  // (to match + 1 in kReplicate; towards the hint in kProbe) and unpauses.
  bool MaybeDecrTo(uint64_t rejected, uint64_t match_hint);

  // IsPaused: appends to this follower are throttled (always in kSnapshot;
  // otherwise while the flow is paused).
  bool IsPaused() const;

  // "StateReplicate match=17 next=21 paused inflight=4[full]": the state,
  // match and next, then learner, paused, pendingSnap=<n>, inactive and
  // inflight=<n>[full] where they apply.
  std::string String() const;

  uint64_t match() const { return match_; }
  void set_match(uint64_t match) { match_ = match; }
  uint64_t next() const { return next_; }
  void set_next(uint64_t next) { next_ = next; }
  uint64_t sent_commit() const { return sent_commit_; }
  ProgressState state() const { return state_; }
  uint64_t pending_snapshot() const { return pending_snapshot_; }
  // Forgets the snapshot in flight (it failed), so that BecomeProbe probes
  // from the match index rather than from the snapshot's.
  void clear_pending_snapshot() { pending_snapshot_ = 0; }
  // Whether the follower was heard from recently (reset by the leader every
  // election timeout when it checks quorum).
  bool recent_active() const { return recent_active_; }
  void set_recent_active(bool active) { recent_active_ = active; }
  // Whether the append flow is throttled: set when a probe is sent or the
  // window fills, cleared by a heartbeat response or an acknowledgement.
  bool msg_app_flow_paused() const { return msg_app_flow_paused_; }
  void set_msg_app_flow_paused(bool paused) { msg_app_flow_paused_ = paused; }
  const Inflights& inflights() const { return inflights_; }
  Inflights* mutable_inflights() { return &inflights_; }
  bool is_learner() const { return is_learner_; }
  void set_is_learner(bool is_learner) { is_learner_ = is_learner; }

 private:
  // (Ordered to pack: every member of every group has one.)
  uint64_t match_;
  uint64_t next_;
  uint64_t sent_commit_ = 0;
  uint64_t pending_snapshot_ = 0;
  Inflights inflights_;
  ProgressState state_ = ProgressState::kProbe;
  bool recent_active_ = false;
  bool msg_app_flow_paused_ = false;
  bool is_learner_;
};

// Progress by node id, iterated in ascending id order: a sorted vector, as
// a configuration has a handful of members and the leader looks one up for
// every message (a tree's search and pointer chasing cost more).
class ProgressMap {
 public:
  using value_type = std::pair<uint64_t, Progress>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  iterator find(uint64_t id) {
    iterator it = LowerBound(id);
    return it != items_.end() && it->first == id ? it : items_.end();
  }
  const_iterator find(uint64_t id) const {
    return const_cast<ProgressMap*>(this)->find(id);
  }
  bool contains(uint64_t id) const { return find(id) != end(); }
  // The progress of `id`; like std::map::at, throws std::out_of_range if it
  // is absent (craft itself looks up only ids it knows are present).
  Progress& at(uint64_t id) {
    iterator it = find(id);
    if (it == items_.end()) throw std::out_of_range("no progress for id");
    return it->second;
  }
  const Progress& at(uint64_t id) const {
    return const_cast<ProgressMap*>(this)->at(id);
  }

  void insert_or_assign(uint64_t id, Progress pr) {
    iterator it = LowerBound(id);
    if (it != items_.end() && it->first == id) {
      it->second = std::move(pr);
    } else {
      items_.emplace(it, id, std::move(pr));
    }
  }
  // Removes `id`; returns how many were removed (0 or 1).
  size_t erase(uint64_t id) {
    iterator it = find(id);
    if (it == items_.end()) return 0;
    items_.erase(it);
    return 1;
  }

 private:
  iterator LowerBound(uint64_t id) {
    return std::lower_bound(
        items_.begin(), items_.end(), id,
        [](const value_type& v, uint64_t key) { return v.first < key; });
  }

  std::vector<value_type> items_;
};

// One line per id in ascending order: "<id>: <Progress::String()>\n".
std::string ProgressMapString(const ProgressMap& progress);

}  // namespace craft::tracker

#endif  // CRAFT_TRACKER_PROGRESS_H_
