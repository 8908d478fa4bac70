// Log replication (Raft paper §5.3), the commitment rules of §5.4.2
// (including the Figure 8 scenario), flow control and proposal handling.

#include "craft/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/cluster.h"

namespace craft {
namespace {

using ::craft::testing::Cluster;
using ::testing::ElementsAre;

std::vector<std::pair<uint64_t, uint64_t>> LogIds(MemoryStorage& s) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  absl::StatusOr<std::vector<Entry>> ents =
      s.Entries(*s.FirstIndex(), *s.LastIndex() + 1, kNoLimit);
  if (!ents.ok()) return out;
  for (const Entry& e : *ents) out.emplace_back(e.index(), e.term());
  return out;
}

TEST(ReplicationTest, ProposalsAreReplicatedCommittedAndApplied) {
  Cluster c(3);
  c.Elect(1);
  for (const char* d : {"a", "b", "c"}) ASSERT_TRUE(c.node(1).Propose(d).ok());
  c.Stabilize();
  for (uint64_t id : c.ids()) {
    EXPECT_THAT(c.member(id).applied, ElementsAre("a", "b", "c")) << id;
    EXPECT_EQ(c.Commit(id), 5u);
    EXPECT_EQ(LogIds(c.storage(id)), LogIds(c.storage(1)));
  }
}

TEST(ReplicationTest, FollowersForwardProposals) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.node(3).Propose("via-3").ok());
  c.Stabilize();
  EXPECT_THAT(c.member(1).applied, ElementsAre("via-3"));
}

TEST(ReplicationTest, ForwardingCanBeDisabled) {
  Cluster c(3, [](Config& cfg) { cfg.disable_proposal_forwarding = true; });
  c.Elect(1);
  EXPECT_TRUE(IsProposalDropped(c.node(3).Propose("x")));
}

TEST(ReplicationTest, ProposalsWithoutLeaderAreDropped) {
  Cluster c(3);
  EXPECT_TRUE(IsProposalDropped(c.node(1).Propose("x")));
  c.Partition({{1}, {2, 3}});
  c.Elect(1);  // a candidate has no leader either
  EXPECT_TRUE(IsProposalDropped(c.node(1).Propose("x")));
}

TEST(ReplicationTest, CommitNeedsAMajority) {
  Cluster c(5);
  c.Elect(1);
  c.Partition({{1, 2}, {3, 4, 5}});
  ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  EXPECT_EQ(c.Commit(1), 2u) << "two of five cannot commit";
  c.Partition({{1, 2, 3}, {4, 5}});
  c.TickAndStabilize(1);  // heartbeat responses resume replication to 3
  EXPECT_EQ(c.Commit(1), 3u);
}

TEST(ReplicationTest, DivergentFollowerLogIsRepaired) {
  Cluster c(3);
  c.Elect(1);
  // 1 appends entries only it has, then loses leadership.
  c.Isolate(1);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.node(1).Propose("lost").ok());
  c.Stabilize();
  c.Partition({{1}, {2, 3}});
  c.Elect(2);
  ASSERT_TRUE(c.node(2).Propose("kept").ok());
  c.Stabilize();
  c.Heal();
  c.TickAndStabilize(2);
  // 1's uncommitted tail was replaced by the new leader's log (§5.3).
  EXPECT_EQ(LogIds(c.storage(1)), LogIds(c.storage(2)));
  EXPECT_THAT(c.member(1).applied, ElementsAre("kept"));
}

TEST(ReplicationTest, FastBacktrackingSkipsWholeTerms) {
  // A follower with a long divergent tail is repaired in a few round trips:
  // one probe per term, not per entry.
  Cluster c(3);
  c.Elect(1);
  c.Isolate(1);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c.node(1).Propose("old").ok());
  c.Stabilize();
  c.Partition({{1}, {2, 3}});
  c.Elect(2);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c.node(2).Propose("new").ok());
  c.Stabilize();
  c.Heal();
  int rejections = 0;
  c.SetDropFilter([&](const Message& m) {
    if (m.type() == raftpb::MsgAppResp && m.reject()) ++rejections;
    return false;
  });
  c.TickAndStabilize(2);
  EXPECT_EQ(LogIds(c.storage(1)), LogIds(c.storage(2)));
  EXPECT_LE(rejections, 3);
}

