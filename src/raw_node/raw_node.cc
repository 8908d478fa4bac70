#include "craft/raw_node.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/str_format.h"
#include "craft/confchange/conversions.h"
#include "craft/errors.h"
#include "logger/log.h"
#include "raft/messages.h"
#include "raft/raft.h"
#include "util/buffer_cache.h"

namespace craft {
namespace {

Message ConfChangeProposal(raftpb::EntryType type, std::string data) {
  Message m;
  m.set_type(raftpb::MsgProp);
  Entry* e = m.add_entries();
  e->set_type(type);
  if (!data.empty()) e->set_data(std::move(data));
  return m;
}

// Checks the envelope of a message from a peer: who sent it, to whom, and
// with which term. (Raft::Step checks the payloads.)
absl::Status ValidatePeerMessage(const Message& m, uint64_t self) {
  const raftpb::MessageType t = m.type();
  // A node messages itself only with the responses that wait for its own
  // storage writes (stepped back by the application with asynchronous
  // writes), and never rejects its own appends or votes. A proposal, read
  // or transfer request forwarded through other nodes keeps its original
  // sender, which may be this node: a follower's proposal that reached its
  // old leader comes back to it once it leads itself.
  const bool self_allowed =
      ((t == raftpb::MsgAppResp || t == raftpb::MsgVoteResp ||
        t == raftpb::MsgPreVoteResp) &&
       !m.reject()) ||
      t == raftpb::MsgProp || t == raftpb::MsgReadIndex ||
      t == raftpb::MsgTransferLeader;
  if (m.from() == kNone || IsLocalMsgTarget(m.from()) ||
      (m.from() == self && !self_allowed)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s from invalid sender %d", MessageTypeName(t), m.from()));
  }
  if (m.to() != self) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s for %d stepped into %d", MessageTypeName(t), m.to(), self));
  }
  // Only proposals and reads travel without a term (a follower forwards
  // them as they are valid in any term). Anything else without one would
  // be taken for a message of the receiver's own term, whatever term its
  // sender is really in.
  if (m.term() == 0 && t != raftpb::MsgProp && t != raftpb::MsgReadIndex) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s from %d without a term", MessageTypeName(t), m.from()));
  }
  if (m.term() > kMaxTerm) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s from %d: term %d is out of range",
                        MessageTypeName(t), m.from(), m.term()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawNode>> RawNode::Create(const Config& config) {
  absl::StatusOr<std::unique_ptr<Raft>> raft = Raft::Create(config);
  if (!raft.ok()) return raft.status();
  return std::unique_ptr<RawNode>(new RawNode(*std::move(raft)));
}

RawNode::RawNode(std::unique_ptr<Raft> raft) : raft_(std::move(raft)) {
  prev_soft_state_ = raft_->soft_state();
  // Restoring the node changed nothing that was not already persisted.
  raft_->TakeHardStateChanges();
}

RawNode::~RawNode() = default;

absl::Status RawNode::Bootstrap(absl::Span<const Peer> peers) {
  std::vector<raftpb::ConfChange> ccs;
  ccs.reserve(peers.size());
  for (const Peer& p : peers) {
    raftpb::ConfChange cc;
    cc.set_type(raftpb::ConfChangeAddNode);
    cc.set_node_id(p.id);
    if (!p.context.empty()) cc.set_context(p.context);
    ccs.push_back(std::move(cc));
  }
  if (absl::Status s = raft_->Bootstrap(ccs); !s.ok()) return s;
  // Nothing was persisted yet: the first Ready reports the full HardState.
  raft_->MarkHardStateChanged();
  return absl::OkStatus();
}

void RawNode::Tick() { raft_->Tick(); }

absl::Status RawNode::Campaign() {
  Message m;
  m.set_type(raftpb::MsgHup);
  return raft_->Step(std::move(m));
}

absl::Status RawNode::Propose(absl::string_view data) {
  return Propose(Payload(data));
}

namespace {

// Adds one normal entry holding `data` to the MsgProp `m`. (A Payload
// taken by value is moved in: a copy of a payload is an atomic increment,
// and its destruction a decrement.)
template <typename P>
void AddProposedEntry(Message& m, P&& data) {
  Entry* e = m.add_entries();
  e->set_type(raftpb::EntryNormal);
  if (!data.empty()) e->set_data(std::forward<P>(data));
}

}  // namespace

absl::Status RawNode::Propose(Payload data) {
  Message m = NewMessage(raftpb::MsgProp, kNone, raft_->id());
  AddProposedEntry(m, std::move(data));
  return raft_->Step(std::move(m));
}

absl::Status RawNode::Propose(absl::Span<const Payload> data) {
  Message m = NewMessage(raftpb::MsgProp, kNone, raft_->id());
  m.mutable_entries()->reserve(data.size());
  for (const Payload& p : data) AddProposedEntry(m, p);
  return raft_->Step(std::move(m));
}

absl::Status RawNode::ProposeConfChange(const raftpb::ConfChange& cc) {
  return raft_->Step(ConfChangeProposal(
      raftpb::EntryConfChange, confchange::Canonical(cc).SerializeAsString()));
}

absl::Status RawNode::ProposeConfChange(const raftpb::ConfChangeV2& cc) {
  return raft_->Step(
      ConfChangeProposal(raftpb::EntryConfChangeV2,
                         confchange::Canonical(cc).SerializeAsString()));
}

absl::StatusOr<raftpb::ConfState> RawNode::ApplyConfChange(
    const raftpb::ConfChange& cc) {
  if (absl::Status s = confchange::Validate(cc); !s.ok()) return s;
  return raft_->ApplyConfChange(confchange::AsV2(cc));
}

absl::StatusOr<raftpb::ConfState> RawNode::ApplyConfChange(
    const raftpb::ConfChangeV2& cc) {
  return raft_->ApplyConfChange(cc);
}

absl::Status RawNode::Step(Message&& m) {
  return StepMessage(std::move(m), /*from_network=*/false);
}

absl::Status RawNode::StepFromPeer(Message&& m) {
  return StepMessage(std::move(m), /*from_network=*/true);
}

absl::Status RawNode::StepMessage(Message&& m, bool from_network) {
  if (!m.has_type()) {
    // proto2 keeps an unknown enum value out of the field: the message
    // would read as its default type, MsgHup.
    return absl::InvalidArgumentError("message of a type unknown to craft");
  }
  const raftpb::MessageType t = m.type();
  if (IsLocalMsg(t)) {
    // The storage threads' responses are the only local messages stepped
    // from outside, and only when there are storage threads: a forged
    // acknowledgement would mark entries durable that are not.
    const bool storage_response =
        (t == raftpb::MsgStorageAppendResp && m.from() == kLocalAppendThread) ||
        (t == raftpb::MsgStorageApplyResp && m.from() == kLocalApplyThread);
    if (!storage_response || from_network) return StepLocalMsgError();
    if (!raft_->async_storage_writes()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s without asynchronous storage writes", MessageTypeName(t)));
    }
    return raft_->Step(std::move(m));
  }
  // A proposal stepped in by the application itself, without a sender, is
  // this node's own (etcd-io/raft accepts it so): a batch of entries
  // proposed in one message, addressed to this node whether or not it
  // says so. From the network it stays refused.
  if (t == raftpb::MsgProp && m.from() == kNone && !from_network) {
    m.set_from(raft_->id());
    if (m.to() == kNone) m.set_to(raft_->id());
  }
  // A response from a node outside the configuration is refused, unless it
  // is this node's own: a leader removed from the configuration still
  // acknowledges its own appends (and ignores the acknowledgement), with or
  // without asynchronous storage writes.
  if (IsResponseMsg(t) && m.from() != raft_->id() &&
      !IsLocalMsgTarget(m.from()) &&
      raft_->tracker().GetProgress(m.from()) == nullptr) {
    return StepPeerNotFoundError();
  }
  if (absl::Status s = ValidatePeerMessage(m, raft_->id()); !s.ok()) {
    return s;
  }
  return raft_->Step(std::move(m));
}

bool RawNode::ApplyUnstableEntries() const {
  // Synchronous writes persist entries before applying them within the same
  // Ready, so committed entries may be handed out while still unstable.
  return !raft_->async_storage_writes();
}

bool RawNode::HasReady() const {
  Raft& r = *raft_;
  if (!(r.soft_state() == prev_soft_state_)) return true;
  if (r.hard_state_changes().any()) return true;
  const RaftLog& log = r.raft_log();
  if (log.HasNextUnstableSnapshot() || r.HasOutput()) return true;
  return log.HasNextUnstableEnts() ||
         log.HasNextCommittedEnts(ApplyUnstableEntries());
}

bool RawNode::NeedStorageAppendRespMsg(const Ready& rd) const {
  return raft_->raft_log().HasNextOrInProgressUnstableEnts() ||
         !IsEmptySnapshot(rd.snapshot);
}

// Inlined into both callers: returned through memory from a call, the
// struct is read back wider than it was written, which stalls the load.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline RawNode::PendingStable RawNode::StableState(
    const Ready& rd) const {
  PendingStable s;
  // The term guards against an ABA race: if the term changes before the
  // acknowledgement returns, entries it acknowledges may have been
  // overwritten in the unstable log and written again, so it is ignored.
  s.term = raft_->term();
  const RaftLog& log = raft_->raft_log();
  if (log.HasNextOrInProgressUnstableEnts()) {
    // Acknowledge the whole unstable log, not only this Ready's entries, so
    // that a later acknowledgement can stabilize entries whose own was
    // ignored after a term change.
    const EntryId last = log.LastEntryId();
    s.last_term = last.term;
    s.last_index = last.index;
  }
  s.snap_term = rd.snapshot.metadata().term();
  s.snap_index = rd.snapshot.metadata().index();
  return s;
}

