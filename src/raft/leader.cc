// The leader's step function: proposals, replication progress, heartbeat
// responses, ReadIndex requests and leadership transfer.

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
using tracker::ProgressState;

absl::Status Raft::StepLeader(Message& m) {
  // Messages that need no progress for their sender.
  switch (m.type()) {
    case raftpb::MsgBeat:
      BcastHeartbeat();
      return absl::OkStatus();
    case raftpb::MsgCheckQuorum:
      if (!trk_.QuorumActive()) {
        CRAFT_WARNINGF(log_.logger(),
                       "%x stepped down to follower since quorum is not active",
                       id_);
        BecomeFollower(term_, kNone);
      }
      // Everyone but us must prove activity again before the next check.
      trk_.Visit([&](uint64_t id, Progress& pr) {
        if (id != id_) pr.set_recent_active(false);
      });
      return absl::OkStatus();
    case raftpb::MsgProp:
      return StepLeaderPropose(m);
    case raftpb::MsgReadIndex:
      // Until this leader commits an entry of its term, its commit index
      // may lag what earlier leaders committed: hold the request until then.
      // That holds for a single voter too (etcd-io/raft answers it at once,
      // and the simulator found the stale read: a node restarted with its
      // commit index behind what it had acknowledged, and led alone).
      if (!CommittedEntryInCurrentTerm()) {
        MutableRare().held.push_back(std::move(m));
        return absl::OkStatus();
      }
      SendReadIndexResponse(std::move(m));
      return absl::OkStatus();
    case raftpb::MsgForgetLeader:
      return absl::OkStatus();  // a leader has nothing to forget
    default:
      break;
  }

  Progress* pr = trk_.GetProgress(m.from());
  if (pr == nullptr) {
    CRAFT_DEBUGF(log_.logger(), "%x no progress available for %x", id_,
                 m.from());
    return absl::OkStatus();
  }
  switch (m.type()) {
    case raftpb::MsgAppResp:
      StepLeaderAppResp(m, *pr);
      break;
    case raftpb::MsgHeartbeatResp:
      StepLeaderHeartbeatResp(m, *pr);
      break;
    case raftpb::MsgSnapStatus:
      if (pr->state() != ProgressState::kSnapshot) break;
      if (!m.reject()) {
        pr->BecomeProbe();
        CRAFT_DEBUGF(
            log_.logger(),
            "%x snapshot succeeded, resumed sending replication messages to "
            "%x [%s]",
            id_, m.from(), pr->String());
      } else {
        // Probe from the follower's match: the snapshot never landed, so its
        // index says nothing about the follower's log.
        pr->clear_pending_snapshot();
        pr->BecomeProbe();
        CRAFT_DEBUGF(
            log_.logger(),
            "%x snapshot failed, resumed sending replication messages to %x "
            "[%s]",
            id_, m.from(), pr->String());
      }
      // Wait for the follower's MsgAppResp after a success, or for the next
      // heartbeat after a failure, before sending again.
      pr->set_msg_app_flow_paused(true);
      break;
    case raftpb::MsgUnreachable:
      // An unreachable follower likely lost in-flight appends: probe again.
      if (pr->state() == ProgressState::kReplicate) pr->BecomeProbe();
      CRAFT_DEBUGF(
          log_.logger(),
          "%x failed to send message to %x because it is unreachable [%s]", id_,
          m.from(), pr->String());
      break;
    case raftpb::MsgTransferLeader:
      StepLeaderTransfer(m, *pr);
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

absl::Status Raft::StepLeaderPropose(Message& m) {
  if (trk_.GetProgress(id_) == nullptr) {
    // Removed from the configuration while leading: accept nothing new.
    return ProposalDroppedError();
  }
  if (lead_transferee() != kNone) {
    CRAFT_DEBUGF(
        log_.logger(),
        "%x [term %d] transfer leadership to %x is in progress; dropping "
        "proposal",
        id_, term_, lead_transferee());
    return ProposalDroppedError();
  }
  const bool any_conf_change =
      std::any_of(m.entries().begin(), m.entries().end(), [](const Entry& e) {
        return e.type() == raftpb::EntryConfChange ||
               e.type() == raftpb::EntryConfChangeV2;
      });
  if (!any_conf_change) {
    // The common case: the proposal's entries move into the log as they
    // are.
    if (!AppendEntries(absl::MakeSpan(*m.mutable_entries()))) {
      return ProposalDroppedError();
    }
    BcastAppend();
    return absl::OkStatus();
  }
  // Decode every configuration change first, so that a malformed one
  // refuses the whole batch before anything changes.
  std::vector<std::optional<raftpb::ConfChangeV2>> ccs(m.entries_size());
  // How each change reads in logs, in the form of the proposal.
  std::vector<std::string> cc_text(m.entries_size());
  for (int i = 0; i < m.entries_size(); ++i) {
    const Entry& e = m.entries(i);
    if (e.type() == raftpb::EntryConfChange) {
      raftpb::ConfChange v1;
      if (!v1.ParseFromArray(e.data().data(),
                             static_cast<int>(e.data().size()))) {
        return absl::InvalidArgumentError("proposed ConfChange is malformed");
      }
      if (absl::Status s = confchange::Validate(v1); !s.ok()) return s;
      ccs[i] = confchange::AsV2(v1);
      cc_text[i] = gofmt::ConfChange(v1);
    } else if (e.type() == raftpb::EntryConfChangeV2) {
      raftpb::ConfChangeV2 v2;
      if (!v2.ParseFromArray(e.data().data(),
                             static_cast<int>(e.data().size()))) {
        return absl::InvalidArgumentError("proposed ConfChangeV2 is malformed");
      }
      if (absl::Status s = confchange::Validate(v2); !s.ok()) return s;
      cc_text[i] = gofmt::ConfChangeV2(v2);
      ccs[i] = std::move(v2);
    }
  }
  uint64_t pending_conf_index = pending_conf_index_;
  std::vector<Entry> ents;
  ents.reserve(m.entries_size());
  for (int i = 0; i < m.entries_size(); ++i) {
    Entry& e = *m.mutable_entries(i);
    if (ccs[i]) {
      const raftpb::ConfChangeV2& cc = *ccs[i];
      const bool already_pending = pending_conf_index > log_.applied();
      const bool already_joint = trk_.config().voters.IsJoint();
      const bool wants_leave_joint = cc.changes_size() == 0;
      std::string failed;
      if (already_pending) {
        failed = absl::StrFormat(
            "possible unapplied conf change at index %d (applied to %d)",
            pending_conf_index, log_.applied());
      } else if (already_joint && !wants_leave_joint) {
        failed = "must transition out of joint config first";
      } else if (!already_joint && wants_leave_joint) {
        failed = "not in joint state; refusing empty conf change";
      }
      if (!failed.empty() && !settings_->disable_conf_change_validation) {
        CRAFT_INFOF(log_.logger(),
                    "%x ignoring conf change %s at config %s: %s", id_,
                    cc_text[i], trk_.config().String(), failed);
        // The proposal stays in place as an empty normal entry, so that the
        // indexes of the batch are unchanged.
        e = MakeEntry(0, 0);
      } else {
        pending_conf_index = log_.LastIndex() + i + 1;
      }
    }
    ents.push_back(std::move(e));
  }
  if (!AppendEntries(absl::MakeSpan(ents))) return ProposalDroppedError();
  // Only a conf change that made it into the log is pending.
  pending_conf_index_ = pending_conf_index;
  BcastAppend();
  return absl::OkStatus();
}

void Raft::StepLeaderAppResp(const Message& m, Progress& pr) {
  pr.set_recent_active(true);
  if (m.reject()) {
    // reject_hint is the follower's guess of the last index where the logs
    // may match, and log_term its term there (0 if unknown).
    CRAFT_DEBUGF(
        log_.logger(),
        "%x received MsgAppResp(rejected, hint: (index %d, term %d)) from %x "
        "for index %d",
        id_, m.reject_hint(), m.log_term(), m.from(), m.index());
    uint64_t next_probe = m.reject_hint();
    if (m.log_term() > 0) {
      // Every index of ours whose term exceeds the follower's term at the
      // hint cannot match (terms only grow along a log), so skip to the
      // last index with a term no larger: one probe per term at most.
      next_probe = log_.FindConflictByTerm(m.reject_hint(), m.log_term()).first;
    }
    if (pr.MaybeDecrTo(m.index(), next_probe)) {
      CRAFT_DEBUGF(log_.logger(), "%x decreased progress of %x to [%s]", id_,
                   m.from(), pr.String());
      if (pr.state() == ProgressState::kReplicate) pr.BecomeProbe();
      SendAppend(m.from());
    }
    return;
  }
  if (m.index() > log_.LastIndex()) {
    CRAFT_WARNINGF(
        log_.logger(),
        "%x ignored MsgAppResp from %x acknowledging index %d past its last "
        "index %d",
        id_, m.from(), m.index(), log_.LastIndex());
    return;
  }
  if (m.from() != id_ && lease_based_reads()) {
    lease()->AckedEntries(m.from(), m.index());
  }
  // Update on a higher match, or when the response can move a probing
  // follower that is already caught up back to replicating (a snapshot's
  // pending index rules that out for StateSnapshot).
  if (!pr.MaybeUpdate(m.index()) &&
      !(pr.match() == m.index() && pr.state() == ProgressState::kProbe)) {
    return;
  }
  switch (pr.state()) {
    case ProgressState::kProbe:
      pr.BecomeReplicate();
      break;
    case ProgressState::kSnapshot:
      // Whatever index the snapshot landed at, the follower can be caught up
      // from the log once it is past our first index.
      if (pr.match() + 1 >= log_.FirstIndex()) {
        CRAFT_DEBUGF(
            log_.logger(),
            "%x recovered from needing snapshot, resumed sending replication "
            "messages to %x [%s]",
            id_, m.from(), pr.String());
        // Through probe, which clears the pending snapshot.
        pr.BecomeProbe();
        pr.BecomeReplicate();
      }
      break;
    case ProgressState::kReplicate:
      pr.mutable_inflights()->FreeLE(m.index());
      break;
  }

  if (MaybeCommit()) {
    // The commit index moved within this term: reads held back for that
    // can be answered now.
    ReleasePendingReadIndexMessages();
    BcastAppend();
  } else if (m.from() != id_ && pr.CanBumpCommit(log_.committed())) {
    // Tell the follower the commit index now rather than at the next
    // heartbeat.
    MaybeSendAppend(m.from(), pr, /*send_if_empty=*/true);
  }
  // The window may have opened for several messages at once.
  if (m.from() != id_) {
    while (MaybeSendAppend(m.from(), pr, /*send_if_empty=*/false)) {
    }
  }
  if (m.from() == lead_transferee() && pr.match() == log_.LastIndex()) {
    CRAFT_INFOF(log_.logger(),
                "%x sent MsgTimeoutNow to %x after received MsgAppResp", id_,
                m.from());
    SendTimeoutNow(m.from());
  }
}

void Raft::StepLeaderHeartbeatResp(const Message& m, Progress& pr) {
  pr.set_recent_active(true);
  pr.set_msg_app_flow_paused(false);
  // An append (possibly empty) lets a follower with a full window recover
  // when every in-flight append was lost, and moves a caught-up follower in
  // StateProbe back to replicating. StateSnapshot is always paused, so this
  // sends nothing there.
  if (pr.match() < log_.LastIndex() || pr.state() == ProgressState::kProbe) {
    SendAppend(m.from());
  }
  if (!m.has_context()) return;
  std::optional<uint64_t> seq = ReadOnly::DecodeContext(m.context());
  // A sequence number this leader never sent proves nothing.
  if (!seq || *seq > (rare_ != nullptr ? rare_->seq : 0)) return;
  if (LeaderLease* l = lease()) l->AckedHeartbeat(m.from(), *seq);
  for (PendingRead& rs :
       MutableRare().read_only.RecvAck(m.from(), *seq, trk_.config().voters)) {
    RespondToReadIndex(std::move(rs.req), rs.index);
  }
}

void Raft::StepLeaderTransfer(const Message& m, Progress& pr) {
  if (pr.is_learner()) {
    CRAFT_DEBUGF(log_.logger(),
                 "%x is learner. Ignored transferring leadership", id_);
    return;
  }
  const uint64_t transferee = m.from();
  if (lead_transferee() != kNone) {
    if (lead_transferee() == transferee) {
      CRAFT_INFOF(
          log_.logger(),
          "%x [term %d] transfer leadership to %x is in progress, ignores "
          "request to same node %x",
          id_, term_, transferee, transferee);
      return;
    }
    const uint64_t previous = lead_transferee();
    AbortLeaderTransfer();
    CRAFT_INFOF(log_.logger(),
                "%x [term %d] abort previous transferring leadership to %x",
                id_, term_, previous);
  }
  if (transferee == id_) {
    CRAFT_DEBUGF(
        log_.logger(),
        "%x is already leader. Ignored transferring leadership to self", id_);
    return;
  }
  CRAFT_INFOF(log_.logger(), "%x [term %d] starts to transfer leadership to %x",
              id_, term_, transferee);
  // The transfer must finish within an election timeout.
  election_elapsed_ = 0;
  MutableRare().lead_transferee = transferee;
  if (pr.match() == log_.LastIndex()) {
    SendTimeoutNow(transferee);
    CRAFT_INFOF(log_.logger(),
                "%x sends MsgTimeoutNow to %x immediately as %x already has "
                "up-to-date log",
                id_, transferee, transferee);
  } else {
    SendAppend(transferee);
  }
}

}  // namespace craft
