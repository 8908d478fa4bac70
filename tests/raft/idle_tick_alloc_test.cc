// Shows that an idle leader's tick allocates nothing, and that draining its
// heartbeats allocates nothing either once the thread's buffers are warm:
// this binary links craft_alloc_counter, which counts every allocation.
// Many groups tick before any is drained, as in a multi-raft process.

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "craft/memory_storage.h"
#include "craft/raw_node.h"
#include "craft/testing/follower_answers.h"
#include "gtest/gtest.h"
#include "testing/alloc_counter.h"

namespace craft {
namespace {

uint64_t Allocations() { return craft::testing::AllocStats::Now().allocs; }

class DropLogger : public Logger {
 public:
  bool Enabled(LogLevel) const override { return false; }
  void Write(LogLevel, absl::string_view) override {}
};

struct Group {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<RawNode> node;
};

// Node 1 of voters {1, ..., voters}, elected, with its followers at match
// 2: its vote requests and appends answered as the followers would.
Group ElectedGroup(Logger* logger, uint64_t voters = 3) {
  Group g;
  g.storage = std::make_unique<MemoryStorage>();
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(1);
  snap.mutable_metadata()->set_term(1);
  for (uint64_t v = 1; v <= voters; ++v) {
    snap.mutable_metadata()->mutable_conf_state()->add_voters(v);
  }
  EXPECT_TRUE(g.storage->ApplySnapshot(snap).ok());
  Config c;
  c.id = 1;
  c.storage = g.storage.get();
  c.logger = logger;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  g.node = *RawNode::Create(c);
  EXPECT_TRUE(g.node->Campaign().ok());
  while (g.node->HasReady()) {
    Ready rd = g.node->GetReady();
    if (!IsEmptyHardState(rd.hard_state)) {
      EXPECT_TRUE(g.storage->SetHardState(rd.hard_state).ok());
    }
    EXPECT_TRUE(g.storage->Append(rd.entries).ok());
    std::vector<Message> answers =
        craft::testing::AnswerAsFollowers(rd.messages);
    g.node->Advance(std::move(rd));
    for (Message& a : answers) EXPECT_TRUE(g.node->Step(std::move(a)).ok());
  }
  EXPECT_EQ(g.node->GetBasicStatus().soft_state.raft_state, StateType::kLeader);
  return g;
}

TEST(IdleTickAllocTest, TicksAndHeartbeatDrainsDoNotAllocate) {
  DropLogger logger;
  std::vector<Group> groups;
  for (int i = 0; i < 64; ++i) groups.push_back(ElectedGroup(&logger));
  uint64_t heartbeats = 0;
  auto round = [&](uint64_t* tick_allocs, uint64_t* drain_allocs) {
    const uint64_t t0 = Allocations();
    for (Group& g : groups) g.node->Tick();
    const uint64_t t1 = Allocations();
    for (Group& g : groups) {
      ASSERT_TRUE(g.node->HasReady());
      Ready rd = g.node->GetReady();
      for (const Message& m : rd.messages) {
        heartbeats += m.type() == raftpb::MsgHeartbeat ? 1 : 0;
      }
      g.node->Advance(std::move(rd));
    }
    *tick_allocs = t1 - t0;
    *drain_allocs = Allocations() - t1;
  };
  uint64_t tick_allocs = 0, drain_allocs = 0;
  round(&tick_allocs, &drain_allocs);  // warms the thread's buffers
  EXPECT_EQ(tick_allocs, 0u);
  heartbeats = 0;
  for (int i = 0; i < 5; ++i) {
    round(&tick_allocs, &drain_allocs);
    EXPECT_EQ(tick_allocs, 0u) << "round " << i;
    EXPECT_EQ(drain_allocs, 0u) << "round " << i;
  }
  EXPECT_EQ(heartbeats, 5u * 64 * 2) << "each tick sends two heartbeats";
}

using Sent = std::vector<std::pair<raftpb::MessageType, uint64_t>>;

// The type and recipient of each message of the node's next Ready, after
// checking that every heartbeat carries `commit`.
Sent NextReadyMessages(RawNode& node, uint64_t commit) {
  Ready rd = node.GetReady();
  Sent sent;
  for (const Message& m : rd.messages) {
    sent.emplace_back(m.type(), m.to());
    if (m.type() == raftpb::MsgHeartbeat) {
      EXPECT_EQ(m.commit(), commit);
    }
  }
  node.Advance(std::move(rd));
  return sent;
}

TEST(IdleTickAllocTest, DeferredHeartbeatsGoOutAsIfSentAtTheTick) {
  // The round a tick makes is built later, but what it says and where it
  // stands among the messages are those of the tick, with the commit index
  // of the tick: before the appends of a proposal that follows it, and
  // before the appends of a proposal that preceded it, which are batched
  // until the Ready (Config::batch_appends).
  const Sent want = {{raftpb::MsgHeartbeat, 2},
                     {raftpb::MsgHeartbeat, 3},
                     {raftpb::MsgApp, 2},
                     {raftpb::MsgApp, 3}};
  DropLogger logger;
  Group g = ElectedGroup(&logger);
  const uint64_t commit = g.node->GetBasicStatus().hard_state.commit();

  g.node->Tick();
  ASSERT_TRUE(g.node->HasReady());
  ASSERT_TRUE(g.node->Propose("tick, then propose").ok());
  EXPECT_EQ(NextReadyMessages(*g.node, commit), want);

  ASSERT_TRUE(g.node->Propose("propose, then tick").ok());
  g.node->Tick();
  EXPECT_EQ(NextReadyMessages(*g.node, commit), want);
}

TEST(IdleTickAllocTest, ALeaderAloneHasNoHeartbeatRound) {
  // No one to send to: the tick leaves nothing for a Ready (the simulator
  // found an empty Ready here once).
  DropLogger logger;
  Group g = ElectedGroup(&logger, /*voters=*/1);
  for (int i = 0; i < 3; ++i) {
    g.node->Tick();
    EXPECT_FALSE(g.node->HasReady()) << "tick " << i;
  }
}

TEST(IdleTickAllocTest, CounterSeesAllocations) {
  const uint64_t before = Allocations();
  // (Through a volatile pointer, so that the compiler cannot elide it.)
  int* volatile p = new int(1);
  delete p;
  EXPECT_GE(Allocations() - before, 1u);
}

}  // namespace
}  // namespace craft