// Figure 8 of the Raft paper: a leader must not count replicas to commit an
// entry from an earlier term; only entries of its own term commit by
// counting, and they commit everything before them.
TEST(ReplicationTest, Figure8OldTermEntriesAreNotCommittedByCounting) {
  // One entry per message, so that single entries can be held back.
  Cluster c(5, [](Config& cfg) { cfg.max_size_per_msg = 0; });
  // (a) S1 leads term 2 and replicates index 3 only to S2.
  c.Elect(1);  // term 2; (2, 2) everywhere
  c.Partition({{1, 2}, {3, 4, 5}});
  ASSERT_TRUE(c.node(1).Propose("t2").ok());
  c.Stabilize();
  // (b) S5 leads term 3 with votes from S3 and S4; its entry at index 3
  // reaches no one.
  c.SetDropFilter([](const Message& m) {
    return m.from() == 5 && m.type() == raftpb::MsgApp;
  });
  c.Elect(5);
  ASSERT_EQ(c.State(5), StateType::kLeader);
  ASSERT_EQ(c.Term(5), 3u);
  // (c) S5 is gone. S1 learns of term 3, then wins term 4 with S2, S3, S4
  // (its log ends at (3, term 2), ahead of theirs). It replicates its
  // term-2 entry to S3 and S4, a majority, but its term-4 entry is held.
  c.Partition({{1, 2, 3, 4}, {5}});
  // A term-4 entry is dropped only where it would be accepted, so that
  // the probes that carry (3, term 2) to S3 and S4 still happen.
  c.SetDropFilter([&c](const Message& m) {
    return m.from() == 1 && m.type() == raftpb::MsgApp &&
           m.entries_size() > 0 && m.entries(0).term() == 4 &&
           *c.storage(m.to()).LastIndex() >= m.index();
  });
  Message hb;
  hb.set_type(raftpb::MsgHeartbeat);
  hb.set_from(5);
  hb.set_to(1);
  hb.set_term(3);
  ASSERT_TRUE(c.node(1).Step(hb).ok());
  c.Stabilize();
  c.Elect(1);
  ASSERT_EQ(c.State(1), StateType::kLeader);
  ASSERT_EQ(c.Term(1), 4u);
  for (uint64_t id : {2, 3, 4}) {
    EXPECT_EQ(*c.storage(id).LastIndex(), 3u) << id;
    EXPECT_EQ(*c.storage(id).Term(3), 2u) << id;
  }
  EXPECT_EQ(c.Commit(1), 2u) << "the term-2 entry is not committed by counting";
  // Once the term-4 entry reaches a majority, both commit.
  c.SetDropFilter(nullptr);
  c.TickAndStabilize(1);
  EXPECT_EQ(c.Commit(1), 4u);
  EXPECT_THAT(c.member(1).applied, ElementsAre("t2"));
}

// Runs `leader`'s Ready loop a few times, discarding what it sends, and
// counts the appends that carried entries.
int CountAppendsSent(Cluster& c, uint64_t leader) {
  int appends = 0;
  for (int round = 0; round < 5; ++round) {
    c.HandleReady(leader);
    for (const Message& m : c.queue()) {
      if (m.type() == raftpb::MsgApp && m.entries_size() > 0) ++appends;
    }
    c.queue().clear();
  }
  return appends;
}

// Config::batch_appends: proposals made between two Readys reach each
// follower in one MsgApp, built with the Ready; without it each Propose
// sends its own, as etcd-io/raft does.
TEST(ReplicationTest, AppendsBetweenReadysGoOutTogether) {
  for (bool batch : {true, false}) {
    SCOPED_TRACE(batch ? "batched" : "etcd's way");
    Cluster c(3, [&](Config& cfg) { cfg.batch_appends = batch; });
    c.Elect(1);
    const uint64_t commit = c.Commit(1);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.node(1).Propose("x").ok());
    c.queue().clear();
    ASSERT_TRUE(c.HandleReady(1));
    const std::vector<Message> sent(c.queue().begin(), c.queue().end());
    int appends = 0;
    for (const Message& m : sent) {
      if (m.type() != raftpb::MsgApp) continue;
      ++appends;
      EXPECT_EQ(m.entries_size(), batch ? 5 : 1);
    }
    EXPECT_EQ(appends, batch ? 2 : 10);
    c.Stabilize();
    EXPECT_EQ(c.Commit(2), commit + 5);
    EXPECT_EQ(c.Commit(3), commit + 5);
  }
}

