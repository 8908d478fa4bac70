// Restore: rebuilding a configuration from a ConfState.

#include <vector>

#include "absl/status/status.h"
#include "craft/confchange/confchange.h"

namespace craft::confchange {
namespace {

raftpb::ConfChangeSingle Change(raftpb::ConfChangeType type, uint64_t id) {
  raftpb::ConfChangeSingle cc;
  cc.set_type(type);
  cc.set_node_id(id);
  return cc;
}

}  // namespace

absl::StatusOr<ChangeResult> Restore(const Changer& changer,
                                     const raftpb::ConfState& cs) {
  // A joint configuration is reached in two steps. First the outgoing voters
  // are added one simple change at a time, so that they form the plain
  // configuration that the joint one leaves. Then a joint change removes
  // them all from the incoming half and adds the incoming voters, the
  // learners, and the staged learners (which, still voting in the outgoing
  // half, land in learners_next). Whether a learner was a learner before
  // the joint change cannot be told and does not matter.
  std::vector<raftpb::ConfChangeSingle> outgoing;
  std::vector<raftpb::ConfChangeSingle> incoming;
  for (uint64_t id : cs.voters_outgoing()) {
    outgoing.push_back(Change(raftpb::ConfChangeAddNode, id));
    incoming.push_back(Change(raftpb::ConfChangeRemoveNode, id));
  }
  for (uint64_t id : cs.voters()) {
    incoming.push_back(Change(raftpb::ConfChangeAddNode, id));
  }
  for (uint64_t id : cs.learners()) {
    incoming.push_back(Change(raftpb::ConfChangeAddLearnerNode, id));
  }
  for (uint64_t id : cs.learners_next()) {
    incoming.push_back(Change(raftpb::ConfChangeAddLearnerNode, id));
  }

  // Each step applies to the result of the previous one.
  tracker::ProgressTracker trk = changer.tracker();
  auto step = [&trk](const absl::StatusOr<ChangeResult>& r) -> absl::Status {
    if (!r.ok()) return r.status();
    trk.SetConfig(r->config, r->progress);
    return absl::OkStatus();
  };
  if (outgoing.empty()) {
    for (const raftpb::ConfChangeSingle& cc : incoming) {
      absl::Status s =
          step(Changer(trk, changer.last_index()).Simple({&cc, 1}));
      if (!s.ok()) return s;
    }
  } else {
    for (const raftpb::ConfChangeSingle& cc : outgoing) {
      absl::Status s =
          step(Changer(trk, changer.last_index()).Simple({&cc, 1}));
      if (!s.ok()) return s;
    }
    absl::Status s = step(Changer(trk, changer.last_index())
                              .EnterJoint(cs.auto_leave(), incoming));
    if (!s.ok()) return s;
  }
  return ChangeResult{trk.config(), trk.progress()};
}

}  // namespace craft::confchange
