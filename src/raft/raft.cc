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

// A small, well-mixed generator for election timeouts: a Weyl sequence
// through murmur3's 32-bit finalizer. (32 bits of state: a process may hold
// thousands of groups, and a timeout needs a few bits.)
uint32_t NextRandom(uint32_t& state) {
  uint32_t z = (state += 0x9e3779b9U);
  z = (z ^ (z >> 16)) * 0x85ebca6bU;
  z = (z ^ (z >> 13)) * 0xc2b2ae35U;
  return z ^ (z >> 16);
}

// The generator's first state for a node: the seed mixed with the id, so
// that nodes seeded alike still draw differently.
uint32_t RandomState(uint64_t seed, uint64_t id) {
  const uint64_t x = seed ^ (id * 0x9e3779b97f4a7c15ULL);
  return static_cast<uint32_t>(x ^ (x >> 32));
}

// The (term, index) of the snapshot a message carries, if any.
std::optional<EntryId> SnapshotIdOf(const Message& m) {
  if (!m.has_snapshot()) return std::nullopt;
  return EntryId{m.snapshot().metadata().term(),
                 m.snapshot().metadata().index()};
}

// Checks the parts of a peer's message that the handlers rely on, so that
// a malformed message is refused before it changes any state. (RawNode
// checks the envelope: sender, recipient and term.)
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
  std::unique_ptr<Raft> r(new Raft(config, *std::move(log)));
  if (absl::Status s = r->Init(config); !s.ok()) return s;
  return r;
}

Raft::Settings Raft::SettingsOf(const Config& c) {
  Settings s;
  s.max_msg_size = c.max_size_per_msg;
  s.max_uncommitted_size = c.max_uncommitted_entries_size != 0
                               ? c.max_uncommitted_entries_size
                               : kNoLimit;
  s.heartbeat_timeout = c.heartbeat_tick;
  s.election_timeout = c.election_tick;
  s.disable_conf_change_validation = c.disable_conf_change_validation;
  s.check_quorum = c.check_quorum;
  s.pre_vote = c.pre_vote;
  s.disable_proposal_forwarding = c.disable_proposal_forwarding;
  s.step_down_on_removal = c.step_down_on_removal;
  s.batch_appends = c.batch_appends;
  s.async_storage_writes = c.async_storage_writes;
  s.lease_based_reads = c.read_only_option == ReadOnlyOption::kLeaseBased;
  return s;
}

