// ProgressTracker: the active configuration, the leader's progress for
// every member, and the votes of the current election.

#ifndef CRAFT_TRACKER_TRACKER_H_
#define CRAFT_TRACKER_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "craft/quorum/joint.h"
#include "craft/quorum/quorum.h"
#include "craft/raftpb.h"
#include "craft/tracker/id_set.h"
#include "craft/tracker/progress.h"

namespace craft::tracker {

// The membership of a group.
//
// Invariants (maintained by confchange): learners and voters (either half)
// are disjoint; learners_next is a subset of the outgoing voters; outside a
// joint configuration learners_next is empty and auto_leave is false.
//
// (64 bytes: the parts that are empty outside of joint configurations and
// learners take a pointer each.)
struct TrackerConfig {
  quorum::JointConfig voters;
  // Members that receive the log but do not vote.
  IdSet learners;
  // Voters of the outgoing half that the change demotes: they cannot be
  // learners while still voting in the outgoing half, so they become
  // learners when the joint configuration is left.
  IdSet learners_next;
  // In a joint configuration: whether raft leaves it on its own as soon as
  // possible, rather than waiting for the application to propose the leave.
  bool auto_leave = false;

  // "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(3) autoleave"; each
  // part after the voters only when non-empty (or true).
  std::string String() const;

  friend bool operator==(const TrackerConfig&, const TrackerConfig&) = default;
};

// The outcome of counting votes.
struct VoteTally {
  // Votes granted and rejected by voters with a (non-learner) progress.
  size_t granted = 0;
  size_t rejected = 0;
  quorum::VoteResult result = quorum::kVotePending;
};

class ProgressTracker {
 public:
  // `max_inflight` and `max_inflight_bytes` (0 = no byte limit) size the
  // in-flight window of every progress created for this tracker.
  ProgressTracker(size_t max_inflight, uint64_t max_inflight_bytes)
      : max_inflight_(static_cast<uint32_t>(max_inflight)),
        max_inflight_bytes_(max_inflight_bytes) {}
  ProgressTracker(const ProgressTracker& other);
  ProgressTracker& operator=(const ProgressTracker& other);
  ProgressTracker(ProgressTracker&&) noexcept = default;
  ProgressTracker& operator=(ProgressTracker&&) noexcept = default;

  const TrackerConfig& config() const { return config_; }
  const ProgressMap& progress() const { return progress_; }
  ProgressMap* mutable_progress() { return &progress_; }
  // The progress of `id`, or nullptr if it is not a member.
  Progress* GetProgress(uint64_t id);
  const Progress* GetProgress(uint64_t id) const;

  // SetConfig installs a configuration with the matching progress map (as
  // computed by confchange).
  void SetConfig(TrackerConfig config, ProgressMap progress);

  // The active configuration as a ConfState (ids ascending).
  raftpb::ConfState ConfState() const;

  // Whether the only voter is a single, non-joint one.
  bool IsSingleton() const {
    return config_.voters.incoming().size() == 1 &&
           config_.voters.outgoing().empty();
  }

  // The largest index acknowledged (progress match) by a quorum of voters.
  // Does not allocate for up to seven voters per half.
  uint64_t Committed() const;

  // Visit calls `fn` for every progress in ascending id order.
  void Visit(absl::FunctionRef<void(uint64_t id, Progress& pr)> fn);
  void Visit(absl::FunctionRef<void(uint64_t id, const Progress& pr)> fn) const;

  // Whether a quorum of voters is recently active.
  bool QuorumActive() const;

  // The voters of both halves, ascending.
  std::vector<uint64_t> VoterNodes() const;
  // The learners, ascending.
  std::vector<uint64_t> LearnerNodes() const;

  // ResetVotes starts a new election.
  void ResetVotes() { votes_.reset(); }
  // RecordVote records `id`'s vote; only its first vote counts.
  void RecordVote(uint64_t id, bool granted);
  // TallyVotes counts the votes and the election's outcome.
  VoteTally TallyVotes() const;
  const quorum::VoteMap& votes() const;

  size_t max_inflight() const { return max_inflight_; }
  uint64_t max_inflight_bytes() const { return max_inflight_bytes_; }

 private:
  // [[no_unique_address]] lets max_inflight_ take the padding at the end of
  // config_: 8 bytes less for every group.
  [[no_unique_address]] TrackerConfig config_;
  uint32_t max_inflight_;  // as Config::max_inflight_msgs (an int)
  ProgressMap progress_;
  // Null outside elections: a table only while votes are counted.
  std::unique_ptr<quorum::VoteMap> votes_;
  uint64_t max_inflight_bytes_;
};

}  // namespace craft::tracker

#endif  // CRAFT_TRACKER_TRACKER_H_
