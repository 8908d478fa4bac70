#include "raft/raft.h"

#include <algorithm>
#include <limits>
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

namespace craft {
namespace {

using tracker::Progress;
using tracker::ProgressState;

constexpr absl::string_view kCampaignTransfer = "CampaignTransfer";

absl::string_view TypeName(raftpb::MessageType t) { return MessageTypeName(t); }

// splitmix64: a small, well-mixed generator for election timeouts.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Checks the parts of a peer's message that the handlers rely on, so that
// a malformed message is refused before it changes any state. (RawNode
// checks the envelope: sender, recipient and term.)
// The (term, index) of the snapshot a message carries, if any.
std::optional<EntryId> SnapshotIdOf(const Message& m) {
  if (!m.has_snapshot()) return std::nullopt;
  return EntryId{m.snapshot().metadata().term(),
                 m.snapshot().metadata().index()};
}

absl::Status ValidateMessage(const Message& m) {
  // Defense in depth: a message that needs a term and has none would pass
  // for one of this node's own term.
  if (m.term() == 0 && NeedsTerm(m.type())) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s from %d without a term", MessageTypeName(m.type()), m.from()));
  }
  if (m.term() > kMaxTerm) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s from %d: term %d is out of range",
                        MessageTypeName(m.type()), m.from(), m.term()));
  }
  switch (m.type()) {
    case raftpb::MsgApp: {
      // Every index must stay within range, with room to append after it.
      if (m.index() > kMaxIndex ||
          static_cast<uint64_t>(m.entries_size()) > kMaxIndex - m.index()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "malformed MsgApp from %d: index %d with %d entries is out of "
            "range",
            m.from(), m.index(), m.entries_size()));
      }
      // No entry of the leader's log has a term past the leader's own.
      if (m.log_term() > m.term()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "malformed MsgApp from %d: log term %d past its term %d", m.from(),
            m.log_term(), m.term()));
      }
      for (int i = 0; i < m.entries_size(); ++i) {
        const Entry& e = m.entries(i);
        if (e.index() != m.index() + 1 + static_cast<uint64_t>(i)) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "malformed MsgApp from %d: entry %d has index %d after %d",
              m.from(), i, e.index(), m.index()));
        }
        if (e.term() < m.log_term() ||
            (i > 0 && e.term() < m.entries(i - 1).term()) ||
            e.term() > m.term()) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "malformed MsgApp from %d: entry %d/%d out of term order",
              m.from(), e.term(), e.index()));
        }
      }
      return absl::OkStatus();
    }
    case raftpb::MsgSnap: {
      const raftpb::SnapshotMetadata& md = m.snapshot().metadata();
      if (md.index() > kMaxIndex) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "malformed MsgSnap from %d: index %d is out of range", m.from(),
            md.index()));
      }
      if (md.term() > m.term()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "malformed MsgSnap from %d: snapshot term %d past its term %d",
            m.from(), md.term(), m.term()));
      }
      return absl::OkStatus();
    }
    case raftpb::MsgVote:
    case raftpb::MsgPreVote:
      // A vote request is always about a term; answering one without a term
      // would be meaningless.
      if (m.term() == 0) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s from %d without a term", MessageTypeName(m.type()), m.from()));
      }
      return absl::OkStatus();
    case raftpb::MsgProp:
      if (m.entries_size() == 0) {
        return absl::InvalidArgumentError("MsgProp without entries");
      }
      return absl::OkStatus();
    case raftpb::MsgReadIndex:
      if (m.entries_size() != 1) {
        return absl::InvalidArgumentError(
            absl::StrFormat("MsgReadIndex must carry exactly one entry, has %d",
                            m.entries_size()));
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Raft>> Raft::Create(const Config& config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  Logger* logger = config.logger != nullptr ? config.logger : &DefaultLogger();
  const uint64_t max_size_per_msg = config.max_size_per_msg;
  const uint64_t max_committed = config.max_committed_size_per_ready != 0
                                     ? config.max_committed_size_per_ready
                                     : max_size_per_msg;
  absl::StatusOr<RaftLog> log =
      RaftLog::Create(config.storage, logger, max_committed);
  if (!log.ok()) return log.status();
  std::unique_ptr<Raft> r(new Raft(config, *std::move(log), logger));
  if (absl::Status s = r->Init(config); !s.ok()) return s;
  return r;
}

Raft::Raft(const Config& c, RaftLog log, Logger* logger)
    : id_(c.id),
      log_(std::move(log)),
      trk_(static_cast<size_t>(c.max_inflight_msgs),
           c.max_inflight_bytes != 0 ? c.max_inflight_bytes : kNoLimit),
      read_only_(c.read_only_option),
      // A lease lasts 3/4 of the election timeout (see LeaderLease).
      lease_(c.read_only_option == ReadOnlyOption::kLeaseBased
                 ? std::make_unique<LeaderLease>(
                       std::max<int>(1, int64_t{c.election_tick} * 3 / 4))
                 : nullptr),
      max_msg_size_(c.max_size_per_msg),
      max_uncommitted_size_(c.max_uncommitted_entries_size != 0
                                ? c.max_uncommitted_entries_size
                                : kNoLimit),
      rng_state_(c.random_seed ^ (c.id * 0x9e3779b97f4a7c15ULL)),
      logger_(logger),
      heartbeat_timeout_(c.heartbeat_tick),
      election_timeout_(c.election_tick),
      disable_conf_change_validation_(c.disable_conf_change_validation),
      check_quorum_(c.check_quorum),
      pre_vote_(c.pre_vote),
      disable_proposal_forwarding_(c.disable_proposal_forwarding),
      step_down_on_removal_(c.step_down_on_removal),
      batch_appends_(c.batch_appends),
      async_storage_writes_(c.async_storage_writes) {}

absl::Status Raft::Init(const Config& config) {
  absl::StatusOr<InitialState> st = config.storage->InitialState();
  if (!st.ok()) return st.status();
  const EntryId last = log_.LastEntryId();
  if (st->hard_state.term() > kMaxTerm || last.index > kMaxIndex) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "storage state out of range: term %d, last entry %d at term %d",
        st->hard_state.term(), last.index, last.term));
  }
  absl::StatusOr<confchange::ChangeResult> restored = confchange::Restore(
      confchange::Changer(trk_, last.index), st->conf_state);
  if (!restored.ok()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "cannot restore configuration %s: %s",
        gofmt::ConfStateNamed(st->conf_state), restored.status().message()));
  }
  SwitchToConfig(std::move(restored->config), std::move(restored->progress));
  if (!IsEmptyHardState(st->hard_state)) {
    HardState hs = st->hard_state;
    if (hs.commit() < log_.committed()) {
      // The storage's snapshot is of committed state, so its index is
      // committed. The hard state may lag it when the application took the
      // snapshot from entries applied before the commit index reached its
      // disk (asynchronous storage writes).
      CRAFT_INFOF(*logger_,
                  "%x state.commit %d is behind the snapshot at %d; using %d",
                  id_, hs.commit(), log_.committed(), log_.committed());
      hs.set_commit(log_.committed());
    }
    if (hs.commit() > log_.LastIndex()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%x state.commit %d is out of range [%d, %d]", id_,
                          hs.commit(), log_.committed(), log_.LastIndex()));
    }
    LoadState(hs);
    lease_guard_on_start_ =
        check_quorum_ && read_only_.option() == ReadOnlyOption::kLeaseBased &&
        hs.term() > 0;
  }
  if (config.applied > 0) {
    if (config.applied > log_.committed()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("applied index %d is past the commit index %d",
                          config.applied, log_.committed()));
    }
    log_.AppliedTo(config.applied, 0);
  }
  BecomeFollower(term_, kNone);

  std::vector<std::string> peers;
  for (uint64_t n : trk_.VoterNodes())
    peers.push_back(absl::StrFormat("%x", n));
  CRAFT_INFOF(*logger_,
              "newRaft %x [peers: [%s], term: %d, commit: %d, applied: %d, "
              "lastindex: %d, lastterm: %d]",
              id_, absl::StrJoin(peers, ","), term_, log_.committed(),
              log_.applied(), last.index, last.term);
  return absl::OkStatus();
}

