// Membership changes (Raft paper §6, joint consensus as in the thesis,
// chapter 4) and log compaction with snapshot catch-up (§7).

#include "craft/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/cluster.h"

namespace craft {
namespace {

using ::craft::testing::Cluster;
using ::testing::ElementsAre;

raftpb::ConfChangeSingle Change(raftpb::ConfChangeType t, uint64_t id) {
  raftpb::ConfChangeSingle c;
  c.set_type(t);
  c.set_node_id(id);
  return c;
}

raftpb::ConfChangeV2 V2(
    std::vector<raftpb::ConfChangeSingle> changes,
    raftpb::ConfChangeTransition t = raftpb::ConfChangeTransitionAuto) {
  raftpb::ConfChangeV2 cc;
  cc.set_transition(t);
  for (auto& ch : changes) *cc.add_changes() = ch;
  return cc;
}

std::vector<uint64_t> Voters(RawNode& n) {
  NodeStatus st = n.GetStatus();
  auto ids = st.config.voters.incoming().ids();
  return std::vector<uint64_t>(ids.begin(), ids.end());
}

TEST(MembershipTest, RemovingAFollowerShrinksTheQuorum) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(
      c.node(1)
          .ProposeConfChange(V2({Change(raftpb::ConfChangeRemoveNode, 3)}))
          .ok());
  c.Stabilize();
  EXPECT_THAT(Voters(c.node(1)), ElementsAre(1, 2));
  // With 3 gone, 1 and 2 alone commit.
  c.Isolate(3);
  ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  EXPECT_THAT(c.member(2).applied, ElementsAre("x"));
}

TEST(MembershipTest, OnlyOneChangeMayBePending) {
  Cluster c(3);
  c.Elect(1);
  c.Partition({{1}, {2, 3}});  // nothing commits, so the first stays pending
  ASSERT_TRUE(
      c.node(1)
          .ProposeConfChange(V2({Change(raftpb::ConfChangeRemoveNode, 3)}))
          .ok());
  ASSERT_TRUE(
      c.node(1)
          .ProposeConfChange(V2({Change(raftpb::ConfChangeRemoveNode, 2)}))
          .ok());
  c.Heal();
  c.TickAndStabilize(1);
  // The second change was replaced by an empty entry: only 3 left.
  EXPECT_THAT(Voters(c.node(1)), ElementsAre(1, 2));
}

TEST(MembershipTest, ValidationCanBeDisabled) {
  Cluster c(3, [](Config& cfg) { cfg.disable_conf_change_validation = true; });
  c.Elect(1);
  c.Partition({{1}, {2, 3}});
  // Both are appended as proposed, though the first is still pending.
  ASSERT_TRUE(
      c.node(1)
          .ProposeConfChange(V2({Change(raftpb::ConfChangeAddLearnerNode, 4)}))
          .ok());
  ASSERT_TRUE(
      c.node(1)
          .ProposeConfChange(V2({Change(raftpb::ConfChangeAddLearnerNode, 5)}))
          .ok());
  c.Heal();
  c.TickAndStabilize(1);
  EXPECT_THAT(c.node(1).GetStatus().config.learners, ElementsAre(4, 5));
}

TEST(MembershipTest, JointConsensusWithAutoLeave) {
  Cluster c(3);
  c.Elect(1);
  // Replace 3 by 4: two voter changes need a joint configuration.
  raftpb::ConfChangeV2 cc = V2({Change(raftpb::ConfChangeAddNode, 4),
                                Change(raftpb::ConfChangeRemoveNode, 3)});
  ASSERT_TRUE(c.node(1).ProposeConfChange(cc).ok());
  c.Stabilize();
  NodeStatus st = c.node(1).GetStatus();
  EXPECT_FALSE(st.config.voters.IsJoint()) << "the leader left automatically";
  EXPECT_THAT(Voters(c.node(1)), ElementsAre(1, 2, 4));
  EXPECT_THAT(Voters(c.node(2)), ElementsAre(1, 2, 4));
}

TEST(MembershipTest, JointConsensusWithExplicitLeave) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(
      c.node(1)
          .ProposeConfChange(V2({Change(raftpb::ConfChangeRemoveNode, 3)},
                                raftpb::ConfChangeTransitionJointExplicit))
          .ok());
  c.Stabilize();
  EXPECT_TRUE(c.node(1).GetStatus().config.voters.IsJoint());
  // A further change is refused while joint (replaced by an empty entry).
  ASSERT_TRUE(c.node(1)
                  .ProposeConfChange(V2({Change(raftpb::ConfChangeAddNode, 5)}))
                  .ok());
  c.Stabilize();
  EXPECT_TRUE(c.node(1).GetStatus().config.voters.IsJoint());
  // Leaving is the empty change.
  ASSERT_TRUE(c.node(1).ProposeConfChange(V2({})).ok());
  c.Stabilize();
  EXPECT_FALSE(c.node(1).GetStatus().config.voters.IsJoint());
  EXPECT_THAT(Voters(c.node(1)), ElementsAre(1, 2));
}

TEST(MembershipTest, LearnerReceivesEntriesAndCanBePromoted) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(
      c.node(1)
          .ProposeConfChange(V2({Change(raftpb::ConfChangeAddLearnerNode, 3)}))
          .ok());
  c.Stabilize();
  NodeStatus st = c.node(1).GetStatus();
  EXPECT_THAT(st.config.learners, ElementsAre(3));
  ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  EXPECT_THAT(c.member(3).applied, ElementsAre("x"));
  ASSERT_TRUE(c.node(1)
                  .ProposeConfChange(V2({Change(raftpb::ConfChangeAddNode, 3)}))
                  .ok());
  c.Stabilize();
  EXPECT_THAT(Voters(c.node(1)), ElementsAre(1, 2, 3));
}

