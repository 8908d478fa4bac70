// Input that a hostile peer, a buggy transport or a careless application
// could hand a node, each case refused with a Status without breaking the
// node's state: terms never go backwards, a vote is cast once per term,
// nothing uncommitted is handed out as committed, and nothing reaches the
// panic hook.

#include <climits>
#include <limits>

#include "craft/describe.h"
#include "craft/errors.h"
#include "gtest/gtest.h"
#include "support/cluster.h"
#include "support/entries.h"

namespace craft {
namespace {

using ::craft::testing::Cluster;
using ::craft::testing::Msg;
using ::craft::testing::TakeMessages;

raftpb::ConfChange AddNode(uint64_t id) {
  raftpb::ConfChange cc;
  cc.set_type(raftpb::ConfChangeAddNode);
  cc.set_node_id(id);
  return cc;
}

// A single-voter node over `storage`, which holds a snapshot at `index`.
std::unique_ptr<RawNode> SingleNodeAt(MemoryStorage& storage, uint64_t index,
                                      CapturingLogger& logger) {
  raftpb::Snapshot snap = testing::SnapshotAt(index, 1);
  snap.mutable_metadata()->mutable_conf_state()->add_voters(1);
  EXPECT_TRUE(storage.ApplySnapshot(snap).ok());
  Config cfg{.id = 1, .storage = &storage, .logger = &logger};
  absl::StatusOr<std::unique_ptr<RawNode>> rn = RawNode::Create(cfg);
  EXPECT_TRUE(rn.ok()) << rn.status();
  return rn.ok() ? *std::move(rn) : nullptr;
}

// Term 0 from a peer is not "the current term": a candidate that voted for
// itself must not be talked out of its vote by it.
TEST(PeerInputTest, TermZeroAppendDoesNotResetACandidatesVote) {
  for (raftpb::MessageType t : {raftpb::MsgApp, raftpb::MsgHeartbeat}) {
    SCOPED_TRACE(MessageTypeName(t));
    Cluster c(3);
    ASSERT_TRUE(c.node(1).Campaign().ok());
    ASSERT_TRUE(c.HandleReady(1));
    c.queue().clear();
    const HardState before = c.node(1).GetBasicStatus().hard_state;
    ASSERT_EQ(before.vote(), 1u);
    Message m = Msg(t, 3, 1, 0);
    EXPECT_EQ(c.node(1).Step(m).code(), absl::StatusCode::kInvalidArgument);
    const HardState after = c.node(1).GetBasicStatus().hard_state;
    EXPECT_EQ(after.term(), before.term());
    EXPECT_EQ(after.vote(), 1u);
    EXPECT_EQ(c.State(1), StateType::kCandidate);
    // A vote request of the same term from another candidate is refused.
    Message vote = Msg(raftpb::MsgVote, 3, 1, before.term());
    vote.set_index(1);
    vote.set_log_term(1);
    ASSERT_TRUE(c.node(1).Step(vote).ok());
    c.HandleReady(1);
    bool granted = false;
    for (const Message& out : c.queue()) {
      if (out.type() == raftpb::MsgVoteResp && out.to() == 3) {
        granted |= !out.reject();
      }
    }
    EXPECT_FALSE(granted) << "two votes in term " << before.term();
  }
}

TEST(PeerInputTest, TermZeroHeartbeatCommitsNothing) {
  Cluster c(3);
  c.Elect(1);
  // Node 2 holds entries 3..5 that are not committed.
  c.SetDropFilter([](const Message& m) {
    return m.type() == raftpb::MsgAppResp || m.to() == 3;
  });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  const uint64_t commit = c.Commit(2);
  ASSERT_LT(commit, 5u);
  Message hb = Msg(raftpb::MsgHeartbeat, 3, 2, 0);
  hb.set_commit(5);
  EXPECT_EQ(c.node(2).Step(hb).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Commit(2), commit);
  EXPECT_EQ(c.node(2).GetBasicStatus().soft_state.lead, 1u);
}

TEST(PeerInputTest, TermZeroIsAllowedOnlyForForwardedRequests) {
  Cluster c(3);
  c.Elect(1);
  // Proposals and reads forwarded by a follower carry no term.
  Message prop = Msg(raftpb::MsgProp, 2, 1, 0);
  prop.add_entries()->set_data("p");
  EXPECT_TRUE(c.node(1).Step(prop).ok());
  Message read = Msg(raftpb::MsgReadIndex, 2, 1, 0);
  read.add_entries()->set_data("r");
  EXPECT_TRUE(c.node(1).Step(read).ok());
  for (raftpb::MessageType t :
       {raftpb::MsgSnap, raftpb::MsgAppResp, raftpb::MsgHeartbeatResp,
        raftpb::MsgTimeoutNow, raftpb::MsgReadIndexResp,
        raftpb::MsgTransferLeader, raftpb::MsgVoteResp}) {
    SCOPED_TRACE(MessageTypeName(t));
    EXPECT_EQ(c.node(2).Step(Msg(t, 1, 2, 0)).code(),
              absl::StatusCode::kInvalidArgument);
  }
}

// Without asynchronous storage writes there are no storage threads: a
// message claiming to come from one is forged.
TEST(PeerInputTest, StorageResponsesAreRefusedWithoutAsyncWrites) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.node(1).Propose("x").ok());
  const uint64_t last = c.node(1).GetBasicStatus().hard_state.commit() + 1;
  Message ack =
      Msg(raftpb::MsgStorageAppendResp, kLocalAppendThread, 1, c.Term(1));
  ack.set_index(last);
  ack.set_log_term(c.Term(1));
  EXPECT_EQ(c.node(1).Step(ack).code(), absl::StatusCode::kInvalidArgument);
  // The entry is still unstable: the next Ready hands it out for
  // persisting, and the next proposal gets the following index.
  ASSERT_TRUE(c.node(1).HasReady());
  Ready rd = c.node(1).GetReady();
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].index(), last);
  EXPECT_EQ(rd.entries[0].data(), "x");
  c.node(1).Advance();

  Message applied = Msg(raftpb::MsgStorageApplyResp, kLocalApplyThread, 1, 0);
  *applied.add_entries() = MakeEntry(1000, c.Term(1));
  EXPECT_EQ(c.node(1).Step(applied).code(), absl::StatusCode::kInvalidArgument);
}