Raft::Raft(const Config& c, RaftLog log)
    : id_(c.id),
      settings_(SettingsOf(c)),
      log_(std::move(log)),
      trk_(static_cast<size_t>(c.max_inflight_msgs),
           c.max_inflight_bytes != 0 ? c.max_inflight_bytes : kNoLimit),
      rng_state_(RandomState(c.random_seed, c.id)) {}

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
      CRAFT_INFOF(log_.logger(),
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
        settings_->check_quorum && lease_based_reads() && hs.term() > 0;
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
  CRAFT_INFOF(log_.logger(),
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
  FlushHeartbeats();  // sent first, as they were due first
  if (m.from() == kNone) m.set_from(id_);
  const raftpb::MessageType t = m.type();
  if (t == raftpb::MsgVote || t == raftpb::MsgVoteResp ||
      t == raftpb::MsgPreVote || t == raftpb::MsgPreVoteResp) {
    // Campaign messages carry the term they are about, which is not always
    // ours (pre-votes are for the next term).
    if (m.term() == 0) {
      log_.logger().Panicf("term should be set when sending %s",
                           MessageTypeName(t));
    }
  } else {
    if (m.term() != 0) {
      log_.logger().Panicf("term should not be set when sending %s (was %d)",
                           MessageTypeName(t), m.term());
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
    BufferCache<Message>::Reserve(msgs_);
    msgs_.push_back(std::move(m));
  } else {
    if (m.to() == id_) {
      log_.logger().Panicf(
          "message should not be self-addressed when sending %s",
          MessageTypeName(t));
    }
    BufferCache<Message>::Reserve(msgs_);
    msgs_.insert(msgs_.begin() + after_append_start_, std::move(m));
    ++after_append_start_;
  }
}

void Raft::TakeMessages(std::vector<Message>* msgs,
                        std::vector<Message>* after_append) {
  FlushHeartbeats();
  const size_t split = after_append_start_;
  after_append_start_ = 0;
  if (split == msgs_.size()) {
    BufferCache<Message>::MoveInto(msgs_, msgs);
    return;
  }
  if (split > 0) {
    BufferCache<Message>::Reserve(*msgs);
    for (size_t i = 0; i < split; ++i) msgs->push_back(std::move(msgs_[i]));
    msgs_.erase(msgs_.begin(), msgs_.begin() + split);
  }
  BufferCache<Message>::MoveInto(msgs_, after_append);
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
    fetched =
        log_.Entries(pr.next(), settings_->max_msg_size, m.mutable_entries());
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
        log_.logger(),
        "ignore sending snapshot to %x since it is not recently active", to);
    return false;
  }
  absl::StatusOr<raftpb::Snapshot> snap = log_.Snapshot();
  if (!snap.ok()) {
    if (IsSnapshotTemporarilyUnavailable(snap.status())) {
      CRAFT_DEBUGF(
          log_.logger(),
          "%x failed to send snapshot to %x because snapshot is temporarily "
          "unavailable",
          id_, to);
    } else {
      CRAFT_ERRORF(log_.logger(), "%x failed to get a snapshot for %x: %s", id_,
                   to, snap.status().message());
    }
    return false;
  }
  if (IsEmptySnapshot(*snap)) {
    CRAFT_ERRORF(
        log_.logger(),
        "%x needs a snapshot for %x but the storage has none; retrying later",
        id_, to);
    return false;
  }
  const uint64_t sindex = snap->metadata().index();
  const uint64_t sterm = snap->metadata().term();
  CRAFT_DEBUGF(
      log_.logger(),
      "%x [firstindex: %d, commit: %d] sent snapshot[index: %d, term: %d] to "
      "%x [%s]",
      id_, log_.FirstIndex(), log_.committed(), sindex, sterm, to, pr.String());
  pr.BecomeSnapshot(sindex);
  CRAFT_DEBUGF(log_.logger(),
               "%x paused sending replication messages to %x [%s]", id_, to,
               pr.String());
  Message m = NewMessage(raftpb::MsgSnap, to);
  *m.mutable_snapshot() = *std::move(snap);
  Send(std::move(m));
  return true;
}

void Raft::SendHeartbeat(uint64_t to, const Payload& ctx) {
  Progress* pr = trk_.GetProgress(to);
  const uint64_t commit = HeartbeatCommit(*pr);
  Message m = NewMessage(raftpb::MsgHeartbeat, to);
  m.set_commit(commit);
  if (!ctx.empty()) m.set_context(ctx);
  Send(std::move(m));
  pr->SentCommit(commit);
}

void Raft::BcastAppend() {
  if (settings_->batch_appends) {
    appends_pending_ = true;
    return;
  }
  trk_.Visit([&](uint64_t id, const Progress&) {
    if (id != id_) SendAppend(id);
  });
}

void Raft::FlushAppends() {
  FlushHeartbeats();
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
  if (lease_based_reads()) {
    // Every round renews the lease: it carries a fresh sequence number, so
    // that each response says which round it answers.
    BcastReadHeartbeat(++MutableRare().seq);
    return;
  }
  std::optional<uint64_t> seq =
      rare_ != nullptr ? rare_->read_only.LastPendingSeq() : std::nullopt;
  if (seq) {
    BcastHeartbeatWithCtx(Payload(ReadOnly::EncodeContext(*seq)));
    return;
  }
  // The common round, with no read to confirm, is built later (see
  // heartbeats_pending_); what it tells each follower is recorded now.
  // (A leader alone in its configuration has no one to send to: no round.)
  FlushHeartbeats();
  trk_.Visit([&](uint64_t id, Progress& pr) {
    if (id == id_) return;
    pr.SentCommit(HeartbeatCommit(pr));
    heartbeats_pending_ = true;
  });
}

void Raft::FlushHeartbeats() {
  if (!heartbeats_pending_) return;
  heartbeats_pending_ = false;
  BcastHeartbeatWithCtx(Payload());
}

void Raft::BcastReadHeartbeat(uint64_t seq) {
  if (LeaderLease* l = lease()) l->HeartbeatSent(seq);
  // The leader acknowledges its own round; with no other voters needed
  // that may already confirm pending reads.
  for (PendingRead& rs :
       MutableRare().read_only.RecvAck(id_, seq, trk_.config().voters)) {
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
  if (LeaderLease* l = lease()) l->Revoke();
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
    if (absl::Status s = Step(std::move(m)); !s.ok()) {
      // Proposing changes no configuration (applying does): the one
      // logged is the one being left.
      CRAFT_DEBUGF(
          log_.logger(),
          "not initiating automatic transition out of joint configuration "
          "%s: %s",
          trk_.config().String(), s.message());
    } else {
      CRAFT_INFOF(
          log_.logger(),
          "initiating automatic transition out of joint configuration %s",
          trk_.config().String());
    }
  }
}