Message RawNode::NewStorageAppendRespMsg(const Ready& rd) const {
  const PendingStable s = StableState(rd);
  Message m =
      NewMessage(raftpb::MsgStorageAppendResp, raft_->id(), kLocalAppendThread);
  m.set_term(s.term);
  if (s.last_index != 0) {
    m.set_index(s.last_index);
    m.set_log_term(s.last_term);
  }
  if (!IsEmptySnapshot(rd.snapshot)) *m.mutable_snapshot() = rd.snapshot;
  return m;
}

// With asynchronous storage writes, the Ready's writes go to the local
// storage threads as messages, after everything that may be sent at once.
void RawNode::AddStorageMessages(Ready& rd,
                                 std::vector<Message>& after_append) {
  if (!rd.entries.empty() || !IsEmptyHardState(rd.hard_state) ||
      !IsEmptySnapshot(rd.snapshot) || !after_append.empty()) {
    Message m =
        NewMessage(raftpb::MsgStorageAppend, kLocalAppendThread, raft_->id());
    for (const Entry& e : rd.entries) *m.add_entries() = e;
    if (!IsEmptyHardState(rd.hard_state)) {
      m.set_term(rd.hard_state.term());
      m.set_vote(rd.hard_state.vote());
      m.set_commit(rd.hard_state.commit());
    }
    if (!IsEmptySnapshot(rd.snapshot)) *m.mutable_snapshot() = rd.snapshot;
    // Delivered once the write is durable. The self-addressed MsgAppResp
    // must come before the MsgStorageAppendResp, so that it is handled
    // while the entries are still in the unstable log.
    for (Message& resp : after_append) {
      *m.add_responses() = std::move(resp);
    }
    if (NeedStorageAppendRespMsg(rd)) {
      *m.add_responses() = NewStorageAppendRespMsg(rd);
    }
    BufferCache<Message>::Reserve(rd.messages);
    rd.messages.push_back(std::move(m));
  }
  if (!rd.committed_entries.empty()) {
    Message m =
        NewMessage(raftpb::MsgStorageApply, kLocalApplyThread, raft_->id());
    m.set_term(0);
    for (const Entry& e : rd.committed_entries) *m.add_entries() = e;
    Message resp =
        NewMessage(raftpb::MsgStorageApplyResp, raft_->id(), kLocalApplyThread);
    resp.set_term(0);  // applying committed entries is term-independent
    *resp.mutable_entries() = m.entries();
    *m.add_responses() = std::move(resp);
    BufferCache<Message>::Reserve(rd.messages);
    rd.messages.push_back(std::move(m));
  }
}