HardState Raft::hard_state() const {
  HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(log_.committed());
  return hs;
}

void Raft::LoadState(const HardState& hs) {
  log_.CommitTo(hs.commit());
  term_ = hs.term();
  vote_ = hs.vote();
}

// ---------------------------------------------------------------------------
// Sending

void Raft::Send(Message&& m) {
  if (m.from() == kNone) m.set_from(id_);
  const raftpb::MessageType t = m.type();
  if (t == raftpb::MsgVote || t == raftpb::MsgVoteResp ||
      t == raftpb::MsgPreVote || t == raftpb::MsgPreVoteResp) {
    // Campaign messages carry the term they are about, which is not always
    // ours (pre-votes are for the next term).
    if (m.term() == 0) {
      logger_->Panicf("term should be set when sending %s", TypeName(t));
    }
  } else {
    if (m.term() != 0) {
      logger_->Panicf("term should not be set when sending %s (was %d)",
                      TypeName(t), m.term());
    }
    // Proposals and read requests forwarded to the leader travel without a
    // term, like local messages: they are valid in any term.
    if (t != raftpb::MsgProp && t != raftpb::MsgReadIndex) m.set_term(term_);
  }
  if (t == raftpb::MsgAppResp || t == raftpb::MsgVoteResp ||
      t == raftpb::MsgPreVoteResp) {
    // These responses vouch for local state (appended entries, a cast vote)
    // that must be durable before anyone hears of it (Raft thesis 3.8), so
    // they wait until the current unstable state has been persisted. This
    // includes rejections, which may also rest on unstable state.
    BufferCache<Message>::Reserve(msgs_after_append_);
    msgs_after_append_.push_back(std::move(m));
  } else {
    if (m.to() == id_) {
      logger_->Panicf("message should not be self-addressed when sending %s",
                      TypeName(t));
    }
    BufferCache<Message>::Reserve(msgs_);
    msgs_.push_back(std::move(m));
  }
}

bool Raft::MaybeSendAppend(uint64_t to, bool send_if_empty) {
  Progress* pr = trk_.GetProgress(to);
  return pr != nullptr && MaybeSendAppend(to, *pr, send_if_empty);
}

bool Raft::MaybeSendAppend(uint64_t to, Progress& pr, bool send_if_empty) {
  if (pr.IsPaused()) return false;
  // Caught up: nothing to send (and the term of next - 1, the last index,
  // is always known, so this is never a snapshot case).
  if (!send_if_empty && pr.next() > log_.LastIndex()) return false;

  const uint64_t prev_index = pr.next() - 1;
  absl::StatusOr<uint64_t> prev_term = log_.Term(prev_index);
  if (!prev_term.ok()) {
    // The entries the follower needs next were compacted: only a snapshot
    // can catch it up.
    return MaybeSendSnapshot(to, pr);
  }
  Message m = NewMessage(raftpb::MsgApp, to);
  absl::Status fetched;
  // A throttled follower in StateReplicate gets empty appends only: if all
  // in-flight appends were lost, the empty one's response (or rejection)
  // frees the window again.
  if (pr.state() != ProgressState::kReplicate || !pr.inflights().Full()) {
    fetched = log_.Entries(pr.next(), max_msg_size_, m.mutable_entries());
  }
  if (m.entries().empty() && !send_if_empty) return false;
  // The entries were compacted after their term was read.
  if (!fetched.ok()) return MaybeSendSnapshot(to, pr);

  m.set_index(prev_index);
  m.set_log_term(*prev_term);
  m.set_commit(log_.committed());
  const size_t count = m.entries().size();
  const uint64_t bytes = PayloadsSize(m.entries());
  Send(std::move(m));
  pr.SentEntries(count, bytes);
  pr.SentCommit(log_.committed());
  return true;
}

bool Raft::MaybeSendSnapshot(uint64_t to, Progress& pr) {
  if (!pr.recent_active()) {
    CRAFT_DEBUGF(
        *logger_,
        "ignore sending snapshot to %x since it is not recently active", to);
    return false;
  }
  absl::StatusOr<raftpb::Snapshot> snap = log_.Snapshot();
  if (!snap.ok()) {
    if (IsSnapshotTemporarilyUnavailable(snap.status())) {
      CRAFT_DEBUGF(
          *logger_,
          "%x failed to send snapshot to %x because snapshot is temporarily "
          "unavailable",
          id_, to);
    } else {
      CRAFT_ERRORF(*logger_, "%x failed to get a snapshot for %x: %s", id_, to,
                   snap.status().message());
    }
    return false;
  }
  if (IsEmptySnapshot(*snap)) {
    CRAFT_ERRORF(
        *logger_,
        "%x needs a snapshot for %x but the storage has none; retrying later",
        id_, to);
    return false;
  }
  const uint64_t sindex = snap->metadata().index();
  const uint64_t sterm = snap->metadata().term();
  CRAFT_DEBUGF(
      *logger_,
      "%x [firstindex: %d, commit: %d] sent snapshot[index: %d, term: %d] to "
      "%x [%s]",
      id_, log_.FirstIndex(), log_.committed(), sindex, sterm, to, pr.String());
  pr.BecomeSnapshot(sindex);
  CRAFT_DEBUGF(*logger_, "%x paused sending replication messages to %x [%s]",
               id_, to, pr.String());
  Message m = NewMessage(raftpb::MsgSnap, to);
  *m.mutable_snapshot() = *std::move(snap);
  Send(std::move(m));
  return true;
}

