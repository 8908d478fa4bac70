// Changer: applies configuration changes to a tracker's configuration,
// validating them first, and Restore: rebuilds a configuration from a
// ConfState.

#ifndef CRAFT_CONFCHANGE_CONFCHANGE_H_
#define CRAFT_CONFCHANGE_CONFCHANGE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "craft/raftpb.h"
#include "craft/tracker/progress.h"
#include "craft/tracker/tracker.h"

namespace craft::confchange {

// A configuration and the progress map that goes with it: what the tracker
// looks like after a change.
struct ChangeResult {
  tracker::TrackerConfig config;
  tracker::ProgressMap progress;
};

// Changer computes the configuration that results from a change to a
// tracker's current one. It never modifies the tracker: on success the
// caller installs the result (ProgressTracker::SetConfig); on error (an
// invalid change, or a tracker whose state breaks the configuration
// invariants) nothing has changed.
//
// Changes apply in order to the incoming voters; a change for node 0 is
// ignored. Progress created for a new member starts probing at
// max(last_index, 1).
class Changer {
 public:
  // `tracker` must outlive the Changer.
  Changer(const tracker::ProgressTracker& tracker, uint64_t last_index)
      : tracker_(&tracker), last_index_(last_index) {}

  // EnterJoint copies the incoming voters into the outgoing half, then
  // applies `changes` to the incoming half. Fails if the configuration is
  // already joint or has no voters.
  absl::StatusOr<ChangeResult> EnterJoint(
      bool auto_leave,
      absl::Span<const raftpb::ConfChangeSingle> changes) const;
  absl::StatusOr<ChangeResult> EnterJoint(
      bool auto_leave,
      const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>&
          changes) const;

  // LeaveJoint drops the outgoing half: staged learners (learners_next)
  // become learners, and members only in the outgoing half lose their
  // progress. Fails if the configuration is not joint.
  absl::StatusOr<ChangeResult> LeaveJoint() const;

  // Simple applies `changes` directly, which is allowed only if they change
  // at most one voter (counting additions and removals) and the
  // configuration is not joint.
  absl::StatusOr<ChangeResult> Simple(
      absl::Span<const raftpb::ConfChangeSingle> changes) const;
  absl::StatusOr<ChangeResult> Simple(
      const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>&
          changes) const;

  const tracker::ProgressTracker& tracker() const { return *tracker_; }
  uint64_t last_index() const { return last_index_; }

 private:
  const tracker::ProgressTracker* tracker_;
  uint64_t last_index_;
};

// Restore builds the configuration described by `cs` on top of the
// changer's tracker, which normally has an empty configuration: a plain
// configuration is built one simple change at a time; a joint one by first
// building the outgoing voters, then entering the joint configuration with
// the incoming voters, learners and staged learners.
absl::StatusOr<ChangeResult> Restore(const Changer& changer,
                                     const raftpb::ConfState& cs);

}  // namespace craft::confchange

#endif  // CRAFT_CONFCHANGE_CONFCHANGE_H_
