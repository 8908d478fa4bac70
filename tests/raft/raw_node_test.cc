// The RawNode contract: configuration validation, bootstrap, Step's
// rejections, the Ready/Advance cycle and asynchronous storage writes.

#include "craft/raw_node.h"

#include <random>
#include <thread>

#include "craft/describe.h"
#include "craft/errors.h"
#include "craft/memory_storage.h"
#include "craft/testing/capturing_logger.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/cluster.h"

namespace craft {
namespace {

using ::craft::testing::Cluster;

Config BaseConfig(MemoryStorage* s, Logger* log) {
  Config cfg;
  cfg.id = 1;
  cfg.election_tick = 10;
  cfg.heartbeat_tick = 1;
  cfg.storage = s;
  cfg.logger = log;
  return cfg;
}

TEST(RawNodeTest, ConfigValidation) {
  MemoryStorage s;
  CapturingLogger log;
  struct Case {
    const char* name;
    std::function<void(Config&)> tweak;
  };
  const std::vector<Case> bad = {
      {"id 0", [](Config& c) { c.id = 0; }},
      {"local id", [](Config& c) { c.id = kLocalAppendThread; }},
      {"heartbeat", [](Config& c) { c.heartbeat_tick = 0; }},
      {"election", [](Config& c) { c.election_tick = 1; }},
      {"storage", [](Config& c) { c.storage = nullptr; }},
      {"inflight", [](Config& c) { c.max_inflight_msgs = 0; }},
      {"inflight bytes",
       [](Config& c) {
         c.max_size_per_msg = 100;
         c.max_inflight_bytes = 10;
       }},
      {"lease without check quorum",
       [](Config& c) { c.read_only_option = ReadOnlyOption::kLeaseBased; }},
  };
  for (const Case& tc : bad) {
    SCOPED_TRACE(tc.name);
    Config cfg = BaseConfig(&s, &log);
    tc.tweak(cfg);
    absl::StatusOr<std::unique_ptr<RawNode>> rn = RawNode::Create(cfg);
    EXPECT_EQ(rn.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(RawNode::Create(BaseConfig(&s, &log)).ok());
}

TEST(RawNodeTest, CreateRejectsInconsistentStorage) {
  MemoryStorage s;
  CapturingLogger log;
  HardState hs;
  hs.set_term(1);
  hs.set_commit(5);  // past the (empty) log
  ASSERT_TRUE(s.SetHardState(hs).ok());
  EXPECT_FALSE(RawNode::Create(BaseConfig(&s, &log)).ok());
}

TEST(RawNodeTest, BootstrapAndFirstReady) {
  MemoryStorage s;
  CapturingLogger log;
  std::unique_ptr<RawNode> n = *RawNode::Create(BaseConfig(&s, &log));
  EXPECT_FALSE(n->Bootstrap({}).ok());
  ASSERT_TRUE(n->Bootstrap({{.id = 1}, {.id = 2}}).ok());
  ASSERT_TRUE(n->HasReady());
  Ready rd = n->GetReady();
  EXPECT_EQ(DescribeHardState(rd.hard_state), "Term:1 Commit:2");
  ASSERT_EQ(rd.entries.size(), 2u);
  EXPECT_EQ(DescribeEntry(rd.entries[0]), "1/1 EntryConfChange v1");
  EXPECT_EQ(rd.committed_entries.size(), 2u);
  EXPECT_TRUE(rd.must_sync);
  ASSERT_TRUE(s.Append(rd.entries).ok());
  n->Advance();
  // The storage is no longer empty: bootstrapping again fails.
  std::unique_ptr<RawNode> again = *RawNode::Create(BaseConfig(&s, &log));
  EXPECT_FALSE(again->Bootstrap({{.id = 1}}).ok());
}

TEST(RawNodeTest, StepRejectsLocalMessagesAndUnknownPeers) {
  Cluster c(3);
  for (raftpb::MessageType t :
       {raftpb::MsgHup, raftpb::MsgBeat, raftpb::MsgUnreachable,
        raftpb::MsgSnapStatus, raftpb::MsgCheckQuorum, raftpb::MsgStorageAppend,
        raftpb::MsgStorageAppendResp, raftpb::MsgStorageApply,
        raftpb::MsgStorageApplyResp}) {
    Message m;
    m.set_type(t);
    m.set_from(2);
    m.set_to(1);
    EXPECT_TRUE(IsStepLocalMsg(c.node(1).Step(m))) << MessageTypeName(t);
  }
  Message resp;
  resp.set_type(raftpb::MsgAppResp);
  resp.set_from(9);
  resp.set_to(1);
  resp.set_term(1);
  EXPECT_TRUE(IsStepPeerNotFound(c.node(1).Step(resp)));
  resp.set_from(2);
  EXPECT_TRUE(c.node(1).Step(resp).ok());
}

// The application may propose a batch as one MsgProp without a sender, as
// etcd-io/raft allows; from the network such a message stays refused.
TEST(RawNodeTest, ProposalWithoutSenderIsTheNodesOwn) {
  Cluster c(3);
  c.Elect(1);
  const uint64_t last = c.node(1).GetBasicStatus().hard_state.commit();
  Message m;
  m.set_type(raftpb::MsgProp);
  m.set_to(1);
  m.add_entries()->set_data("a");
  m.add_entries()->set_data("b");
  EXPECT_FALSE(c.node(1).StepFromPeer(m).ok());
  ASSERT_TRUE(c.node(1).Step(m).ok());
  c.Stabilize();
  EXPECT_EQ(c.node(1).GetBasicStatus().hard_state.commit(), last + 2);
  // Nor need it name its recipient, as etcd's RawNode ignores `to` there.
  m.set_to(0);
  ASSERT_TRUE(c.node(1).Step(m).ok());
  c.Stabilize();
  EXPECT_EQ(c.node(1).GetBasicStatus().hard_state.commit(), last + 4);
  // Addressed to another node, it is refused: the caller is confused.
  m.set_to(2);
  EXPECT_EQ(c.node(1).Step(m).code(), absl::StatusCode::kInvalidArgument);
  // And Propose takes several payloads at once.
  const Payload p("c");
  ASSERT_TRUE(c.node(1).Propose(std::vector<Payload>{p, p, p}).ok());
  c.Stabilize();
  EXPECT_EQ(c.node(1).GetBasicStatus().hard_state.commit(), last + 7);
}

TEST(RawNodeTest, ReadyIsHandedOutOnce) {
  Cluster c(1);
  ASSERT_TRUE(c.node(1).Campaign().ok());
  Ready rd = c.node(1).GetReady();
  EXPECT_TRUE(rd.soft_state.has_value());
  ASSERT_TRUE(c.storage(1).SetHardState(rd.hard_state).ok());
  c.node(1).Advance();
  // Becoming leader appended an entry: a new Ready, without the old state.
  ASSERT_TRUE(c.node(1).HasReady());
  Ready next = c.node(1).GetReady();
  ASSERT_EQ(next.entries.size(), 1u);
  EXPECT_EQ(next.soft_state->raft_state, StateType::kLeader);
  ASSERT_TRUE(c.storage(1).Append(next.entries).ok());
  c.node(1).Advance();
  Ready commit = c.node(1).GetReady();
  EXPECT_FALSE(commit.must_sync) << "only the commit index changed";
  EXPECT_EQ(commit.committed_entries.size(), 1u);
  c.node(1).Advance();
  EXPECT_FALSE(c.node(1).HasReady());
}

// Advance(Ready&&) gives a Ready's lists to a cache shared by the nodes of
// the calling thread (an idle node keeps none): the next Ready of another
// node reuses them.
TEST(RawNodeTest, ReadyBuffersAreSharedByTheNodesOfAThread) {
  std::thread([] {
    Cluster a(1), b(1);
    for (Cluster* c : {&a, &b}) {
      ASSERT_TRUE(c->node(1).Campaign().ok());
      c->Stabilize();
    }
    ASSERT_TRUE(a.node(1).Propose(absl::string_view("x")).ok());
    Ready ra = a.node(1).GetReady();
    ASSERT_EQ(ra.entries.size(), 1u);
    const Entry* buffer = ra.entries.data();
    ASSERT_TRUE(a.storage(1).Append(ra.entries).ok());
    a.node(1).Advance(std::move(ra));
    EXPECT_TRUE(ra.entries.empty());
    EXPECT_EQ(ra.entries.capacity(), 0u) << "handed over, not kept";

    ASSERT_TRUE(b.node(1).Propose(absl::string_view("y")).ok());
    Ready rb = b.node(1).GetReady();
    ASSERT_EQ(rb.entries.size(), 1u);
    EXPECT_EQ(rb.entries.data(), buffer);
    EXPECT_EQ(rb.entries[0].data(), "y");
    ASSERT_TRUE(b.storage(1).Append(rb.entries).ok());
    b.node(1).Advance(std::move(rb));
  }).join();
}

TEST(RawNodeDeathTest, AcceptingTwoReadiesWithoutAdvancePanics) {
  Cluster c(1);
  ASSERT_TRUE(c.node(1).Campaign().ok());
  (void)c.node(1).GetReady();
  // Still a candidate: its own vote is stepped only on Advance.
  EXPECT_TRUE(IsProposalDropped(c.node(1).Propose("x")));
  EXPECT_DEATH((void)c.node(1).GetReady(),
               "two accepted Ready structs without call to Advance");
}

TEST(RawNodeTest, AsyncStorageWritesRoundTrip) {
  Cluster c(1, [](Config& cfg) { cfg.async_storage_writes = true; });
  RawNode& n = c.node(1);
  MemoryStorage& s = c.storage(1);
  std::vector<std::string> applied;
  // The application's loop: storage work is done "on its threads" here,
  // inline, and the responses are stepped back.
  auto drain = [&] {
    for (int round = 0; round < 20 && n.HasReady(); ++round) {
      Ready rd = n.GetReady();
      for (Message& m : rd.messages) {
        if (m.to() == kLocalAppendThread) {
          HardState hs;
          hs.set_term(m.term());
          hs.set_vote(m.vote());
          hs.set_commit(m.commit());
          if (!IsEmptyHardState(hs)) {
            ASSERT_TRUE(s.SetHardState(hs).ok());
          }
          std::vector<Entry> ents(m.entries().begin(), m.entries().end());
          ASSERT_TRUE(s.Append(ents).ok());
        } else if (m.to() == kLocalApplyThread) {
          for (const Entry& e : m.entries()) {
            applied.push_back(e.data().ToString());
          }
        } else {
          FAIL() << "a single node sends nothing: " << DescribeMessage(m);
        }
        for (Message& r : *m.mutable_responses()) {
          ASSERT_TRUE(n.Step(r).ok()) << DescribeMessage(r);
        }
      }
    }
    EXPECT_FALSE(n.HasReady());
  };
  ASSERT_TRUE(n.Campaign().ok());
  drain();
  ASSERT_TRUE(n.Propose("async").ok());
  drain();
  EXPECT_EQ(n.GetBasicStatus().soft_state.raft_state, StateType::kLeader);
  EXPECT_EQ(n.GetBasicStatus().applied, 3u);
  EXPECT_THAT(applied, ::testing::ElementsAre("", "async"));
  // Advance is not part of the asynchronous contract.
  EXPECT_DEATH(n.Advance(), "Advance must not be called");
}

TEST(RawNodeTest, StatusReportsProgressOnlyOnTheLeader) {
  Cluster c(3);
  c.Elect(2);
  NodeStatus leader = c.node(2).GetStatus();
  EXPECT_EQ(leader.progress.size(), 3u);
  EXPECT_EQ(leader.basic.soft_state.lead, 2u);
  EXPECT_TRUE(c.node(1).GetStatus().progress.empty());
  int visited = 0;
  c.node(2).WithProgress(
      [&](uint64_t, const tracker::Progress&) { ++visited; });
  EXPECT_EQ(visited, 3);
}

}  // namespace
}  // namespace craft