// Without asynchronous storage writes, what the storage acknowledgements
// would report is kept for Advance.
void RawNode::AcceptSynchronousReady(Ready& rd, uint64_t committed_size,
                                     std::vector<Message>& after_append) {
  if (advance_ != nullptr) {
    raft_->logger().Panicf(
        "two accepted Ready structs without call to Advance");
  }
  const bool need_stable = NeedStorageAppendRespMsg(rd);
  const bool has_self =
      std::any_of(after_append.begin(), after_append.end(),
                  [&](const Message& m) { return m.to() == raft_->id(); });
  if (!need_stable && rd.committed_entries.empty() && !has_self) {
    // Nothing for Advance to report; the other responses go out now.
    for (Message& m : after_append) {
      BufferCache<Message>::Reserve(rd.messages);
      rd.messages.push_back(std::move(m));
    }
    return;
  }
  advance_ = BlockCache<AdvanceState>::Take();
  // Responses vouching for durable state go out with this Ready: the
  // contract has the application persist before it sends. Those addressed
  // to this node are stepped on Advance instead.
  for (Message& m : after_append) {
    std::vector<Message>& to =
        m.to() == raft_->id() ? advance_->steps : rd.messages;
    BufferCache<Message>::Reserve(to);
    to.push_back(std::move(m));
  }
  if (need_stable) {
    // What the MsgStorageAppendResp would say, reported straight to the
    // node on Advance.
    advance_->stable = StableState(rd);
  }
  if (!rd.committed_entries.empty()) {
    advance_->apply =
        PendingApply{rd.committed_entries.back().index(), committed_size,
                     PayloadsSize(rd.committed_entries)};
  }
}