TEST(PeerInputTest, StepFromPeerRefusesStorageResponses) {
  Cluster c(3, [](Config& cfg) { cfg.async_storage_writes = true; });
  Message ack = Msg(raftpb::MsgStorageAppendResp, kLocalAppendThread, 1, 1);
  ack.set_index(1);
  ack.set_log_term(1);
  EXPECT_TRUE(IsStepLocalMsg(c.node(1).StepFromPeer(ack)));
  Message applied = Msg(raftpb::MsgStorageApplyResp, kLocalApplyThread, 1, 0);
  *applied.add_entries() = MakeEntry(1, 1);
  EXPECT_TRUE(IsStepLocalMsg(c.node(1).StepFromPeer(applied)));
  // Through Step, the storage thread's acknowledgement of an entry that was
  // never handed out for application is refused, not a panic.
  *applied.mutable_entries(0) = MakeEntry(1000, 1);
  EXPECT_EQ(c.node(1).Step(applied).code(), absl::StatusCode::kInvalidArgument);
  // StepFromPeer is Step for everything else.
  Message hb = Msg(raftpb::MsgHeartbeat, 2, 1, 2);
  EXPECT_TRUE(c.node(1).StepFromPeer(hb).ok());
  EXPECT_EQ(c.node(1).GetBasicStatus().soft_state.lead, 2u);
}