void Raft::SendHeartbeat(uint64_t to, const Payload& ctx) {
  Progress* pr = trk_.GetProgress(to);
  // The follower may not hold every committed entry: never tell it to
  // commit past what it is known to have.
  const uint64_t commit = std::min(pr->match(), log_.committed());
  Message m = NewMessage(raftpb::MsgHeartbeat, to);
  m.set_commit(commit);
  if (!ctx.empty()) m.set_context(ctx);
  Send(std::move(m));
  pr->SentCommit(commit);
}

void Raft::BcastAppend() {
  if (batch_appends_) {
    appends_pending_ = true;
    return;
  }
  trk_.Visit([&](uint64_t id, const Progress&) {
    if (id != id_) SendAppend(id);
  });
}

void Raft::FlushAppends() {
  if (!appends_pending_) return;
  appends_pending_ = false;
  // A node that stopped leading since has nothing to send: its successor
  // replicates.
  if (state_ != StateType::kLeader) return;
  trk_.Visit([&](uint64_t id, Progress& pr) {
    if (id == id_) return;
    // As many appends as the flow control allows (several when a message
    // holds fewer entries than are new), or the commit index alone.
    const bool bump = pr.CanBumpCommit(log_.committed());
    if (pr.next() > log_.LastIndex() && !bump) return;  // nothing to tell
    if (!MaybeSendAppend(id, pr, /*send_if_empty=*/bump)) return;
    while (pr.next() <= log_.LastIndex() &&
           MaybeSendAppend(id, pr, /*send_if_empty=*/false)) {
    }
  });
}

void Raft::BcastHeartbeat() {
  if (read_only_.option() == ReadOnlyOption::kLeaseBased) {
    // Every round renews the lease: it carries a fresh sequence number, so
    // that each response says which round it answers.
    BcastReadHeartbeat(++read_seq_);
    return;
  }
  std::optional<uint64_t> seq = read_only_.LastPendingSeq();
  BcastHeartbeatWithCtx(seq ? Payload(ReadOnly::EncodeContext(*seq))
                            : Payload());
}

void Raft::BcastReadHeartbeat(uint64_t seq) {
  if (lease_) lease_->HeartbeatSent(seq);
  // The leader acknowledges its own round; with no other voters needed
  // that may already confirm pending reads.
  for (PendingRead& rs : read_only_.RecvAck(id_, seq, trk_.config().voters)) {
    RespondToReadIndex(std::move(rs.req), rs.index);
  }
  BcastHeartbeatWithCtx(Payload(ReadOnly::EncodeContext(seq)));
}

void Raft::BcastHeartbeatWithCtx(const Payload& ctx) {
  trk_.Visit([&](uint64_t id, const Progress&) {
    if (id != id_) SendHeartbeat(id, ctx);
  });
}

void Raft::SendTimeoutNow(uint64_t to) {
  // The transferee campaigns at once, and its voters grant it whatever
  // they promised this leader.
  if (lease_) lease_->Revoke();
  Send(NewMessage(raftpb::MsgTimeoutNow, to));
}

// ---------------------------------------------------------------------------
// Log bookkeeping

void Raft::AppliedTo(uint64_t index, uint64_t size) {
  const uint64_t new_applied = std::max(index, log_.applied());
  log_.AppliedTo(new_applied, size);
  if (trk_.config().auto_leave && new_applied >= pending_conf_index_ &&
      state_ == StateType::kLeader) {
    // The joint configuration this leader entered is applied; propose
    // leaving it. The empty ConfChangeV2 has no payload, so the uncommitted
    // size limit cannot refuse it; a transfer in progress can, and then the
    // next applied entry tries again.
    Message m = NewMessage(raftpb::MsgProp, kNone);
    *m.add_entries() = MakeEntry(0, 0, raftpb::EntryConfChangeV2);
    const std::string cfg = trk_.config().String();
    if (absl::Status s = Step(std::move(m)); !s.ok()) {
      CRAFT_DEBUGF(
          *logger_,
          "not initiating automatic transition out of joint configuration "
          "%s: %s",
          cfg, s.message());
    } else {
      CRAFT_INFOF(
          *logger_,
          "initiating automatic transition out of joint configuration %s", cfg);
    }
  }
}

void Raft::Applied(uint64_t index, uint64_t size, uint64_t payload_size) {
  AppliedTo(index, size);
  ReduceUncommittedSize(payload_size);
}

void Raft::AppliedSnapshot(EntryId snap) {
  log_.StableSnapTo(snap);
  AppliedTo(snap.index, 0);
}

void Raft::StorageAppended(uint64_t term, EntryId last,
                           std::optional<EntryId> snap) {
  if (term != 0 && term < term_) {
    if (last.index != 0) {
      // Entries written under an older term may since have been replaced
      // in the unstable log; their acknowledgement proves nothing now.
      CRAFT_INFOF(*logger_,
                  "%x [term: %d] ignored entry appends from a %s message with "
                  "lower term [term: %d]",
                  id_, term_, TypeName(raftpb::MsgStorageAppendResp), term);
    }
  } else if (last.index != 0) {
    log_.StableTo(last);
  }
  // A snapshot holds committed state, valid in any term.
  if (snap) AppliedSnapshot(*snap);
}

bool Raft::MaybeCommit() { return log_.MaybeCommit({term_, trk_.Committed()}); }

bool Raft::AppendEntries(absl::Span<Entry> ents) {
  const uint64_t last = log_.LastIndex();
  if (ents.size() > kMaxIndex - last) {
    CRAFT_ERRORF(
        *logger_,
        "%x cannot append %d entries after index %d: out of range; dropping "
        "proposal",
        id_, ents.size(), last);
    return false;
  }
  for (size_t i = 0; i < ents.size(); ++i) {
    ents[i].set_term(term_);
    ents[i].set_index(last + 1 + i);
    if (!ents[i].has_type()) ents[i].set_type(raftpb::EntryNormal);
  }
  if (!IncreaseUncommittedSize(ents)) {
    CRAFT_WARNINGF(
        *logger_,
        "%x appending new entries to log would exceed uncommitted entry size "
        "limit; dropping proposal",
        id_);
    return false;
  }
  absl::StatusOr<uint64_t> new_last = log_.Append(ents);
  if (!new_last.ok()) {
    CRAFT_ERRORF(*logger_, "%x failed to append proposed entries: %s", id_,
                 new_last.status().message());
    return false;
  }
  if (lease_) lease_->Appended(last + 1);
  // The leader acknowledges its own entries once they are durable, through
  // the same path as a follower's MsgAppResp.
  Message resp = NewMessage(raftpb::MsgAppResp, id_);
  resp.set_index(*new_last);
  Send(std::move(resp));
  return true;
}

