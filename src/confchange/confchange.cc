#include "craft/confchange/confchange.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace craft::confchange {
namespace {

using tracker::Inflights;
using tracker::Progress;
using tracker::ProgressMap;
using tracker::TrackerConfig;

// The state a change works on: a copy of the tracker's, so that an error
// leaves the tracker untouched.
struct Working {
  TrackerConfig cfg;
  ProgressMap progress;
};

// CheckInvariants verifies that a configuration and its progress map agree.
// It runs on the tracker's state before a change and on the result after.
// The empty configuration is valid: it is where bootstrap starts from.
absl::Status CheckInvariants(const TrackerConfig& cfg,
                             const ProgressMap& progress) {
  auto missing = [&progress](uint64_t id) -> absl::Status {
    if (progress.contains(id)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat("no progress for ", id));
  };
  for (uint64_t id : cfg.voters.Ids()) {
    if (absl::Status s = missing(id); !s.ok()) return s;
  }
  for (uint64_t id : cfg.learners) {
    if (absl::Status s = missing(id); !s.ok()) return s;
  }
  for (uint64_t id : cfg.learners_next) {
    if (absl::Status s = missing(id); !s.ok()) return s;
  }
  // A staged learner is one that still votes in the outgoing half.
  for (uint64_t id : cfg.learners_next) {
    if (!cfg.voters.outgoing().Contains(id)) {
      return absl::FailedPreconditionError(
          absl::StrCat(id, " is in LearnersNext, but not Voters[1]"));
    }
    if (progress.at(id).is_learner()) {
      return absl::FailedPreconditionError(absl::StrCat(
          id, " is in LearnersNext, but is already marked as learner"));
    }
  }
  // Learners and voters never overlap.
  for (uint64_t id : cfg.learners) {
    if (cfg.voters.outgoing().Contains(id)) {
      return absl::FailedPreconditionError(
          absl::StrCat(id, " is in Learners and Voters[1]"));
    }
    if (cfg.voters.incoming().Contains(id)) {
      return absl::FailedPreconditionError(
          absl::StrCat(id, " is in Learners and Voters[0]"));
    }
    if (!progress.at(id).is_learner()) {
      return absl::FailedPreconditionError(
          absl::StrCat(id, " is in Learners, but is not marked as learner"));
    }
  }
  if (!cfg.voters.IsJoint()) {
    if (!cfg.learners_next.empty()) {
      return absl::FailedPreconditionError(
          "cfg.LearnersNext must be nil when not joint");
    }
    if (cfg.auto_leave) {
      return absl::FailedPreconditionError(
          "AutoLeave must be false when not joint");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ChangeResult> CheckAndReturn(Working w) {
  if (absl::Status s = CheckInvariants(w.cfg, w.progress); !s.ok()) return s;
  return ChangeResult{std::move(w.cfg), std::move(w.progress)};
}

// Applies changes to a working copy; the rules of each change type are
// those of etcd-io/raft's confchange package.
class Applier {
 public:
  Applier(const tracker::ProgressTracker& trk, uint64_t last_index, Working* w)
      : trk_(trk), last_index_(last_index), w_(*w) {}

  template <typename Changes>
  absl::Status Apply(const Changes& changes) {
    for (const raftpb::ConfChangeSingle& cc : changes) {
      // Node 0 marks a change the application decided not to carry out.
      if (cc.node_id() == 0) continue;
      // The storage threads' pseudo-ids are addresses within a node: as
      // members, messages for them would be routed to those threads.
      if (IsReservedNodeId(cc.node_id())) {
        return absl::InvalidArgumentError(
            absl::StrCat("node id ", cc.node_id(), " is reserved"));
      }
      switch (cc.type()) {
        case raftpb::ConfChangeAddNode:
          MakeVoter(cc.node_id());
          break;
        case raftpb::ConfChangeAddLearnerNode:
          MakeLearner(cc.node_id());
          break;
        case raftpb::ConfChangeRemoveNode:
          Remove(cc.node_id(), /*keep_progress=*/false);
          break;
        case raftpb::ConfChangeUpdateNode:
          break;
        default:
          return absl::InvalidArgumentError(absl::StrCat(
              "unexpected conf type ", static_cast<int>(cc.type())));
      }
    }
    if (w_.cfg.voters.incoming().empty()) {
      return absl::InvalidArgumentError("removed all voters");
    }
    return absl::OkStatus();
  }

 private:
  // MakeVoter adds `id` as an incoming voter, promoting it if it is a
  // learner (staged or not).
  void MakeVoter(uint64_t id) {
    auto it = w_.progress.find(id);
    if (it == w_.progress.end()) {
      AddProgress(id, /*is_learner=*/false);
      return;
    }
    it->second.set_is_learner(false);
    w_.cfg.learners.erase(id);
    w_.cfg.learners_next.erase(id);
    w_.cfg.voters.mutable_incoming()->Insert(id);
  }

  // MakeLearner adds `id` as a learner, demoting it if it is a voter. A
  // voter of the outgoing half cannot be a learner yet: it is staged in
  // learners_next until the joint configuration is left.
  void MakeLearner(uint64_t id) {
    auto it = w_.progress.find(id);
    if (it == w_.progress.end()) {
      AddProgress(id, /*is_learner=*/true);
      return;
    }
    if (it->second.is_learner()) return;
    Remove(id, /*keep_progress=*/true);
    if (w_.cfg.voters.outgoing().Contains(id)) {
      w_.cfg.learners_next.insert(id);
    } else {
      w_.progress.at(id).set_is_learner(true);
      w_.cfg.learners.insert(id);
    }
  }

  // Remove takes `id` out of the incoming voters and the learners. Its
  // progress stays while it still votes in the outgoing half (or when the
  // caller keeps it).
  void Remove(uint64_t id, bool keep_progress) {
    if (!w_.progress.contains(id)) return;
    w_.cfg.voters.mutable_incoming()->Erase(id);
    w_.cfg.learners.erase(id);
    w_.cfg.learners_next.erase(id);
    if (!keep_progress && !w_.cfg.voters.outgoing().Contains(id)) {
      w_.progress.erase(id);
    }
  }

  void AddProgress(uint64_t id, bool is_learner) {
    if (is_learner) {
      w_.cfg.learners.insert(id);
    } else {
      w_.cfg.voters.mutable_incoming()->Insert(id);
    }
    // A new member is probed from the leader's last index, and counts as
    // active so that a quorum check right after the change does not make
    // the leader step down before the member could answer.
    Progress pr(/*match=*/0, /*next=*/std::max<uint64_t>(last_index_, 1),
                Inflights(trk_.max_inflight(), trk_.max_inflight_bytes()),
                is_learner);
    pr.set_recent_active(true);
    w_.progress.insert_or_assign(id, std::move(pr));
  }

  const tracker::ProgressTracker& trk_;
  uint64_t last_index_;
  Working& w_;
};

// CheckAndCopy validates the tracker's state and returns a working copy.
absl::StatusOr<Working> CheckAndCopy(const tracker::ProgressTracker& trk) {
  if (absl::Status s = CheckInvariants(trk.config(), trk.progress()); !s.ok()) {
    return s;
  }
  return Working{trk.config(), trk.progress()};
}

// The number of ids in exactly one of `a` and `b`.
size_t SymmetricDifference(const quorum::MajorityConfig& a,
                           const quorum::MajorityConfig& b) {
  size_t n = 0;
  for (uint64_t id : a) n += b.Contains(id) ? 0 : 1;
  for (uint64_t id : b) n += a.Contains(id) ? 0 : 1;
  return n;
}

template <typename Changes>
absl::StatusOr<ChangeResult> EnterJointImpl(const tracker::ProgressTracker& trk,
                                            uint64_t last_index,
                                            bool auto_leave,
                                            const Changes& changes) {
  absl::StatusOr<Working> w = CheckAndCopy(trk);
  if (!w.ok()) return w.status();
  if (w->cfg.voters.IsJoint()) {
    return absl::FailedPreconditionError("config is already joint");
  }
  if (w->cfg.voters.incoming().empty()) {
    // An empty configuration may grow by simple changes (bootstrap), but
    // there is nothing to make joint.
    return absl::FailedPreconditionError(
        "can't make a zero-voter config joint");
  }
  *w->cfg.voters.mutable_outgoing() = w->cfg.voters.incoming();
  if (absl::Status s = Applier(trk, last_index, &*w).Apply(changes); !s.ok()) {
    return s;
  }
  w->cfg.auto_leave = auto_leave;
  return CheckAndReturn(*std::move(w));
}

template <typename Changes>
absl::StatusOr<ChangeResult> SimpleImpl(const tracker::ProgressTracker& trk,
                                        uint64_t last_index,
                                        const Changes& changes) {
  absl::StatusOr<Working> w = CheckAndCopy(trk);
  if (!w.ok()) return w.status();
  if (w->cfg.voters.IsJoint()) {
    return absl::FailedPreconditionError(
        "can't apply simple config change in joint config");
  }
  if (absl::Status s = Applier(trk, last_index, &*w).Apply(changes); !s.ok()) {
    return s;
  }
  if (SymmetricDifference(trk.config().voters.incoming(),
                          w->cfg.voters.incoming()) > 1) {
    return absl::InvalidArgumentError(
        "more than one voter changed without entering joint config");
  }
  return CheckAndReturn(*std::move(w));
}

}  // namespace

absl::StatusOr<ChangeResult> Changer::EnterJoint(
    bool auto_leave, absl::Span<const raftpb::ConfChangeSingle> changes) const {
  return EnterJointImpl(*tracker_, last_index_, auto_leave, changes);
}

absl::StatusOr<ChangeResult> Changer::EnterJoint(
    bool auto_leave,
    const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>& changes)
    const {
  return EnterJointImpl(*tracker_, last_index_, auto_leave, changes);
}

absl::StatusOr<ChangeResult> Changer::Simple(
    absl::Span<const raftpb::ConfChangeSingle> changes) const {
  return SimpleImpl(*tracker_, last_index_, changes);
}

absl::StatusOr<ChangeResult> Changer::Simple(
    const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>& changes)
    const {
  return SimpleImpl(*tracker_, last_index_, changes);
}

absl::StatusOr<ChangeResult> Changer::LeaveJoint() const {
  absl::StatusOr<Working> w = CheckAndCopy(*tracker_);
  if (!w.ok()) return w.status();
  if (!w->cfg.voters.IsJoint()) {
    return absl::FailedPreconditionError("can't leave a non-joint config");
  }
  for (uint64_t id : w->cfg.learners_next) {
    w->cfg.learners.insert(id);
    // Present: the invariants were checked above.
    w->progress.at(id).set_is_learner(true);
  }
  w->cfg.learners_next.clear();
  for (uint64_t id : w->cfg.voters.outgoing()) {
    if (!w->cfg.voters.incoming().Contains(id) &&
        !w->cfg.learners.contains(id)) {
      w->progress.erase(id);
    }
  }
  w->cfg.voters.mutable_outgoing()->Clear();
  w->cfg.auto_leave = false;
  return CheckAndReturn(*std::move(w));
}

}  // namespace craft::confchange