Ready RawNode::GetReady() {
  Raft& r = *raft_;
  r.FlushAppends();
  RaftLog& log = r.mutable_raft_log();
  // The Ready's lists come from the thread's BufferCache; Advance(Ready&&)
  // gives them back.
  Ready rd;
  absl::Span<const Entry> unstable = log.NextUnstableEnts();
  if (!unstable.empty()) {
    rd.entries = BufferCache<Entry>::Take();
    rd.entries.assign(unstable.begin(), unstable.end());
  }
  uint64_t committed_size = 0;
  if (log.HasNextCommittedEnts(ApplyUnstableEntries())) {
    rd.committed_entries = BufferCache<Entry>::Take();
    if (absl::Status s = log.NextCommittedEnts(ApplyUnstableEntries(),
                                               &rd.committed_entries);
        s.ok()) {
      committed_size = EntriesSize(rd.committed_entries);
    } else {
      CRAFT_ERRORF(r.logger(), "%x cannot read committed entries: %s", r.id(),
                   s.message());
    }
  }
  if (SoftState ss = r.soft_state(); !(ss == prev_soft_state_)) {
    rd.soft_state = ss;
    prev_soft_state_ = ss;
  }
  const Raft::HardStateChanges changes = r.TakeHardStateChanges();
  if (changes.any()) rd.hard_state = r.hard_state();
  if (const raftpb::Snapshot* snap = log.NextUnstableSnapshot()) {
    rd.snapshot = *snap;
  }
  r.TakeReadStates(&rd.read_states);
  rd.must_sync = !rd.entries.empty() || changes.term_or_vote;

  // Handing out the Ready empties the message queues.
  std::vector<Message> after_append;
  r.TakeMessages(&rd.messages, &after_append);

  if (r.async_storage_writes()) {
    AddStorageMessages(rd, after_append);
  } else {
    AcceptSynchronousReady(rd, committed_size, after_append);
  }

  BufferCache<Message>::Give(after_append);
  log.AcceptUnstable();
  if (!rd.committed_entries.empty()) {
    log.AcceptApplying(rd.committed_entries.back().index(), committed_size,
                       ApplyUnstableEntries());
  }
  return rd;
}