// Batched appends are built with the Ready: a leader that steps down before
// then has nothing to send, its successor replicates.
TEST(ReplicationTest, BatchedAppendsAreDroppedWhenTheLeaderStepsDown) {
  Cluster c(3);
  c.Elect(1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.node(1).Propose("x").ok());
  Message hb;
  hb.set_type(raftpb::MsgHeartbeat);
  hb.set_from(2);
  hb.set_to(1);
  hb.set_term(c.Term(1) + 1);
  ASSERT_TRUE(c.node(1).Step(std::move(hb)).ok());
  ASSERT_EQ(c.State(1), StateType::kFollower);
  c.queue().clear();
  ASSERT_TRUE(c.HandleReady(1));
  for (const Message& m : c.queue()) {
    EXPECT_NE(m.type(), raftpb::MsgApp) << "sent after stepping down";
  }
}

TEST(ReplicationTest, InflightLimitPausesAndHeartbeatsResume) {
  Cluster c(2, [](Config& cfg) {
    cfg.max_inflight_msgs = 2;
    cfg.max_size_per_msg = 0;  // one entry per message
  });
  c.Elect(1);
  // Hold back responses so appends stay in flight.
  c.SetDropFilter([](const Message& m) {
    return m.type() == raftpb::MsgAppResp && m.from() == 2;
  });
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.node(1).Propose("x").ok());
  const int appends = CountAppendsSent(c, 1);
  EXPECT_EQ(appends, 2) << "the window holds two messages";
  NodeStatus st = c.node(1).GetStatus();
  EXPECT_TRUE(st.progress.at(2).IsPaused());
  // Responses flow again: everything gets through.
  c.SetDropFilter(nullptr);
  c.TickAndStabilize(1, 10);
  EXPECT_EQ(c.Commit(2), 7u);
}

TEST(ReplicationTest, InflightBytesLimitPausesReplication) {
  Cluster c(2, [](Config& cfg) {
    cfg.max_size_per_msg = 0;  // one entry per message
    cfg.max_inflight_bytes = 250;
  });
  c.Elect(1);
  c.SetDropFilter([](const Message& m) {
    return m.type() == raftpb::MsgAppResp && m.from() == 2;
  });
  const std::string payload(100, 'p');
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.node(1).Propose(payload).ok());
  const int appends = CountAppendsSent(c, 1);
  // 100 + 100 < 250, and the third reaches the limit: the window is full.
  EXPECT_EQ(appends, 3);
  EXPECT_TRUE(c.node(1).GetStatus().progress.at(2).inflights().Full());
  c.SetDropFilter(nullptr);
  c.TickAndStabilize(1, 10);
  EXPECT_EQ(c.Commit(2), 7u);
}

TEST(ReplicationTest, UncommittedSizeLimitDropsProposals) {
  Cluster c(3, [](Config& cfg) { cfg.max_uncommitted_entries_size = 10; });
  c.Elect(1);
  c.Partition({{1}, {2, 3}});  // nothing commits
  EXPECT_TRUE(c.node(1).Propose("0123456789").ok()) << "empty tail: any size";
  EXPECT_TRUE(IsProposalDropped(c.node(1).Propose("x")));
  c.Heal();
  c.TickAndStabilize(1);
  EXPECT_TRUE(c.node(1).Propose("x").ok()) << "committing freed the budget";
}

TEST(ReplicationTest, CommittedSizePerReadyBoundsEachBatch) {
  Cluster c(1, [](Config& cfg) { cfg.max_committed_size_per_ready = 1; });
  c.Elect(1);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(c.node(1).Propose("p").ok());
  int batches = 0;
  while (c.node(1).HasReady()) {
    Ready rd = c.node(1).GetReady();
    EXPECT_LE(rd.committed_entries.size(), 1u);
    ASSERT_TRUE(c.storage(1).Append(rd.entries).ok());
    if (!rd.committed_entries.empty()) ++batches;
    c.node(1).Advance();
  }
  EXPECT_EQ(batches, 4);
}

}  // namespace
}  // namespace craft
