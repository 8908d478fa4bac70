// Leader election (Raft paper §5.2, §5.4.1), pre-vote (thesis 9.6) and
// check-quorum with the leader lease (thesis 6.2 / 4.2.3).

#include <set>

#include "craft/describe.h"
#include "craft/memory_storage.h"
#include "craft/testing/capturing_logger.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/cluster.h"
#include "support/entries.h"

namespace craft {
namespace {

using ::craft::testing::Cluster;
using ::craft::testing::TakeMessages;

TEST(ElectionTest, FollowerCampaignsAfterElectionTimeout) {
  Cluster c(3);
  // The randomized timeout is in [10, 20): 20 ticks always suffice, 9 never.
  c.Tick(1, 9);
  EXPECT_EQ(c.State(1), StateType::kFollower);
  c.Tick(1, 11);
  EXPECT_EQ(c.State(1), StateType::kCandidate);
  EXPECT_EQ(c.Term(1), 2u);
  EXPECT_EQ(c.node(1).GetBasicStatus().hard_state.vote(), 1u);
  std::set<uint64_t> asked;
  for (const Message& m : TakeMessages(c.node(1))) {
    EXPECT_EQ(m.type(), raftpb::MsgVote);
    EXPECT_EQ(m.term(), 2u);
    EXPECT_EQ(m.log_term(), 1u);
    EXPECT_EQ(m.index(), 1u);
    asked.insert(m.to());
  }
  EXPECT_EQ(asked, (std::set<uint64_t>{2, 3}));
}

TEST(ElectionTest, CandidateWithMajorityBecomesLeader) {
  Cluster c(5);
  c.Elect(3);
  EXPECT_EQ(c.State(3), StateType::kLeader);
  for (uint64_t id : c.ids()) {
    EXPECT_EQ(c.node(id).GetBasicStatus().soft_state.lead, 3u) << id;
    EXPECT_EQ(c.Term(id), 2u);
    // The leader's empty entry of its term is committed everywhere.
    EXPECT_EQ(c.Commit(id), 2u);
  }
}

TEST(ElectionTest, CandidateWithoutMajorityStaysCandidate) {
  Cluster c(5);
  c.Partition({{1, 2}, {3, 4, 5}});
  c.Elect(1);
  EXPECT_EQ(c.State(1), StateType::kCandidate);
  EXPECT_EQ(c.Leader(), kNone);
}

TEST(ElectionTest, RejectionsFromAMajorityMakeTheCandidateAFollower) {
  Cluster c(3);
  c.Elect(1);  // term 2, everyone has entry 2
  // Node 3 misses everything after that; node 2 gets an entry.
  c.Isolate(3);
  ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  c.Heal();
  // 3's log is behind: 1 and 2 reject it (§5.4.1), and it steps down.
  c.Partition({{3, 2}, {1}});
  c.Elect(3);
  EXPECT_NE(c.State(3), StateType::kLeader);
}

TEST(ElectionTest, OneVotePerTerm) {
  Cluster c(3);
  RawNode& n = c.node(3);
  Message vote;
  vote.set_type(raftpb::MsgVote);
  vote.set_term(2);
  vote.set_log_term(1);
  vote.set_index(1);
  vote.set_from(1);
  vote.set_to(3);
  ASSERT_TRUE(n.Step(vote).ok());
  vote.set_from(2);
  ASSERT_TRUE(n.Step(vote).ok());
  vote.set_from(1);  // a repeat of the vote cast is granted again
  ASSERT_TRUE(n.Step(vote).ok());
  std::vector<Message> resps = TakeMessages(n);
  ASSERT_EQ(resps.size(), 3u);
  EXPECT_FALSE(resps[0].reject());
  EXPECT_EQ(resps[0].to(), 1u);
  EXPECT_TRUE(resps[1].reject());
  EXPECT_EQ(resps[1].to(), 2u);
  EXPECT_FALSE(resps[2].reject());
  EXPECT_EQ(n.GetBasicStatus().hard_state.vote(), 1u);
}

TEST(ElectionTest, VoteOnlyForUpToDateLogs) {
  struct Case {
    uint64_t log_term, index;
    bool granted;
  };
  // The voter's log ends at (term 1, index 1) plus (term 2, index 2).
  for (const Case& tc :
       {Case{1, 1, false}, Case{1, 5, false}, Case{2, 1, false},
        Case{2, 2, true}, Case{2, 3, true}, Case{3, 1, true}}) {
    SCOPED_TRACE(DescribeEntry(MakeEntry(tc.index, tc.log_term)));
    Cluster c(3);
    c.Elect(1);  // everyone holds (2, 2) now
    Message vote;
    vote.set_type(raftpb::MsgVote);
    vote.set_term(5);
    vote.set_log_term(tc.log_term);
    vote.set_index(tc.index);
    vote.set_from(2);
    vote.set_to(3);
    ASSERT_TRUE(c.node(3).Step(vote).ok());
    std::vector<Message> resps = TakeMessages(c.node(3));
    ASSERT_EQ(resps.size(), 1u);
    EXPECT_EQ(resps[0].type(), raftpb::MsgVoteResp);
    EXPECT_EQ(!resps[0].reject(), tc.granted);
  }
}

TEST(ElectionTest, RandomizedTimeoutIsInRangeAndSeeded) {
  auto timeout = [](uint64_t seed) {
    Cluster c(1, [&](Config& cfg) { cfg.random_seed = seed; });
    int ticks = 0;
    while (c.State(1) == StateType::kFollower && ticks < 100) {
      c.node(1).Tick();
      ++ticks;
    }
    return ticks;
  };
  std::set<int> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const int t = timeout(seed);
    EXPECT_GE(t, 10);
    EXPECT_LT(t, 20);
    EXPECT_EQ(t, timeout(seed)) << "same seed, same timeout";
    seen.insert(t);
  }
  EXPECT_GT(seen.size(), 5u) << "timeouts should spread over the range";
}

TEST(ElectionTest, PreVoteDoesNotBumpTheTermOfAnIsolatedNode) {
  Cluster c(3, [](Config& cfg) { cfg.pre_vote = true; });
  c.Elect(1);
  ASSERT_EQ(c.Leader(), 1u);
  c.Isolate(3);
  for (int i = 0; i < 5; ++i) {
    c.Tick(3, 20);
    c.Stabilize();
  }
  EXPECT_EQ(c.State(3), StateType::kPreCandidate);
  EXPECT_EQ(c.Term(3), 2u) << "pre-votes never change the term";
  c.Heal();
  c.TickAndStabilize(1);  // a heartbeat brings 3 back
  EXPECT_EQ(c.Leader(), 1u);
  EXPECT_EQ(c.State(3), StateType::kFollower);
  EXPECT_EQ(c.Term(1), 2u) << "the leader was not disrupted";
}

TEST(ElectionTest, WithoutPreVoteARejoiningNodeDisruptsTheLeader) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  c.Tick(3, 20);
  c.Stabilize();
  EXPECT_EQ(c.Term(3), 3u);
  c.Heal();
  // The leader's heartbeats at term 2 are ignored by 3; its next campaign
  // reaches everyone and forces the term up: the leader is deposed.
  c.Tick(3, 20);
  c.Stabilize();
  EXPECT_GE(c.Term(1), 4u);
}