TEST(MembershipTest, RemovedLeaderDropsProposalsAndStepsDownIfConfigured) {
  for (bool step_down : {false, true}) {
    SCOPED_TRACE(step_down);
    Cluster c(3, [&](Config& cfg) { cfg.step_down_on_removal = step_down; });
    c.Elect(1);
    ASSERT_TRUE(
        c.node(1)
            .ProposeConfChange(V2({Change(raftpb::ConfChangeRemoveNode, 1)}))
            .ok());
    c.Stabilize();
    // By default it keeps leading (replicating what it has).
    EXPECT_EQ(c.State(1),
              step_down ? StateType::kFollower : StateType::kLeader);
    EXPECT_TRUE(IsProposalDropped(c.node(1).Propose("x")));
  }
}

TEST(MembershipTest, InvalidChangeIsRefusedWhenApplied) {
  Cluster c(1);
  c.Elect(1);
  // Removing the only voter cannot apply; the error reaches the caller.
  absl::StatusOr<raftpb::ConfState> cs =
      c.node(1).ApplyConfChange(V2({Change(raftpb::ConfChangeRemoveNode, 1)}));
  EXPECT_FALSE(cs.ok());
  EXPECT_THAT(Voters(c.node(1)), ElementsAre(1));
}

TEST(SnapshotTest, FollowerBehindCompactionCatchesUpFromSnapshot) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  // The leader snapshots and compacts past what 3 has.
  const uint64_t applied = c.SnapshotAndCompact(1);
  c.Heal();
  uint64_t snaps = 0;
  c.SetDropFilter([&](const Message& m) {
    if (m.type() == raftpb::MsgSnap) ++snaps;
    return false;
  });
  c.TickAndStabilize(1);
  EXPECT_EQ(snaps, 1u);
  EXPECT_EQ(*c.storage(3).FirstIndex(), applied + 1);
  EXPECT_EQ(c.Commit(3), applied);
  // Replication continues from the log afterwards.
  ASSERT_TRUE(c.node(1).Propose("after").ok());
  c.Stabilize();
  EXPECT_EQ(c.Commit(3), applied + 1);
  EXPECT_EQ(c.node(1).GetStatus().progress.at(3).state(),
            tracker::ProgressState::kReplicate);
}

TEST(SnapshotTest, FailedSnapshotIsRetriedAfterReport) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  c.SnapshotAndCompact(1);
  c.Heal();
  // The first snapshot is lost in transit.
  int sent = 0;
  c.SetDropFilter([&](const Message& m) {
    return m.type() == raftpb::MsgSnap && ++sent == 1;
  });
  c.TickAndStabilize(1);
  EXPECT_EQ(c.node(1).GetStatus().progress.at(3).state(),
            tracker::ProgressState::kSnapshot);
  c.node(1).ReportSnapshot(3, SnapshotStatus::kFailure);
  EXPECT_EQ(c.node(1).GetStatus().progress.at(3).state(),
            tracker::ProgressState::kProbe);
  c.TickAndStabilize(1, 3);
  EXPECT_EQ(sent, 2);
  EXPECT_EQ(c.Commit(3), c.Commit(1));
}

// A storage whose snapshot is temporarily unavailable while `busy` is set.
class BusyStorage : public MemoryStorage {
 public:
  absl::StatusOr<raftpb::Snapshot> Snapshot() const override {
    ++asked;
    if (busy) return SnapshotTemporarilyUnavailableError();
    return MemoryStorage::Snapshot();
  }
  mutable int asked = 0;
  bool busy = true;
};

TEST(SnapshotTest, TemporarilyUnavailableSnapshotIsRetriedLater) {
  BusyStorage* leader_storage = nullptr;
  Cluster c(3, nullptr, [&](uint64_t id) -> std::unique_ptr<MemoryStorage> {
    if (id != 1) return std::make_unique<MemoryStorage>();
    auto s = std::make_unique<BusyStorage>();
    leader_storage = s.get();
    return s;
  });
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  c.SnapshotAndCompact(1);  // on leader_storage
  c.Heal();
  c.TickAndStabilize(1, 3);
  EXPECT_GT(leader_storage->asked, 0);
  EXPECT_NE(c.node(1).GetStatus().progress.at(3).state(),
            tracker::ProgressState::kSnapshot)
      << "no snapshot was sent";
  EXPECT_LT(c.Commit(3), c.Commit(1));
  // Once the storage can produce it, the next attempt succeeds.
  leader_storage->busy = false;
  c.TickAndStabilize(1, 3);
  EXPECT_EQ(c.Commit(3), c.Commit(1));
}

TEST(SnapshotTest, StaleSnapshotIsIgnoredAndAcknowledgedAtTheCommitIndex) {
  Cluster c(3);
  c.Elect(1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  const uint64_t commit = c.Commit(2);
  Message snap;
  snap.set_type(raftpb::MsgSnap);
  snap.set_from(1);
  snap.set_to(2);
  snap.set_term(c.Term(1));
  raftpb::SnapshotMetadata* md = snap.mutable_snapshot()->mutable_metadata();
  md->set_index(commit - 1);
  md->set_term(2);
  for (uint64_t v : {1, 2, 3}) md->mutable_conf_state()->add_voters(v);
  ASSERT_TRUE(c.node(2).Step(snap).ok());
  Ready rd = c.node(2).GetReady();
  EXPECT_TRUE(IsEmptySnapshot(rd.snapshot)) << "not restored";
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].type(), raftpb::MsgAppResp);
  EXPECT_EQ(rd.messages[0].index(), commit);
  c.node(2).Advance();
}

}  // namespace
}  // namespace craft