bool Raft::IncreaseUncommittedSize(absl::Span<const Entry> ents) {
  const uint64_t s = PayloadsSize(ents);
  // An empty uncommitted tail accepts a proposal of any size, and empty
  // payloads (a new leader's entry, leaving a joint configuration) are
  // always accepted.
  if (uncommitted_size_ > 0 && s > 0 &&
      (uncommitted_size_ + s > max_uncommitted_size_ ||
       uncommitted_size_ + s < uncommitted_size_)) {
    return false;
  }
  uncommitted_size_ += s;
  return true;
}

void Raft::ReduceUncommittedSize(uint64_t size) {
  // The estimate may undercount (it restarts at 0 with every term) but
  // never overcounts: saturate.
  uncommitted_size_ = size > uncommitted_size_ ? 0 : uncommitted_size_ - size;
}

// ---------------------------------------------------------------------------
// Role transitions

void Raft::ResetRandomizedElectionTimeout() {
  randomized_election_timeout_ =
      election_timeout_ +
      static_cast<int>(NextRandom(rng_state_) %
                       static_cast<uint64_t>(election_timeout_));
}

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNone;
  }
  lead_ = kNone;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  AbortLeaderTransfer();
  trk_.ResetVotes();
  const uint64_t last = log_.LastIndex();
  trk_.Visit([&](uint64_t id, Progress& pr) {
    pr = Progress(
        id == id_ ? last : 0, last + 1,
        tracker::Inflights(trk_.max_inflight(), trk_.max_inflight_bytes()),
        pr.is_learner());
  });
  pending_conf_index_ = 0;
  uncommitted_size_ = 0;
  read_only_ = ReadOnly(read_only_.option());
}

void Raft::BecomeFollower(uint64_t term, uint64_t lead) {
  Reset(term);
  lead_ = lead;
  state_ = StateType::kFollower;
  CRAFT_INFOF(*logger_, "%x became follower at term %d", id_, term_);
}

void Raft::BecomeCandidate() {
  if (state_ == StateType::kLeader) {
    logger_->Panicf("invalid transition [leader -> candidate]");
  }
  Reset(term_ + 1);
  vote_ = id_;
  state_ = StateType::kCandidate;
  CRAFT_INFOF(*logger_, "%x became candidate at term %d", id_, term_);
}

void Raft::BecomePreCandidate() {
  if (state_ == StateType::kLeader) {
    logger_->Panicf("invalid transition [leader -> pre-candidate]");
  }
  // Only the role changes: the term and vote stay until the pre-vote wins.
  trk_.ResetVotes();
  lead_ = kNone;
  state_ = StateType::kPreCandidate;
  CRAFT_INFOF(*logger_, "%x became pre-candidate at term %d", id_, term_);
}

void Raft::BecomeLeader() {
  if (state_ == StateType::kFollower) {
    logger_->Panicf("invalid transition [follower -> leader]");
  }
  Reset(term_);
  lead_ = id_;
  state_ = StateType::kLeader;
  lease_guard_on_start_ = false;
  if (lease_) lease_->Reset();
  // Reset gave the leader's own progress its last index; the leader is
  // trivially replicating to itself, and always recently active.
  if (Progress* pr = trk_.GetProgress(id_)) {
    pr->BecomeReplicate();
    pr->set_recent_active(true);
  }
  // Whether or not a configuration change is pending in the unapplied
  // tail, refusing new ones until everything up to here is applied is safe
  // and avoids scanning the log.
  pending_conf_index_ = log_.LastIndex();
  // The empty entry commits the leader's term (Raft §5.4.2). Its payload is
  // empty, so the uncommitted size limit cannot refuse it.
  Entry empty = MakeEntry(0, 0);
  if (!AppendEntries(absl::MakeSpan(&empty, 1))) {
    logger_->Panicf("empty entry was dropped");
  }
  CRAFT_INFOF(*logger_, "%x became leader at term %d", id_, term_);
}

bool Raft::Promotable() const {
  const Progress* pr = trk_.GetProgress(id_);
  return pr != nullptr && !pr->is_learner() &&
         !log_.HasNextOrInProgressSnapshot();
}

// ---------------------------------------------------------------------------
// Elections

absl::Status Raft::Hup(CampaignType t) {
  if (state_ == StateType::kLeader) {
    CRAFT_DEBUGF(*logger_, "%x ignoring MsgHup because already leader", id_);
    return absl::OkStatus();
  }
  if (!Promotable()) {
    CRAFT_WARNINGF(*logger_, "%x is unpromotable and can not campaign", id_);
    return absl::OkStatus();
  }
  // A campaign asks for the next term, and a leader appends an entry: both
  // must stay in range.
  if (term_ >= kMaxTerm || log_.LastIndex() >= kMaxIndex) {
    CRAFT_ERRORF(
        *logger_,
        "%x cannot campaign at term %d with last index %d: out of range", id_,
        term_, log_.LastIndex());
    return absl::OutOfRangeError(absl::StrFormat(
        "cannot campaign past term %d or index %d", kMaxTerm, kMaxIndex));
  }
  if (HasUnappliedConfChanges()) {
    CRAFT_WARNINGF(
        *logger_,
        "%x cannot campaign at term %d since there are still pending "
        "configuration changes to apply",
        id_, term_);
    return absl::OkStatus();
  }
  CRAFT_INFOF(*logger_, "%x is starting a new election at term %d", id_, term_);
  Campaign(t);
  return absl::OkStatus();
}

bool Raft::HasUnappliedConfChanges() const {
  if (log_.applied() >= log_.committed()) return false;
  bool found = false;
  // Scan in pages bounded like the entries handed out for application.
  absl::Status s = log_.Scan(log_.applied() + 1, log_.committed() + 1, kNoLimit,
                             [&](absl::Span<const Entry> ents) {
                               for (const Entry& e : ents) {
                                 if (e.type() == raftpb::EntryConfChange ||
                                     e.type() == raftpb::EntryConfChangeV2) {
                                   found = true;
                                   return absl::CancelledError();
                                 }
                               }
                               return absl::OkStatus();
                             });
  if (!s.ok() && !found) {
    CRAFT_ERRORF(*logger_, "error scanning unapplied entries [%d, %d): %s",
                 log_.applied() + 1, log_.committed() + 1, s.message());
    // Without knowing, assume a change is pending: not campaigning is safe.
    return true;
  }
  return found;
}

