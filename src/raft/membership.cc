// Configuration changes: applying them, switching the tracker over, and
// bootstrapping a fresh node.

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "craft/confchange/confchange.h"
#include "craft/confchange/conversions.h"
#include "craft/errors.h"
#include "gofmt/gofmt.h"
#include "logger/log.h"
#include "raft/messages.h"
#include "raft/raft.h"

namespace craft {

using tracker::Progress;

absl::StatusOr<raftpb::ConfState> Raft::ApplyConfChange(
    const raftpb::ConfChangeV2& cc) {
  FlushHeartbeats();
  if (absl::Status s = confchange::Validate(cc); !s.ok()) return s;
  confchange::Changer changer(trk_, log_.LastIndex());
  absl::StatusOr<confchange::ChangeResult> result;
  bool auto_leave = false;
  if (confchange::LeaveJoint(cc)) {
    result = changer.LeaveJoint();
  } else if (confchange::EnterJoint(cc, &auto_leave)) {
    result = changer.EnterJoint(auto_leave, cc.changes());
  } else {
    result = changer.Simple(cc.changes());
  }
  if (!result.ok()) return result.status();
  return SwitchToConfig(std::move(result->config), std::move(result->progress));
}

raftpb::ConfState Raft::SwitchToConfig(tracker::TrackerConfig cfg,
                                       tracker::ProgressMap prs) {
  trk_.SetConfig(std::move(cfg), std::move(prs));
  CRAFT_INFOF(log_.logger(), "%x switched to configuration %s", id_,
              trk_.config().String());
  raftpb::ConfState cs = trk_.ConfState();
  const Progress* pr = trk_.GetProgress(id_);
  is_learner_ = pr != nullptr && pr->is_learner();

  if ((pr == nullptr || is_learner_) && state_ == StateType::kLeader) {
    // This leader was removed or demoted. It keeps leading (and replicating
    // what it has) unless asked to step down.
    if (settings_->step_down_on_removal) BecomeFollower(term_, kNone);
    return cs;
  }
  if (state_ != StateType::kLeader || cs.voters_size() == 0) return cs;

  if (MaybeCommit()) {
    // A smaller quorum may commit more now.
    BcastAppend();
  } else {
    // Probe newly added members right away rather than at the next
    // heartbeat or proposal.
    trk_.Visit([&](uint64_t id, const Progress&) {
      if (id != id_) MaybeSendAppend(id, /*send_if_empty=*/false);
    });
  }
  if (lead_transferee() != kNone &&
      !trk_.config().voters.Contains(lead_transferee())) {
    AbortLeaderTransfer();
  }
  return cs;
}

absl::Status Raft::Bootstrap(absl::Span<const raftpb::ConfChange> peers) {
  FlushHeartbeats();
  if (peers.empty()) {
    return absl::InvalidArgumentError(
        "must provide at least one peer to Bootstrap");
  }
  absl::StatusOr<uint64_t> last = log_.storage()->LastIndex();
  if (!last.ok()) return last.status();
  if (*last != 0) {
    return absl::FailedPreconditionError("can't bootstrap a nonempty Storage");
  }
  BecomeFollower(1, kNone);
  std::vector<Entry> ents;
  ents.reserve(peers.size());
  for (size_t i = 0; i < peers.size(); ++i) {
    Entry e = MakeEntry(i + 1, 1, raftpb::EntryConfChange);
    e.set_data(confchange::Canonical(peers[i]).SerializeAsString());
    ents.push_back(std::move(e));
  }
  if (absl::StatusOr<uint64_t> s = log_.Append(std::move(ents)); !s.ok()) {
    return s.status();
  }
  // The bootstrap entries are committed by fiat and applied here so that the
  // node can campaign at once. The application still sees them in
  // CommittedEntries and applies them again, which is idempotent.
  log_.CommitTo(peers.size());
  for (const raftpb::ConfChange& peer : peers) {
    raftpb::ConfChange add;
    add.set_type(raftpb::ConfChangeAddNode);
    add.set_node_id(peer.node_id());
    if (absl::StatusOr<raftpb::ConfState> cs =
            ApplyConfChange(confchange::AsV2(add));
        !cs.ok()) {
      return cs.status();
    }
  }
  return absl::OkStatus();
}

}  // namespace craft