void Raft::Applied(uint64_t index, uint64_t size, uint64_t payload_size) {
  FlushHeartbeats();
  AppliedTo(index, size);
  ReduceUncommittedSize(payload_size);
}

void Raft::AppliedSnapshot(EntryId snap) {
  log_.StableSnapTo(snap);
  AppliedTo(snap.index, 0);
}

void Raft::StorageAppended(uint64_t term, EntryId last,
                           std::optional<EntryId> snap) {
  FlushHeartbeats();
  if (term != 0 && term < term_) {
    if (last.index != 0) {
      // Entries written under an older term may since have been replaced
      // in the unstable log; their acknowledgement proves nothing now.
      CRAFT_INFOF(log_.logger(),
                  "%x [term: %d] ignored entry appends from a %s message with "
                  "lower term [term: %d]",
                  id_, term_, MessageTypeName(raftpb::MsgStorageAppendResp),
                  term);
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
        log_.logger(),
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
        log_.logger(),
        "%x appending new entries to log would exceed uncommitted entry size "
        "limit; dropping proposal",
        id_);
    return false;
  }
  absl::StatusOr<uint64_t> new_last = log_.Append(ents);
  if (!new_last.ok()) {
    CRAFT_ERRORF(log_.logger(), "%x failed to append proposed entries: %s", id_,
                 new_last.status().message());
    return false;
  }
  if (LeaderLease* l = lease()) l->Appended(last + 1);
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
      (uncommitted_size_ + s > settings_->max_uncommitted_size ||
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
      settings_->election_timeout +
      static_cast<int>(NextRandom(rng_state_) %
                       static_cast<uint32_t>(settings_->election_timeout));
}

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNone;
    term_or_vote_changed_ = true;
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
  if (rare_ != nullptr) rare_->read_only = ReadOnly();
}

void Raft::BecomeFollower(uint64_t term, uint64_t lead) {
  Reset(term);
  lead_ = lead;
  state_ = StateType::kFollower;
  CRAFT_INFOF(log_.logger(), "%x became follower at term %d", id_, term_);
}

void Raft::BecomeCandidate() {
  if (state_ == StateType::kLeader) {
    log_.logger().Panicf("invalid transition [leader -> candidate]");
  }
  Reset(term_ + 1);
  vote_ = id_;  // (a new term: Reset noted the change)
  state_ = StateType::kCandidate;
  CRAFT_INFOF(log_.logger(), "%x became candidate at term %d", id_, term_);
}

void Raft::BecomePreCandidate() {
  if (state_ == StateType::kLeader) {
    log_.logger().Panicf("invalid transition [leader -> pre-candidate]");
  }
  // Only the role changes: the term and vote stay until the pre-vote wins.
  trk_.ResetVotes();
  lead_ = kNone;
  state_ = StateType::kPreCandidate;
  CRAFT_INFOF(log_.logger(), "%x became pre-candidate at term %d", id_, term_);
}

void Raft::BecomeLeader() {
  if (state_ == StateType::kFollower) {
    log_.logger().Panicf("invalid transition [follower -> leader]");
  }
  Reset(term_);
  lead_ = id_;
  state_ = StateType::kLeader;
  lease_guard_on_start_ = false;
  if (LeaderLease* l = lease()) l->Reset();
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
    log_.logger().Panicf("empty entry was dropped");
  }
  CRAFT_INFOF(log_.logger(), "%x became leader at term %d", id_, term_);
}

bool Raft::Promotable() const {
  const Progress* pr = trk_.GetProgress(id_);
  return pr != nullptr && !pr->is_learner() &&
         !log_.HasNextOrInProgressSnapshot();
}

// ---------------------------------------------------------------------------
// Step