void Raft::Campaign(CampaignType t) {
  if (!Promotable()) {
    CRAFT_WARNINGF(*logger_,
                   "%x is unpromotable; campaign() should have been called",
                   id_);
  }
  uint64_t term;
  raftpb::MessageType vote_msg;
  if (t == CampaignType::kPreElection) {
    BecomePreCandidate();
    vote_msg = raftpb::MsgPreVote;
    // Pre-votes ask for the next term without entering it.
    term = term_ + 1;
  } else {
    BecomeCandidate();
    vote_msg = raftpb::MsgVote;
    term = term_;
  }
  const EntryId last = log_.LastEntryId();
  for (uint64_t id : trk_.config().voters.Ids()) {
    if (id == id_) {
      // The candidate votes for itself once its vote is durable, through
      // the same path as any other vote.
      Message self = NewMessage(VoteRespMsgType(vote_msg), id);
      self.set_term(term);
      Send(std::move(self));
      continue;
    }
    CRAFT_INFOF(*logger_,
                "%x [logterm: %d, index: %d] sent %s request to %x at term %d",
                id_, last.term, last.index, TypeName(vote_msg), id, term_);
    Message m = NewMessage(vote_msg, id);
    m.set_term(term);
    m.set_index(last.index);
    m.set_log_term(last.term);
    if (t == CampaignType::kTransfer) {
      m.set_context(kCampaignTransfer);
    }
    Send(std::move(m));
  }
}

quorum::VoteResult Raft::Poll(uint64_t id, raftpb::MessageType t,
                              bool granted) {
  if (granted) {
    CRAFT_INFOF(*logger_, "%x received %s from %x at term %d", id_, TypeName(t),
                id, term_);
  } else {
    CRAFT_INFOF(*logger_, "%x received %s rejection from %x at term %d", id_,
                TypeName(t), id, term_);
  }
  trk_.RecordVote(id, granted);
  tracker::VoteTally tally = trk_.TallyVotes();
  CRAFT_INFOF(*logger_, "%x has received %d %s votes and %d vote rejections",
              id_, tally.granted, TypeName(t), tally.rejected);
  return tally.result;
}

// ---------------------------------------------------------------------------
// Step

absl::Status Raft::Step(Message&& m) {
  if (absl::Status s = ValidateMessage(m); !s.ok()) {
    CRAFT_WARNINGF(*logger_, "%x rejected a message: %s", id_, s.message());
    return s;
  }

  // Term handling common to every role.
  if (m.term() == 0) {
    // Local messages, and proposals or reads forwarded by followers.
  } else if (m.term() > term_) {
    if (m.type() == raftpb::MsgVote || m.type() == raftpb::MsgPreVote) {
      const bool force = m.context() == kCampaignTransfer;
      const bool in_lease = check_quorum_ &&
                            (lead_ != kNone || lease_guard_on_start_) &&
                            election_elapsed_ < election_timeout_;
      if (!force && in_lease) {
        // Heard from a live leader within the minimum election timeout:
        // neither grant the vote nor adopt the term (Raft thesis 4.2.3).
        const EntryId last = log_.LastEntryId();
        CRAFT_INFOF(*logger_,
                    "%x [logterm: %d, index: %d, vote: %x] ignored %s from %x "
                    "[logterm: %d, index: %d] at term %d: lease is not expired "
                    "(remaining ticks: %d)",
                    id_, last.term, last.index, vote_, TypeName(m.type()),
                    m.from(), m.log_term(), m.index(), term_,
                    election_timeout_ - election_elapsed_);
        return absl::OkStatus();
      }
    }
    if (m.type() == raftpb::MsgPreVote) {
      // A pre-vote never changes our term.
    } else if (m.type() == raftpb::MsgPreVoteResp && !m.reject()) {
      // Granted pre-votes carry the future term we asked about; the term
      // changes only once the pre-vote is won.
    } else {
      CRAFT_INFOF(
          *logger_,
          "%x [term: %d] received a %s message with higher term from %x "
          "[term: %d]",
          id_, term_, TypeName(m.type()), m.from(), m.term());
      if (m.type() == raftpb::MsgApp || m.type() == raftpb::MsgHeartbeat ||
          m.type() == raftpb::MsgSnap) {
        BecomeFollower(m.term(), m.from());
      } else {
        BecomeFollower(m.term(), kNone);
      }
    }
  } else if (m.term() < term_) {
    const bool stranded =
        lead_ == kNone && !trk_.config().voters.Contains(m.from());
    if ((check_quorum_ || pre_vote_ || !Promotable() || stranded) &&
        (m.type() == raftpb::MsgHeartbeat || m.type() == raftpb::MsgApp)) {
      // A leader of an older term is still around, perhaps because this node
      // advanced its term while partitioned. It would learn of the new term
      // from our vote requests, but not with CheckQuorum or PreVote (which
      // keep those from disrupting it), not when this node cannot campaign
      // (a learner, or a voter that has not yet applied the change that made
      // it one), and not when our configuration, older than the leader's,
      // does not count the leader as a voter (we never ask it) and our term
      // has no leader either: then, as the simulator found, the cluster
      // stalls for good. So tell it: the response carries our term and makes
      // it step down. (With a leader of our term in a configuration without
      // the sender, the sender was most likely removed: etcd-io/raft ignores
      // it, and so do we.)
      Send(NewMessage(raftpb::MsgAppResp, m.from()));
    } else if (m.type() == raftpb::MsgPreVote ||
               (m.type() == raftpb::MsgVote &&
                !trk_.config().voters.Contains(m.from()))) {
      // Reject explicitly: a pre-candidate that never hears back could
      // otherwise stall the cluster. So could a candidate that this node,
      // whose configuration does not count it as a voter, will never ask
      // for a vote itself: it would never learn of our term, as the
      // simulator found (a member lagging in an old configuration ran its
      // term up among the old members, ignoring the new member's requests).
      const EntryId last = log_.LastEntryId();
      CRAFT_INFOF(*logger_,
                  "%x [logterm: %d, index: %d, vote: %x] rejected %s from %x "
                  "[logterm: %d, index: %d] at term %d",
                  id_, last.term, last.index, vote_, TypeName(m.type()),
                  m.from(), m.log_term(), m.index(), term_);
      Send(VoteRejection(m));
    } else if (m.type() == raftpb::MsgStorageAppendResp) {
      StorageAppended(m.term(), {m.log_term(), m.index()}, SnapshotIdOf(m));
    } else {
      CRAFT_INFOF(
          *logger_,
          "%x [term: %d] ignored a %s message with lower term from %x [term: "
          "%d]",
          id_, term_, TypeName(m.type()), m.from(), m.term());
    }
    return absl::OkStatus();
  }

  if ((m.type() == raftpb::MsgVoteResp || m.type() == raftpb::MsgPreVoteResp) &&
      m.reject() && m.commit() > 0) {
    // A commit index vouched for by (index, term): if this log holds that
    // entry, the log up to it is the committed one (see VoteRejection).
    const EntryId at{m.log_term(), m.index()};
    if (m.commit() == m.index() && at.term != 0 && log_.MatchTerm(at)) {
      log_.CommitTo(at.index);
    }
  }

  switch (m.type()) {
    case raftpb::MsgHup:
      return Hup(pre_vote_ ? CampaignType::kPreElection
                           : CampaignType::kElection);
    case raftpb::MsgStorageAppendResp:
      StorageAppended(m.term(), {m.log_term(), m.index()}, SnapshotIdOf(m));
      return absl::OkStatus();
    case raftpb::MsgStorageApplyResp:
      if (m.entries_size() > 0) {
        const uint64_t index = m.entries(m.entries_size() - 1).index();
        // Only entries handed out for application can have been applied. (A
        // batch handed out before a snapshot was restored may complete
        // after it, below the applied index: nothing to do then.)
        if (index > log_.applying()) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "MsgStorageApplyResp for index %d past the entries handed out "
              "for application (%d)",
              index, log_.applying()));
        }
        Applied(index, EntriesSize(m.entries()), PayloadsSize(m.entries()));
      }
      return absl::OkStatus();
    case raftpb::MsgVote:
    case raftpb::MsgPreVote:
      return StepVote(m);
    default:
      break;
  }
  switch (state_) {
    case StateType::kLeader:
      return StepLeader(m);
    case StateType::kCandidate:
    case StateType::kPreCandidate:
      return StepCandidate(m);
    case StateType::kFollower:
      return StepFollower(m);
  }
  return absl::OkStatus();
}