TEST(ElectionTest, CheckQuorumLeaderStepsDownWithoutQuorum) {
  Cluster c(3, [](Config& cfg) { cfg.check_quorum = true; });
  c.Elect(1);
  c.Partition({{1}, {2, 3}});
  // Two election timeouts: the first check sees followers active (from the
  // election), the second does not.
  c.TickAndStabilize(1, 20);
  EXPECT_EQ(c.State(1), StateType::kFollower);
}

TEST(ElectionTest, CheckQuorumLeaderLeaseIgnoresDisruptiveVotes) {
  Cluster c(3, [](Config& cfg) { cfg.check_quorum = true; });
  c.Elect(1);
  Message vote;
  vote.set_type(raftpb::MsgVote);
  vote.set_term(10);
  vote.set_log_term(5);
  vote.set_index(5);
  vote.set_from(3);
  vote.set_to(2);
  ASSERT_TRUE(c.node(2).Step(vote).ok());
  EXPECT_EQ(c.Term(2), 2u) << "within the lease the term is not adopted";
  EXPECT_TRUE(TakeMessages(c.node(2)).empty()) << "and no vote is cast";

  // A transfer's campaign is exempt from the lease.
  vote.set_context("CampaignTransfer");
  ASSERT_TRUE(c.node(2).Step(vote).ok());
  EXPECT_EQ(c.Term(2), 10u);
}

