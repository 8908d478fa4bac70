// The follower's step function and the handlers of what a leader sends:
// appends, heartbeats and snapshots.

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

absl::Status Raft::StepFollower(Message& m) {
  switch (m.type()) {
    case raftpb::MsgProp:
      if (lead_ == kNone) {
        CRAFT_INFOF(log_.logger(), "%x no leader at term %d; dropping proposal",
                    id_, term_);
        return ProposalDroppedError();
      }
      if (settings_->disable_proposal_forwarding) {
        CRAFT_INFOF(
            log_.logger(),
            "%x not forwarding to leader %x at term %d; dropping proposal", id_,
            lead_, term_);
        return ProposalDroppedError();
      }
      m.set_to(lead_);
      m.clear_term();
      Send(std::move(m));
      return absl::OkStatus();
    case raftpb::MsgApp:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleAppendEntries(m);
      return absl::OkStatus();
    case raftpb::MsgHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleHeartbeat(m);
      return absl::OkStatus();
    case raftpb::MsgSnap:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleSnapshot(m);
      return absl::OkStatus();
    case raftpb::MsgTransferLeader:
      if (lead_ == kNone) {
        CRAFT_INFOF(log_.logger(),
                    "%x no leader at term %d; dropping leader transfer msg",
                    id_, term_);
        return absl::OkStatus();
      }
      m.set_to(lead_);
      m.clear_term();  // Send stamps ours
      Send(std::move(m));
      return absl::OkStatus();
    case raftpb::MsgForgetLeader:
      if (lease_based_reads()) {
        // Lease-based reads rely on followers honouring the lease.
        CRAFT_ERRORF(log_.logger(),
                     "ignoring MsgForgetLeader due to ReadOnlyLeaseBased");
        return absl::OkStatus();
      }
      if (lead_ != kNone) {
        CRAFT_INFOF(log_.logger(), "%x forgetting leader %x at term %d", id_,
                    lead_, term_);
        lead_ = kNone;
      }
      return absl::OkStatus();
    case raftpb::MsgTimeoutNow:
      CRAFT_INFOF(
          log_.logger(),
          "%x [term %d] received MsgTimeoutNow from %x and starts an election "
          "to get leadership.",
          id_, term_, m.from());
      // A transfer skips pre-vote: the leader asked for it, there is no
      // partition to guard against.
      return Hup(CampaignType::kTransfer);
    case raftpb::MsgReadIndex:
      if (lead_ == kNone) {
        CRAFT_INFOF(log_.logger(),
                    "%x no leader at term %d; dropping index reading msg", id_,
                    term_);
        return absl::OkStatus();
      }
      m.set_to(lead_);
      m.clear_term();
      Send(std::move(m));
      return absl::OkStatus();
    case raftpb::MsgReadIndexResp:
      if (m.entries_size() != 1) {
        CRAFT_ERRORF(
            log_.logger(),
            "%x invalid format of MsgReadIndexResp from %x, entries count: %d",
            id_, m.from(), m.entries_size());
        return absl::OkStatus();
      }
      AddReadState(ReadState{m.index(), m.entries(0).data().ToString()});
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

// ---------------------------------------------------------------------------
// Follower handlers

void Raft::HandleAppendEntries(Message& m) {
  if (m.index() < log_.committed()) {
    // Everything up to our commit index matches the leader's log already.
    Message resp = NewMessage(raftpb::MsgAppResp, m.from());
    resp.set_index(log_.committed());
    Send(std::move(resp));
    return;
  }
  absl::StatusOr<std::optional<uint64_t>> last_new =
      log_.MaybeAppend({m.log_term(), m.index()}, m.commit(),
                       absl::MakeSpan(*m.mutable_entries()));
  if (!last_new.ok()) {
    // Only a faulty leader sends entries that contradict our committed log.
    CRAFT_ERRORF(log_.logger(), "%x rejected MsgApp from %x: %s", id_, m.from(),
                 last_new.status().message());
    return;
  }
  if (last_new->has_value()) {
    Message resp = NewMessage(raftpb::MsgAppResp, m.from());
    resp.set_index(**last_new);
    Send(std::move(resp));
    return;
  }
  CRAFT_DEBUGF(
      log_.logger(),
      "%x [logterm: %d, index: %d] rejected MsgApp [logterm: %d, index: %d] "
      "from %x",
      id_, log_.TermOrZero(m.index()), m.index(), m.log_term(), m.index(),
      m.from());
  // Hint where the logs may match: the last index, at or before the probed
  // one, whose term does not exceed the leader's term there. This skips
  // our whole uncommitted tail of newer terms in one round trip.
  const uint64_t hint_index = std::min(m.index(), log_.LastIndex());
  auto [index, term] = log_.FindConflictByTerm(hint_index, m.log_term());
  Message resp = NewMessage(raftpb::MsgAppResp, m.from());
  resp.set_index(m.index());
  resp.set_reject(true);
  resp.set_reject_hint(index);
  resp.set_log_term(term);
  Send(std::move(resp));
}

void Raft::HandleHeartbeat(const Message& m) {
  if (m.commit() > log_.LastIndex()) {
    // A correct leader never sends more than our match index.
    CRAFT_WARNINGF(
        log_.logger(),
        "%x ignored heartbeat commit %d from %x past its last index %d", id_,
        m.commit(), m.from(), log_.LastIndex());
  } else {
    log_.CommitTo(m.commit());
  }
  Message resp = NewMessage(raftpb::MsgHeartbeatResp, m.from());
  if (m.has_context()) resp.set_context(m.context());
  Send(std::move(resp));
}

void Raft::HandleSnapshot(Message& m) {
  raftpb::Snapshot s =
      m.has_snapshot() ? std::move(*m.mutable_snapshot()) : raftpb::Snapshot();
  const uint64_t sindex = s.metadata().index();
  const uint64_t sterm = s.metadata().term();
  Message resp = NewMessage(raftpb::MsgAppResp, m.from());
  if (Restore(std::move(s))) {
    CRAFT_INFOF(log_.logger(),
                "%x [commit: %d] restored snapshot [index: %d, term: %d]", id_,
                log_.committed(), sindex, sterm);
    resp.set_index(log_.LastIndex());
  } else {
    CRAFT_INFOF(log_.logger(),
                "%x [commit: %d] ignored snapshot [index: %d, term: %d]", id_,
                log_.committed(), sindex, sterm);
    resp.set_index(log_.committed());
  }
  Send(std::move(resp));
}

bool Raft::Restore(raftpb::Snapshot s) {
  if (s.metadata().index() <= log_.committed()) return false;
  if (state_ != StateType::kFollower) {
    // Defense in depth: only followers receive snapshots.
    CRAFT_WARNINGF(
        log_.logger(),
        "%x attempted to restore snapshot as leader; should never happen", id_);
    BecomeFollower(term_ + 1, kNone);
    return false;
  }
  // More defense in depth: a snapshot whose configuration does not include
  // us would leave this node without its own progress.
  const raftpb::ConfState& cs = s.metadata().conf_state();
  const auto contains = [&](const auto& ids) {
    return std::find(ids.begin(), ids.end(), id_) != ids.end();
  };
  if (!contains(cs.voters()) && !contains(cs.learners()) &&
      !contains(cs.voters_outgoing())) {
    CRAFT_WARNINGF(
        log_.logger(),
        "%x attempted to restore snapshot but it is not in the ConfState %s; "
        "should never happen",
        id_, gofmt::ConfState(cs));
    return false;
  }
  const EntryId id{s.metadata().term(), s.metadata().index()};
  if (log_.MatchTerm(id)) {
    // We already hold the snapshot's last entry: just commit up to it.
    const EntryId last = log_.LastEntryId();
    CRAFT_INFOF(
        log_.logger(),
        "%x [commit: %d, lastindex: %d, lastterm: %d] fast-forwarded commit "
        "to snapshot [index: %d, term: %d]",
        id_, log_.committed(), last.index, last.term, id.index, id.term);
    log_.CommitTo(id.index);
    return false;
  }
  // Check the configuration before touching the log, so that a snapshot we
  // cannot use leaves everything as it was.
  tracker::ProgressTracker fresh(trk_.max_inflight(),
                                 trk_.max_inflight_bytes());
  absl::StatusOr<confchange::ChangeResult> restored =
      confchange::Restore(confchange::Changer(fresh, id.index), cs);
  if (!restored.ok()) {
    CRAFT_ERRORF(log_.logger(),
                 "%x unable to restore config %s: %s; ignoring snapshot", id_,
                 gofmt::ConfStateNamed(cs), restored.status().message());
    return false;
  }
  log_.Restore(std::move(s));
  trk_ = std::move(fresh);
  SwitchToConfig(std::move(restored->config), std::move(restored->progress));
  const EntryId last = log_.LastEntryId();
  CRAFT_INFOF(log_.logger(),
              "%x [commit: %d, lastindex: %d, lastterm: %d] restored snapshot "
              "[index: %d, term: %d]",
              id_, log_.committed(), last.index, last.term, id.index, id.term);
  return true;
}

}  // namespace craft