absl::Status Raft::StepVote(const Message& m) {
  // We can vote for a repeat of our vote, when we have not voted and know
  // of no leader in this term, or for a pre-vote about a future term...
  const bool can_vote = vote_ == m.from() ||
                        (vote_ == kNone && lead_ == kNone) ||
                        (m.type() == raftpb::MsgPreVote && m.term() > term_);
  // ...if the candidate's log is at least as up-to-date as ours (§5.4.1).
  const EntryId last = log_.LastEntryId();
  const EntryId cand{m.log_term(), m.index()};
  if (can_vote && log_.IsUpToDate(cand)) {
    // Learners vote too: a learner may have been promoted by a change it has
    // not yet seen, and the candidate asking knows better.
    CRAFT_INFOF(
        *logger_,
        "%x [logterm: %d, index: %d, vote: %x] cast %s for %x [logterm: %d, "
        "index: %d] at term %d",
        id_, last.term, last.index, vote_, TypeName(m.type()), m.from(),
        cand.term, cand.index, term_);
    // The response carries the message's term, not ours: for pre-votes ours
    // may be older, and the candidate would ignore a stale response.
    Message resp = NewMessage(VoteRespMsgType(m.type()), m.from());
    resp.set_term(m.term());
    Send(std::move(resp));
    if (m.type() == raftpb::MsgVote) {
      election_elapsed_ = 0;
      vote_ = m.from();
    }
  } else {
    CRAFT_INFOF(
        *logger_,
        "%x [logterm: %d, index: %d, vote: %x] rejected %s from %x [logterm: "
        "%d, index: %d] at term %d",
        id_, last.term, last.index, vote_, TypeName(m.type()), m.from(),
        cand.term, cand.index, term_);
    Send(VoteRejection(m));
  }
  return absl::OkStatus();
}

Message Raft::VoteRejection(const Message& req) const {
  Message resp = NewMessage(VoteRespMsgType(req.type()), req.from());
  resp.set_term(term_);
  resp.set_reject(true);
  if (!Promotable() && log_.committed() > 0) {
    // This node cannot lead, and knows the configuration that left it so is
    // committed: a candidate asking for its vote may be a voter of that
    // configuration that has not learned the commit yet, still counting on
    // this node's vote (which its longer log makes it refuse), with no
    // leader left to tell it. Tell it what is committed, by index and term:
    // if it holds that entry, it holds everything up to it and may commit
    // as much. (The simulator found clusters stuck for good this way, after
    // a leader stepped down on its removal.)
    resp.set_commit(log_.committed());
    resp.set_index(log_.committed());
    resp.set_log_term(log_.TermOrZero(log_.committed()));
  }
  return resp;
}