// Found by the simulator, and shared with etcd-io/raft: a leader stepped
// down on its removal, with an entry more than the remaining voter, which
// had not learned that the removal committed. The remaining voter, still in
// the old configuration, needed the removed node's vote; the removed node
// refused it (its log was longer) and could not campaign itself: stuck for
// good. The refusal now tells the candidate the commit index (by index and
// term); the candidate holds that entry, commits, applies its new
// configuration, and leads alone.
TEST(ElectionTest, ARemovedNodeTellsAStrandedCandidateWhatIsCommitted) {
  Cluster c(2, [](Config& cfg) {
    cfg.step_down_on_removal = true;
    cfg.batch_appends = false;  // the removal and the next entry apart
  });
  c.Elect(1);
  const uint64_t cc_index = c.Commit(1) + 1;
  // Node 2 gets the removal of node 1, but nothing after it and never the
  // news that it committed.
  c.SetDropFilter([&](const Message& m) {
    if (m.to() != 2) return false;
    if (m.commit() >= cc_index) return true;
    for (const Entry& e : m.entries()) {
      if (e.index() > cc_index) return true;
    }
    return false;
  });
  raftpb::ConfChange remove;
  remove.set_type(raftpb::ConfChangeRemoveNode);
  remove.set_node_id(1);
  ASSERT_TRUE(c.node(1).ProposeConfChange(remove).ok());
  ASSERT_TRUE(c.node(1).Propose("after").ok());
  c.Stabilize();
  ASSERT_NE(c.State(1), StateType::kLeader) << "1 stepped down on removal";
  ASSERT_LT(c.Commit(2), cc_index);
  c.SetDropFilter(nullptr);
  ASSERT_TRUE(c.node(2).Campaign().ok());  // refused by 1, but learns
  c.Stabilize();
  EXPECT_GE(c.Commit(2), cc_index);
  if (c.State(2) != StateType::kLeader) {
    ASSERT_TRUE(c.node(2).Campaign().ok());  // now the only voter
    c.Stabilize();
  }
  EXPECT_EQ(c.State(2), StateType::kLeader);
}

// Found by the simulator, and shared with etcd-io/raft: with asynchronous
// storage writes a candidate could win on the others' votes before its own
// vote, and with it its term, was durable. It led, sent entries of that
// term, crashed before the write, came back in the old term, won the same
// term again and appended different entries at the same index and term.
TEST(ElectionTest, ACandidateLeadsOnlyOnceItsOwnVoteIsDurable) {
  MemoryStorage storage;
  raftpb::Snapshot snap = ::craft::testing::SnapshotAt(1, 1);
  for (uint64_t id : {1, 2, 3}) {
    snap.mutable_metadata()->mutable_conf_state()->add_voters(id);
  }
  ASSERT_TRUE(storage.ApplySnapshot(snap).ok());
  CapturingLogger logger(LogLevel::kError);
  std::unique_ptr<RawNode> n =
      *RawNode::Create(Config{.id = 1,
                              .storage = &storage,
                              .async_storage_writes = true,
                              .logger = &logger});
  ASSERT_TRUE(n->Campaign().ok());
  std::vector<Message> own;  // held back: the write is slow
  Ready rd = n->GetReady();
  for (const Message& m : rd.messages) {
    if (m.to() != kLocalAppendThread) continue;
    for (const Message& r : m.responses()) own.push_back(r);
  }
  const uint64_t term = n->GetBasicStatus().hard_state.term();
  for (uint64_t voter : {2, 3}) {
    Message grant = ::craft::testing::Msg(raftpb::MsgVoteResp, voter, 1, term);
    ASSERT_TRUE(n->Step(grant).ok());
  }
  EXPECT_EQ(n->GetBasicStatus().soft_state.raft_state, StateType::kCandidate)
      << "leads before its own vote is durable";
  for (Message& r : own) ASSERT_TRUE(n->Step(r).ok());
  EXPECT_EQ(n->GetBasicStatus().soft_state.raft_state, StateType::kLeader);
}