void RawNode::Advance(Ready&& rd) {
  BufferCache<Entry>::Give(rd.entries);
  BufferCache<Entry>::Give(rd.committed_entries);
  BufferCache<Message>::Give(rd.messages);
  BufferCache<ReadState>::Give(rd.read_states);
  Advance();
}

void RawNode::Advance() {
  if (raft_->async_storage_writes()) {
    raft_->logger().Panicf(
        "Advance must not be called when using AsyncStorageWrites");
  }
  if (advance_ == nullptr) return;
  std::unique_ptr<AdvanceState> st = std::move(advance_);
  for (Message& m : st->steps) (void)raft_->Step(std::move(m));
  BufferCache<Message>::Give(st->steps);
  if (!st->stable.empty()) {
    const PendingStable ps = std::exchange(st->stable, PendingStable{});
    std::optional<EntryId> snap;
    if (ps.snap_index != 0) snap = EntryId{ps.snap_term, ps.snap_index};
    raft_->StorageAppended(ps.term, {ps.last_term, ps.last_index}, snap);
  }
  // Last, as a MsgStorageApplyResp would be.
  if (st->apply.index != 0) {
    const PendingApply apply = std::exchange(st->apply, PendingApply{});
    raft_->Applied(apply.index, apply.size, apply.payload_size);
  }
  BlockCache<AdvanceState>::Give(std::move(st));
}

BasicStatus RawNode::GetBasicStatus() const {
  BasicStatus s;
  s.id = raft_->id();
  s.hard_state = raft_->hard_state();
  s.soft_state = raft_->soft_state();
  s.applied = raft_->raft_log().applied();
  s.lead_transferee = raft_->lead_transferee();
  return s;
}

NodeStatus RawNode::GetStatus() const {
  NodeStatus s;
  s.basic = GetBasicStatus();
  s.config = raft_->tracker().config();
  if (raft_->state() == StateType::kLeader) {
    s.progress = raft_->tracker().progress();
  }
  return s;
}

void RawNode::WithProgress(
    absl::FunctionRef<void(uint64_t id, const tracker::Progress& pr)> visit)
    const {
  raft_->tracker().Visit(visit);
}

void RawNode::ReportUnreachable(uint64_t id) {
  (void)raft_->Step(NewMessage(raftpb::MsgUnreachable, kNone, id));
}

void RawNode::ReportSnapshot(uint64_t id, SnapshotStatus status) {
  Message m = NewMessage(raftpb::MsgSnapStatus, kNone, id);
  m.set_reject(status == SnapshotStatus::kFailure);
  (void)raft_->Step(std::move(m));
}

void RawNode::TransferLeader(uint64_t transferee) {
  (void)raft_->Step(NewMessage(raftpb::MsgTransferLeader, kNone, transferee));
}

absl::Status RawNode::ForgetLeader() {
  Message m;
  m.set_type(raftpb::MsgForgetLeader);
  return raft_->Step(std::move(m));
}

void RawNode::ReadIndex(std::string request_ctx) {
  Message m;
  m.set_type(raftpb::MsgReadIndex);
  Entry* e = m.add_entries();
  e->set_data(std::move(request_ctx));
  (void)raft_->Step(std::move(m));
}

}  // namespace craft