absl::Status Raft::StepLeader(Message& m) {
  // Messages that need no progress for their sender.
  switch (m.type()) {
    case raftpb::MsgBeat:
      BcastHeartbeat();
      return absl::OkStatus();
    case raftpb::MsgCheckQuorum:
      if (!trk_.QuorumActive()) {
        CRAFT_WARNINGF(*logger_,
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
        MutableReads().held.push_back(std::move(m));
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
    CRAFT_DEBUGF(*logger_, "%x no progress available for %x", id_, m.from());
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
            *logger_,
            "%x snapshot succeeded, resumed sending replication messages to "
            "%x [%s]",
            id_, m.from(), pr->String());
      } else {
        // Probe from the follower's match: the snapshot never landed, so its
        // index says nothing about the follower's log.
        pr->clear_pending_snapshot();
        pr->BecomeProbe();
        CRAFT_DEBUGF(
            *logger_,
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
          *logger_,
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
  if (lead_transferee_ != kNone) {
    CRAFT_DEBUGF(
        *logger_,
        "%x [term %d] transfer leadership to %x is in progress; dropping "
        "proposal",
        id_, term_, lead_transferee_);
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
      if (!failed.empty() && !disable_conf_change_validation_) {
        CRAFT_INFOF(*logger_, "%x ignoring conf change %s at config %s: %s",
                    id_, cc_text[i], trk_.config().String(), failed);
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
        *logger_,
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
      CRAFT_DEBUGF(*logger_, "%x decreased progress of %x to [%s]", id_,
                   m.from(), pr.String());
      if (pr.state() == ProgressState::kReplicate) pr.BecomeProbe();
      SendAppend(m.from());
    }
    return;
  }
  if (m.index() > log_.LastIndex()) {
    CRAFT_WARNINGF(
        *logger_,
        "%x ignored MsgAppResp from %x acknowledging index %d past its last "
        "index %d",
        id_, m.from(), m.index(), log_.LastIndex());
    return;
  }
  if (m.from() != id_ && read_only_.option() == ReadOnlyOption::kLeaseBased) {
    if (lease_) lease_->AckedEntries(m.from(), m.index());
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
            *logger_,
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
  if (m.from() == lead_transferee_ && pr.match() == log_.LastIndex()) {
    CRAFT_INFOF(*logger_,
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
  if (!seq || *seq > read_seq_) return;
  if (read_only_.option() == ReadOnlyOption::kLeaseBased) {
    if (lease_) lease_->AckedHeartbeat(m.from(), *seq);
  }
  for (PendingRead& rs :
       read_only_.RecvAck(m.from(), *seq, trk_.config().voters)) {
    RespondToReadIndex(std::move(rs.req), rs.index);
  }
}

void Raft::StepLeaderTransfer(const Message& m, Progress& pr) {
  if (pr.is_learner()) {
    CRAFT_DEBUGF(*logger_, "%x is learner. Ignored transferring leadership",
                 id_);
    return;
  }
  const uint64_t transferee = m.from();
  if (lead_transferee_ != kNone) {
    if (lead_transferee_ == transferee) {
      CRAFT_INFOF(
          *logger_,
          "%x [term %d] transfer leadership to %x is in progress, ignores "
          "request to same node %x",
          id_, term_, transferee, transferee);
      return;
    }
    const uint64_t previous = lead_transferee_;
    AbortLeaderTransfer();
    CRAFT_INFOF(*logger_,
                "%x [term %d] abort previous transferring leadership to %x",
                id_, term_, previous);
  }
  if (transferee == id_) {
    CRAFT_DEBUGF(
        *logger_,
        "%x is already leader. Ignored transferring leadership to self", id_);
    return;
  }
  CRAFT_INFOF(*logger_, "%x [term %d] starts to transfer leadership to %x", id_,
              term_, transferee);
  // The transfer must finish within an election timeout.
  election_elapsed_ = 0;
  lead_transferee_ = transferee;
  if (pr.match() == log_.LastIndex()) {
    SendTimeoutNow(transferee);
    CRAFT_INFOF(*logger_,
                "%x sends MsgTimeoutNow to %x immediately as %x already has "
                "up-to-date log",
                id_, transferee, transferee);
  } else {
    SendAppend(transferee);
  }
}

absl::Status Raft::StepCandidate(Message& m) {
  // While a candidate, stale pre-vote responses of this term may arrive;
  // only responses to the current campaign count.
  const raftpb::MessageType my_resp = state_ == StateType::kPreCandidate
                                          ? raftpb::MsgPreVoteResp
                                          : raftpb::MsgVoteResp;
  switch (m.type()) {
    case raftpb::MsgProp:
      CRAFT_INFOF(*logger_, "%x no leader at term %d; dropping proposal", id_,
                  term_);
      return ProposalDroppedError();
    case raftpb::MsgApp:
      // Step only lets a leader's message of our own term get here (a
      // higher term made us a follower already): that node won this term.
      BecomeFollower(m.term(), m.from());
      HandleAppendEntries(m);
      return absl::OkStatus();
    case raftpb::MsgHeartbeat:
      BecomeFollower(m.term(), m.from());
      HandleHeartbeat(m);
      return absl::OkStatus();
    case raftpb::MsgSnap:
      BecomeFollower(m.term(), m.from());
      HandleSnapshot(m);
      return absl::OkStatus();
    case raftpb::MsgTimeoutNow:
      CRAFT_DEBUGF(*logger_,
                   "%x [term %d state %s] ignored MsgTimeoutNow from %x", id_,
                   term_, StateTypeName(state_), m.from());
      return absl::OkStatus();
    default:
      break;
  }
  if (m.type() == my_resp) {
    switch (Poll(m.from(), m.type(), !m.reject())) {
      case quorum::kVoteWon:
        if (state_ == StateType::kPreCandidate) {
          Campaign(CampaignType::kElection);
        } else if (!trk_.votes().contains(id_)) {
          // The others elected us, but our own vote (and with it the term)
          // is not durable yet: its response arrives once it is (with
          // asynchronous storage writes, possibly after theirs). A leader
          // that crashed before that could come back in the old term, win
          // this term a second time and append different entries at the
          // same index and term: log matching broken, as the simulator
          // found. Leading waits for our own vote.
          CRAFT_DEBUGF(
              *logger_,
              "%x has a quorum of votes at term %d; waiting for its own", id_,
              term_);
        } else {
          BecomeLeader();
          BcastAppend();
        }
        break;
      case quorum::kVoteLost:
        // A rejected pre-vote may carry a future term; stay at ours.
        BecomeFollower(term_, kNone);
        break;
      case quorum::kVotePending:
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status Raft::StepFollower(Message& m) {
  switch (m.type()) {
    case raftpb::MsgProp:
      if (lead_ == kNone) {
        CRAFT_INFOF(*logger_, "%x no leader at term %d; dropping proposal", id_,
                    term_);
        return ProposalDroppedError();
      }
      if (disable_proposal_forwarding_) {
        CRAFT_INFOF(
            *logger_,
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
        CRAFT_INFOF(*logger_,
                    "%x no leader at term %d; dropping leader transfer msg",
                    id_, term_);
        return absl::OkStatus();
      }
      m.set_to(lead_);
      m.clear_term();  // Send stamps ours
      Send(std::move(m));
      return absl::OkStatus();
    case raftpb::MsgForgetLeader:
      if (read_only_.option() == ReadOnlyOption::kLeaseBased) {
        // Lease-based reads rely on followers honouring the lease.
        CRAFT_ERRORF(*logger_,
                     "ignoring MsgForgetLeader due to ReadOnlyLeaseBased");
        return absl::OkStatus();
      }
      if (lead_ != kNone) {
        CRAFT_INFOF(*logger_, "%x forgetting leader %x at term %d", id_, lead_,
                    term_);
        lead_ = kNone;
      }
      return absl::OkStatus();
    case raftpb::MsgTimeoutNow:
      CRAFT_INFOF(
          *logger_,
          "%x [term %d] received MsgTimeoutNow from %x and starts an election "
          "to get leadership.",
          id_, term_, m.from());
      // A transfer skips pre-vote: the leader asked for it, there is no
      // partition to guard against.
      return Hup(CampaignType::kTransfer);
    case raftpb::MsgReadIndex:
      if (lead_ == kNone) {
        CRAFT_INFOF(*logger_,
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
            *logger_,
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
    CRAFT_ERRORF(*logger_, "%x rejected MsgApp from %x: %s", id_, m.from(),
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
      *logger_,
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
        *logger_,
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
    CRAFT_INFOF(*logger_,
                "%x [commit: %d] restored snapshot [index: %d, term: %d]", id_,
                log_.committed(), sindex, sterm);
    resp.set_index(log_.LastIndex());
  } else {
    CRAFT_INFOF(*logger_,
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
        *logger_,
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
        *logger_,
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
        *logger_,
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
    CRAFT_ERRORF(*logger_,
                 "%x unable to restore config %s: %s; ignoring snapshot", id_,
                 gofmt::ConfStateNamed(cs), restored.status().message());
    return false;
  }
  log_.Restore(std::move(s));
  trk_ = std::move(fresh);
  SwitchToConfig(std::move(restored->config), std::move(restored->progress));
  const EntryId last = log_.LastEntryId();
  CRAFT_INFOF(*logger_,
              "%x [commit: %d, lastindex: %d, lastterm: %d] restored snapshot "
              "[index: %d, term: %d]",
              id_, log_.committed(), last.index, last.term, id.index, id.term);
  return true;
}

// ---------------------------------------------------------------------------
// Ticks

void Raft::Tick() {
  if (state_ == StateType::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  // A node that cannot campaign (a learner) counts on: saturate.
  if (election_elapsed_ < std::numeric_limits<int>::max()) ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) lease_guard_on_start_ = false;
  if (Promotable() && PastElectionTimeout()) {
    election_elapsed_ = 0;
    Message m = NewMessage(raftpb::MsgHup, kNone);
    m.set_from(id_);
    if (absl::Status s = Step(std::move(m)); !s.ok()) {
      CRAFT_DEBUGF(*logger_, "error occurred during election: %s", s.message());
    }
  }
}

void Raft::TickHeartbeat() {
  if (lease_) lease_->Tick();
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) {
    election_elapsed_ = 0;
    if (check_quorum_) {
      Message m = NewMessage(raftpb::MsgCheckQuorum, kNone);
      m.set_from(id_);
      if (absl::Status s = Step(std::move(m)); !s.ok()) {
        CRAFT_DEBUGF(*logger_,
                     "error occurred during checking sending heartbeat: %s",
                     s.message());
      }
    }
    // A transfer that did not finish within an election timeout is
    // abandoned; this node leads on.
    if (state_ == StateType::kLeader && lead_transferee_ != kNone) {
      AbortLeaderTransfer();
    }
  }
  if (state_ != StateType::kLeader) return;
  if (heartbeat_elapsed_ >= heartbeat_timeout_) {
    heartbeat_elapsed_ = 0;
    Message m = NewMessage(raftpb::MsgBeat, kNone);
    m.set_from(id_);
    if (absl::Status s = Step(std::move(m)); !s.ok()) {
      CRAFT_DEBUGF(*logger_,
                   "error occurred during checking sending heartbeat: %s",
                   s.message());
    }
  }
}

// ---------------------------------------------------------------------------
// Membership

absl::StatusOr<raftpb::ConfState> Raft::ApplyConfChange(
    const raftpb::ConfChangeV2& cc) {
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
  CRAFT_INFOF(*logger_, "%x switched to configuration %s", id_,
              trk_.config().String());
  raftpb::ConfState cs = trk_.ConfState();
  const Progress* pr = trk_.GetProgress(id_);
  is_learner_ = pr != nullptr && pr->is_learner();

  if ((pr == nullptr || is_learner_) && state_ == StateType::kLeader) {
    // This leader was removed or demoted. It keeps leading (and replicating
    // what it has) unless asked to step down.
    if (step_down_on_removal_) BecomeFollower(term_, kNone);
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
  if (lead_transferee_ != kNone &&
      !trk_.config().voters.Contains(lead_transferee_)) {
    AbortLeaderTransfer();
  }
  return cs;
}

absl::Status Raft::Bootstrap(absl::Span<const raftpb::ConfChange> peers) {
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

// ---------------------------------------------------------------------------
// Reads

Raft::Reads& Raft::MutableReads() {
  if (reads_ == nullptr) reads_ = std::make_unique<Reads>();
  return *reads_;
}

void Raft::AddReadState(ReadState rs) {
  std::vector<ReadState>& states = MutableReads().states;
  BufferCache<ReadState>::Reserve(states);
  states.push_back(std::move(rs));
}

bool Raft::CommittedEntryInCurrentTerm() const {
  return log_.TermOrZero(log_.committed()) == term_;
}

void Raft::RespondToReadIndex(Message req, uint64_t read_index) {
  if (req.from() == kNone || req.from() == id_) {
    AddReadState(ReadState{read_index, req.entries(0).data().ToString()});
    return;
  }
  Message resp = NewMessage(raftpb::MsgReadIndexResp, req.from());
  resp.set_index(read_index);
  *resp.mutable_entries() = std::move(*req.mutable_entries());
  Send(std::move(resp));
}

void Raft::SendReadIndexResponse(Message m) {
  if (trk_.IsSingleton() && trk_.config().voters.Contains(id_)) {
    // The only voter needs no confirmation. (A leader removed from the
    // configuration is not that voter: the remaining one may have elected
    // itself and moved on, so it must confirm like anyone.)
    RespondToReadIndex(std::move(m), log_.committed());
    return;
  }
  // A leader under a valid lease knows no other leader can have been
  // elected: it answers at once. Otherwise, and always with safe reads, it
  // confirms its leadership with a heartbeat round that starts after the
  // request arrived.
  if (read_only_.option() == ReadOnlyOption::kLeaseBased &&
      lease_->Valid(trk_.config().voters, id_)) {
    RespondToReadIndex(std::move(m), log_.committed());
    return;
  }
  const uint64_t seq = ++read_seq_;
  read_only_.AddRequest(seq, log_.committed(), std::move(m));
  BcastReadHeartbeat(seq);
}

void Raft::ReleasePendingReadIndexMessages() {
  if (reads_ == nullptr || reads_->held.empty()) return;
  if (!CommittedEntryInCurrentTerm()) {
    CRAFT_ERRORF(
        *logger_,
        "pending MsgReadIndex should be released only after first commit in "
        "current term");
    return;
  }
  std::vector<Message> msgs = std::move(reads_->held);
  reads_->held.clear();
  for (Message& m : msgs) SendReadIndexResponse(std::move(m));
}

}  // namespace craft