// The storage threads' pseudo-ids never become members.
TEST(PeerInputTest, ReservedIdsAreNotMembers) {
  for (uint64_t id : {kLocalAppendThread, kLocalApplyThread}) {
    SCOPED_TRACE(id);
    Cluster c(3);
    c.Elect(1);
    EXPECT_EQ(c.node(1).ProposeConfChange(AddNode(id)).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(c.node(1).ApplyConfChange(AddNode(id)).ok());
    raftpb::ConfChangeV2 v2;
    raftpb::ConfChangeSingle* ch = v2.add_changes();
    ch->set_type(raftpb::ConfChangeAddLearnerNode);
    ch->set_node_id(id);
    EXPECT_FALSE(c.node(1).ProposeConfChange(v2).ok());
    EXPECT_FALSE(c.node(1).ApplyConfChange(v2).ok());
    EXPECT_EQ(c.node(1).GetStatus().config.voters.Ids().size(), 3u);

    // A snapshot whose configuration names them is not restored.
    Message snap = Msg(raftpb::MsgSnap, 1, 2, c.Term(1));
    *snap.mutable_snapshot() = testing::SnapshotAt(100, c.Term(1));
    raftpb::ConfState* cs =
        snap.mutable_snapshot()->mutable_metadata()->mutable_conf_state();
    cs->add_voters(1);
    cs->add_voters(2);
    cs->add_voters(id);
    ASSERT_TRUE(c.node(2).Step(snap).ok());
    EXPECT_LT(c.Commit(2), 100u);
    EXPECT_EQ(c.node(2).GetStatus().config.voters.Ids().size(), 3u);

    // Nor is a storage that holds one.
    MemoryStorage storage;
    raftpb::Snapshot s = testing::SnapshotAt(1, 1);
    s.mutable_metadata()->mutable_conf_state()->add_voters(1);
    s.mutable_metadata()->mutable_conf_state()->add_learners(id);
    ASSERT_TRUE(storage.ApplySnapshot(s).ok());
    EXPECT_FALSE(RawNode::Create(Config{.id = 1, .storage = &storage}).ok());
  }
}

TEST(PeerInputTest, TermsWithoutRoomToGrowAreRefused) {
  Cluster c(3);
  Message hb = Msg(raftpb::MsgHeartbeat, 1, 2, kMaxTerm + 1);
  EXPECT_EQ(c.node(2).Step(hb).code(), absl::StatusCode::kInvalidArgument);
  hb.set_term(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(c.node(2).Step(hb).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Term(2), 1u);
  // The largest term is accepted, but a campaign cannot go past it.
  hb.set_term(kMaxTerm);
  ASSERT_TRUE(c.node(2).Step(hb).ok());
  EXPECT_EQ(c.Term(2), kMaxTerm);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(c.node(2).Campaign().code(), absl::StatusCode::kOutOfRange);
    EXPECT_EQ(c.Term(2), kMaxTerm);
  }
  c.Tick(2, 100);  // election timeouts try too
  EXPECT_EQ(c.Term(2), kMaxTerm);
}

TEST(PeerInputTest, IndexesWithoutRoomToGrowAreRefused) {
  Cluster c(3);
  c.Elect(1);
  Message snap = Msg(raftpb::MsgSnap, 1, 2, c.Term(1));
  *snap.mutable_snapshot() = testing::SnapshotAt(kMaxIndex + 1, c.Term(1));
  for (uint64_t id : {1, 2, 3}) {
    snap.mutable_snapshot()
        ->mutable_metadata()
        ->mutable_conf_state()
        ->add_voters(id);
  }
  EXPECT_EQ(c.node(2).Step(snap).code(), absl::StatusCode::kInvalidArgument);
  Message app = Msg(raftpb::MsgApp, 1, 2, c.Term(1));
  app.set_index(kMaxIndex);
  app.set_log_term(c.Term(1));
  *app.add_entries() = MakeEntry(kMaxIndex + 1, c.Term(1));
  EXPECT_EQ(c.node(2).Step(app).code(), absl::StatusCode::kInvalidArgument);
  app.set_index(std::numeric_limits<uint64_t>::max());
  app.clear_entries();
  EXPECT_EQ(c.node(2).Step(app).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Commit(2), 2u);

  // A node whose log reaches the largest index accepts no more entries.
  CapturingLogger logger(LogLevel::kWarning);
  MemoryStorage storage;
  std::unique_ptr<RawNode> rn = SingleNodeAt(storage, kMaxIndex - 1, logger);
  ASSERT_NE(rn, nullptr);
  ASSERT_TRUE(rn->Campaign().ok());
  std::vector<Entry> written;
  while (rn->HasReady()) {  // the vote for itself, then its entry
    Ready rd = rn->GetReady();
    written.insert(written.end(), rd.entries.begin(), rd.entries.end());
    ASSERT_TRUE(storage.Append(rd.entries).ok());
    rn->Advance();
  }
  ASSERT_EQ(rn->GetBasicStatus().soft_state.raft_state, StateType::kLeader);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].index(), kMaxIndex);
  EXPECT_TRUE(IsProposalDropped(rn->Propose("x")));
  EXPECT_FALSE(rn->HasReady());

  // And a storage beyond it is refused at start.
  MemoryStorage beyond;
  raftpb::Snapshot s = testing::SnapshotAt(kMaxIndex + 1, 1);
  s.mutable_metadata()->mutable_conf_state()->add_voters(1);
  ASSERT_TRUE(beyond.ApplySnapshot(s).ok());
  EXPECT_EQ(
      RawNode::Create(Config{.id = 1, .storage = &beyond}).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

TEST(PeerInputTest, EntriesPastTheLeadersTermAreRefused) {
  Cluster c(3);
  c.Elect(1);
  Message app = Msg(raftpb::MsgApp, 1, 2, c.Term(1));
  app.set_index(2);
  app.set_log_term(c.Term(1));
  *app.add_entries() = MakeEntry(3, c.Term(1) + 1);
  EXPECT_EQ(c.node(2).Step(app).code(), absl::StatusCode::kInvalidArgument);
  app.clear_entries();
  app.set_log_term(c.Term(1) + 1);
  EXPECT_EQ(c.node(2).Step(app).code(), absl::StatusCode::kInvalidArgument);
  Message snap = Msg(raftpb::MsgSnap, 1, 2, c.Term(1));
  *snap.mutable_snapshot() = testing::SnapshotAt(10, c.Term(1) + 1);
  EXPECT_EQ(c.node(2).Step(snap).code(), absl::StatusCode::kInvalidArgument);
}

TEST(PeerInputTest, ElectionTickWithoutRoomForRandomizationIsRefused) {
  MemoryStorage storage;
  Config cfg{.id = 1, .election_tick = INT_MAX, .storage = &storage};
  EXPECT_EQ(cfg.Validate().code(), absl::StatusCode::kInvalidArgument);
  cfg.election_tick = INT_MAX / 2 + 1;
  EXPECT_FALSE(cfg.Validate().ok());
  cfg.election_tick = INT_MAX / 2;
  EXPECT_TRUE(cfg.Validate().ok());
  // The largest valid election tick randomizes without overflow.
  CapturingLogger logger(LogLevel::kWarning);
  raftpb::Snapshot snap = testing::SnapshotAt(1, 1);
  snap.mutable_metadata()->mutable_conf_state()->add_voters(1);
  ASSERT_TRUE(storage.ApplySnapshot(snap).ok());
  cfg.logger = &logger;
  absl::StatusOr<std::unique_ptr<RawNode>> rn = RawNode::Create(cfg);
  ASSERT_TRUE(rn.ok());
  for (int i = 0; i < 10; ++i) (*rn)->Tick();
  EXPECT_EQ((*rn)->GetBasicStatus().soft_state.raft_state,
            StateType::kFollower);
}

// A leader removed from the configuration acknowledges its own appends the
// same way with and without asynchronous storage writes: the
// acknowledgement is accepted, and ignored.
TEST(PeerInputTest, RemovedLeaderAcknowledgesItsOwnAppendsInBothModes) {
  raftpb::ConfChange remove;
  remove.set_type(raftpb::ConfChangeRemoveNode);
  remove.set_node_id(1);
  {
    Cluster c(3);
    c.Elect(1);
    ASSERT_TRUE(c.node(1).Propose("x").ok());
    Ready rd = c.node(1).GetReady();
    ASSERT_TRUE(c.node(1).ApplyConfChange(remove).ok());
    c.node(1).Advance();  // steps the leader's own acknowledgement
  }
  // With asynchronous writes, the application steps it.
  CapturingLogger logger(LogLevel::kWarning);
  MemoryStorage storage;
  raftpb::Snapshot snap = testing::SnapshotAt(1, 1);
  snap.mutable_metadata()->mutable_conf_state()->add_voters(1);
  snap.mutable_metadata()->mutable_conf_state()->add_voters(2);
  ASSERT_TRUE(storage.ApplySnapshot(snap).ok());
  absl::StatusOr<std::unique_ptr<RawNode>> rn =
      RawNode::Create(Config{.id = 1,
                             .storage = &storage,
                             .async_storage_writes = true,
                             .logger = &logger});
  ASSERT_TRUE(rn.ok());
  RawNode& n = **rn;
  // Steps the responses of every local write in the next Ready.
  auto persist = [&](bool step) {
    std::vector<Message> responses;
    Ready rd = n.GetReady();
    for (Message& m : rd.messages) {
      if (m.to() != kLocalAppendThread) continue;
      EXPECT_TRUE(
          storage.Append({m.entries().begin(), m.entries().end()}).ok());
      for (const Message& r : m.responses()) responses.push_back(r);
    }
    if (!step) return responses;
    for (Message& r : responses) EXPECT_TRUE(n.Step(r).ok()) << r.type();
    return responses;
  };
  ASSERT_TRUE(n.Campaign().ok());
  persist(/*step=*/true);
  Message grant =
      Msg(raftpb::MsgVoteResp, 2, 1, n.GetBasicStatus().hard_state.term());
  ASSERT_TRUE(n.Step(grant).ok());
  ASSERT_EQ(n.GetBasicStatus().soft_state.raft_state, StateType::kLeader);
  std::vector<Message> responses = persist(/*step=*/false);
  ASSERT_TRUE(n.ApplyConfChange(remove).ok());
  bool own_ack = false;
  for (Message& r : responses) {
    own_ack |= r.type() == raftpb::MsgAppResp && r.from() == 1;
    EXPECT_TRUE(n.Step(r).ok()) << r.type();
  }
  EXPECT_TRUE(own_ack);
}

TEST(PeerInputTest, ForwardedProposalReturningToItsProposerIsAppended) {
  Cluster c(3);
  c.Elect(1);
  // Node 2 forwarded a proposal to node 1, then became leader itself; node
  // 1, now its follower, forwards it on with its original sender.
  c.Elect(2);
  ASSERT_EQ(c.State(2), StateType::kLeader);
  Message prop = Msg(raftpb::MsgProp, 2, 2, 0);
  prop.add_entries()->set_data("returned");
  ASSERT_TRUE(c.node(2).Step(prop).ok());
  c.Stabilize();
  EXPECT_EQ(c.member(3).applied.back(), "returned");
  // A read request comes back the same way, answered locally.
  Message read = Msg(raftpb::MsgReadIndex, 2, 2, 0);
  read.add_entries()->set_data("r");
  ASSERT_TRUE(c.node(2).Step(read).ok());
  c.Stabilize();
  ASSERT_EQ(c.member(2).reads.size(), 1u);
  EXPECT_EQ(c.member(2).reads[0].request_ctx, "r");
}

TEST(PeerInputTest, SelfAddressedMessagesOtherwiseRefused) {
  Cluster c(3);
  c.Elect(1);
  for (raftpb::MessageType t :
       {raftpb::MsgApp, raftpb::MsgHeartbeat, raftpb::MsgVote, raftpb::MsgSnap,
        raftpb::MsgHeartbeatResp, raftpb::MsgTimeoutNow}) {
    SCOPED_TRACE(MessageTypeName(t));
    EXPECT_EQ(c.node(1).Step(Msg(t, 1, 1, c.Term(1))).code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(c.State(1), StateType::kLeader);
}

// Found by the simulator: with asynchronous storage writes, the state
// machine applies entries committed in memory, so the application may
// durably snapshot past the commit index its disk holds. The snapshot is
// committed state: a restart takes its index as committed.
TEST(PeerInputTest, RestartWithTheHardStateBehindTheSnapshot) {
  MemoryStorage storage;
  raftpb::Snapshot snap = testing::SnapshotAt(5, 2);
  snap.mutable_metadata()->mutable_conf_state()->add_voters(1);
  ASSERT_TRUE(storage.ApplySnapshot(snap).ok());
  HardState hs;
  hs.set_term(2);
  hs.set_commit(3);
  ASSERT_TRUE(storage.SetHardState(hs).ok());
  CapturingLogger logger(LogLevel::kWarning);
  absl::StatusOr<std::unique_ptr<RawNode>> rn = RawNode::Create(
      Config{.id = 1, .storage = &storage, .applied = 5, .logger = &logger});
  ASSERT_TRUE(rn.ok()) << rn.status();
  EXPECT_EQ((*rn)->GetBasicStatus().hard_state.commit(), 5u);
  // A commit index past the log is still refused.
  hs.set_commit(6);
  ASSERT_TRUE(storage.SetHardState(hs).ok());
  EXPECT_FALSE(RawNode::Create(Config{.id = 1, .storage = &storage}).ok());
}

TEST(PeerInputTest, CompactedSnapshotIndexIsReported) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(testing::Consecutive(1, 10, 1)).ok());
  ASSERT_TRUE(s.Compact(8).ok());
  raftpb::ConfState cs;
  cs.add_voters(1);
  EXPECT_TRUE(IsCompacted(s.CreateSnapshot(3, &cs, "d").status()));
  EXPECT_TRUE(IsCompacted(s.CreateSnapshot(7, &cs, "d").status()));
  absl::StatusOr<raftpb::Snapshot> at = s.CreateSnapshot(8, &cs, "d");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->metadata().term(), 1u);
}

}  // namespace
}  // namespace craft