absl::Status Raft::Step(Message&& m) {
  // Everything below may change what a due heartbeat round would say.
  FlushHeartbeats();
  if (absl::Status s = ValidateMessage(m); !s.ok()) {
    CRAFT_WARNINGF(log_.logger(), "%x rejected a message: %s", id_,
                   s.message());
    return s;
  }

  // Term handling common to every role.
  if (m.term() == 0) {
    // Local messages, and proposals or reads forwarded by followers.
  } else if (m.term() > term_) {
    if (m.type() == raftpb::MsgVote || m.type() == raftpb::MsgPreVote) {
      const bool force = m.context() == kCampaignTransfer;
      const bool in_lease = settings_->check_quorum &&
                            (lead_ != kNone || lease_guard_on_start_) &&
                            election_elapsed_ < settings_->election_timeout;
      if (!force && in_lease) {
        // Heard from a live leader within the minimum election timeout:
        // neither grant the vote nor adopt the term (Raft thesis 4.2.3).
        const EntryId last = log_.LastEntryId();
        CRAFT_INFOF(log_.logger(),
                    "%x [logterm: %d, index: %d, vote: %x] ignored %s from %x "
                    "[logterm: %d, index: %d] at term %d: lease is not expired "
                    "(remaining ticks: %d)",
                    id_, last.term, last.index, vote_,
                    MessageTypeName(m.type()), m.from(), m.log_term(),
                    m.index(), term_,
                    settings_->election_timeout - election_elapsed_);
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
          log_.logger(),
          "%x [term: %d] received a %s message with higher term from %x "
          "[term: %d]",
          id_, term_, MessageTypeName(m.type()), m.from(), m.term());
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
    if ((settings_->check_quorum || settings_->pre_vote || !Promotable() ||
         stranded) &&
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
      CRAFT_INFOF(log_.logger(),
                  "%x [logterm: %d, index: %d, vote: %x] rejected %s from %x "
                  "[logterm: %d, index: %d] at term %d",
                  id_, last.term, last.index, vote_, MessageTypeName(m.type()),
                  m.from(), m.log_term(), m.index(), term_);
      Send(VoteRejection(m));
    } else if (m.type() == raftpb::MsgStorageAppendResp) {
      StorageAppended(m.term(), {m.log_term(), m.index()}, SnapshotIdOf(m));
    } else {
      CRAFT_INFOF(
          log_.logger(),
          "%x [term: %d] ignored a %s message with lower term from %x [term: "
          "%d]",
          id_, term_, MessageTypeName(m.type()), m.from(), m.term());
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
      return Hup(settings_->pre_vote ? CampaignType::kPreElection
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

// ---------------------------------------------------------------------------
// Ticks

void Raft::Tick() {
  FlushHeartbeats();
  if (state_ == StateType::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  // A node that cannot campaign (a learner) counts on: saturate.
  if (election_elapsed_ < std::numeric_limits<int>::max()) ++election_elapsed_;
  if (election_elapsed_ >= settings_->election_timeout)
    lease_guard_on_start_ = false;
  if (Promotable() && PastElectionTimeout()) {
    election_elapsed_ = 0;
    Message m = NewMessage(raftpb::MsgHup, kNone);
    m.set_from(id_);
    if (absl::Status s = Step(std::move(m)); !s.ok()) {
      CRAFT_DEBUGF(log_.logger(), "error occurred during election: %s",
                   s.message());
    }
  }
}

void Raft::TickHeartbeat() {
  if (LeaderLease* l = lease()) l->Tick();
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= settings_->election_timeout) {
    election_elapsed_ = 0;
    if (settings_->check_quorum) {
      Message m = NewMessage(raftpb::MsgCheckQuorum, kNone);
      m.set_from(id_);
      if (absl::Status s = Step(std::move(m)); !s.ok()) {
        CRAFT_DEBUGF(log_.logger(),
                     "error occurred during checking sending heartbeat: %s",
                     s.message());
      }
    }
    // A transfer that did not finish within an election timeout is
    // abandoned; this node leads on.
    if (state_ == StateType::kLeader && lead_transferee() != kNone) {
      AbortLeaderTransfer();
    }
  }
  if (state_ != StateType::kLeader) return;
  if (heartbeat_elapsed_ >= settings_->heartbeat_timeout) {
    heartbeat_elapsed_ = 0;
    Message m = NewMessage(raftpb::MsgBeat, kNone);
    m.set_from(id_);
    if (absl::Status s = Step(std::move(m)); !s.ok()) {
      CRAFT_DEBUGF(log_.logger(),
                   "error occurred during checking sending heartbeat: %s",
                   s.message());
    }
  }
}

}  // namespace craft