// Node 1 leads a 3-node cluster; node 3 alone applies `type` of `id` (as
// if its configuration differed from the leader's) and then moves to the
// next term on a vote request from node 2 that it rejects, so that it knows
// no leader of its term. Returns whether the leader's next heartbeat made it
// learn that term.
bool StaleLeaderLearnsTheTermOfNode3(raftpb::ConfChangeType type, uint64_t id) {
  Cluster c(3);
  c.Elect(1);
  const uint64_t term = c.Term(1);
  raftpb::ConfChange cc;
  cc.set_type(type);
  cc.set_node_id(id);
  EXPECT_TRUE(c.node(3).ApplyConfChange(cc).ok());
  Message vote = ::craft::testing::Msg(raftpb::MsgVote, 2, 3, term + 1);
  EXPECT_TRUE(c.node(3).Step(vote).ok());  // 2's log is behind
  c.HandleReady(3);
  c.queue().clear();
  EXPECT_EQ(c.Term(3), term + 1);
  EXPECT_EQ(c.node(3).GetBasicStatus().soft_state.lead, kNone);
  c.TickAndStabilize(1);  // the leader's heartbeat
  return c.Term(1) == term + 1;
}

// Found by the simulator: without CheckQuorum and PreVote, a node ignores a
// leader of an older term, trusting its own vote requests to carry the new
// term to it. Two kinds of node never send it one, and the cluster stalled
// for good: a node that cannot campaign (here a voter that has not yet
// applied its promotion), and (seed 118) a voter whose configuration, older
// than the leader's, does not count the leader, running its term up in
// hopeless campaigns among members the leader had removed. Both now answer
// the stale leader, which steps down.
TEST(ElectionTest, ANodeThatCannotCampaignTellsAStaleLeaderItsTerm) {
  EXPECT_TRUE(
      StaleLeaderLearnsTheTermOfNode3(raftpb::ConfChangeAddLearnerNode, 3));
}

TEST(ElectionTest, AStrandedVoterTellsALeaderOutsideItsConfigurationItsTerm) {
  EXPECT_TRUE(StaleLeaderLearnsTheTermOfNode3(raftpb::ConfChangeRemoveNode, 1));
}

TEST(ElectionTest, LearnersNeverCampaign) {
  Cluster c(2);
  c.Elect(1);
  raftpb::ConfChange cc;
  cc.set_type(raftpb::ConfChangeAddLearnerNode);
  cc.set_node_id(2);
  ASSERT_TRUE(c.node(1).ProposeConfChange(cc).ok());
  c.Stabilize();
  c.Isolate(2);
  c.Tick(2, 100);
  c.Stabilize();
  EXPECT_EQ(c.State(2), StateType::kFollower);
  EXPECT_TRUE(c.node(2).Campaign().ok());
  EXPECT_EQ(c.State(2), StateType::kFollower);
}

TEST(ElectionTest, ForgetLeaderLetsAFollowerGrantPreVotes) {
  Cluster c(3, [](Config& cfg) {
    cfg.pre_vote = true;
    cfg.check_quorum = true;
  });
  c.Elect(1);
  ASSERT_TRUE(c.node(2).ForgetLeader().ok());
  EXPECT_EQ(c.node(2).GetBasicStatus().soft_state.lead, kNone);
  // Node 3 campaigns at once: 2 no longer honours a lease for 1.
  c.Partition({{1}, {2, 3}});
  c.Elect(3);
  EXPECT_EQ(c.State(3), StateType::kLeader);
}

}  // namespace
}  // namespace craft
