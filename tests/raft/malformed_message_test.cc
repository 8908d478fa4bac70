// Peer input is untrusted: a sweep of random and adversarial messages
// stepped into nodes in every role must never crash, trip an invariant
// (panic) or leave the cluster unable to make progress afterwards.

#include <random>

#include "craft/describe.h"
#include "gtest/gtest.h"
#include "support/cluster.h"

namespace craft {
namespace {

using ::craft::testing::Cluster;

raftpb::Message RandomMessage(std::mt19937_64& rng) {
  auto pick = [&](std::initializer_list<uint64_t> vals) {
    std::vector<uint64_t> v(vals);
    return v[rng() % v.size()];
  };
  const uint64_t big = std::numeric_limits<uint64_t>::max();
  raftpb::Message m;
  m.set_type(static_cast<raftpb::MessageType>(rng() % 24));
  // Not the local storage threads: their responses are the application's
  // to deliver, and are trusted (see StorageResponsesAreTrusted).
  m.set_from(pick({0, 1, 2, 3, 4, 99}));
  m.set_to(pick({0, 1, 2, 3}));
  m.set_term(pick({0, 1, 2, 3, 4, 100, big}));
  m.set_log_term(pick({0, 1, 2, 3, 100, big}));
  m.set_index(pick({0, 1, 2, 3, 4, 5, 50, big - 1, big}));
  m.set_commit(pick({0, 1, 2, 3, 10, 1000, big}));
  m.set_reject(rng() % 2);
  m.set_reject_hint(pick({0, 1, 2, 5, big}));
  if (rng() % 3 == 0) m.set_context(rng() % 2 ? "CampaignTransfer" : "junk");
  const int n = static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    raftpb::Entry* e = m.add_entries();
    const bool consecutive = rng() % 2;
    e->set_index(consecutive ? m.index() + 1 + i : pick({0, 1, 3, 7, big}));
    e->set_term(pick({0, 1, 2, 3, m.term()}));
    e->set_type(static_cast<raftpb::EntryType>(rng() % 3));
    e->set_data(rng() % 2 ? "data" : std::string("\xff\x01garbage", 9));
  }
  if (rng() % 4 == 0) {
    raftpb::SnapshotMetadata* md = m.mutable_snapshot()->mutable_metadata();
    md->set_index(pick({0, 1, 5, 100}));
    md->set_term(pick({0, 1, 3, 100}));
    for (uint64_t v : {1, 2, 3}) {
      if (rng() % 2) md->mutable_conf_state()->add_voters(v);
    }
    if (rng() % 3 == 0) md->mutable_conf_state()->add_learners(1);
    if (rng() % 3 == 0) md->mutable_conf_state()->add_voters_outgoing(2);
  }
  return m;
}

std::string FatalLines(const CapturingLogger& log) {
  std::string out;
  for (const std::string& l : log.Lines()) {
    if (l.rfind("FATAL", 0) == 0) out += l + "\n";
  }
  return out;
}

TEST(MalformedMessageTest, RandomSweepNeverCrashes) {
  std::mt19937_64 rng(20261122);
  for (int cluster_seed = 0; cluster_seed < 30; ++cluster_seed) {
    Cluster c(3, [&](Config& cfg) {
      cfg.pre_vote = cluster_seed % 2;
      cfg.check_quorum = cluster_seed % 3 == 0;
      cfg.async_storage_writes = false;
    });
    // Put the nodes in different roles.
    if (cluster_seed % 4 != 0) c.Elect(1 + cluster_seed % 3);
    if (cluster_seed % 5 == 0) {
      c.Isolate(2);
      ASSERT_TRUE(c.node(2).Campaign().ok());
    }
    for (int i = 0; i < 400; ++i) {
      raftpb::Message m = RandomMessage(rng);
      const uint64_t target = 1 + rng() % 3;
      m.set_to(target);
      (void)c.node(target).Step(m);
      if (i % 20 == 0) c.Stabilize();
    }
    c.Stabilize();
    EXPECT_EQ(c.logger().panics(), 0) << "seed " << cluster_seed << "\n"
                                      << FatalLines(c.logger());
  }
}

TEST(MalformedMessageTest, AdversarialCases) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  const uint64_t commit = c.Commit(2);

  // Entries whose indexes do not follow the message's index.
  raftpb::Message app;
  app.set_type(raftpb::MsgApp);
  app.set_from(1);
  app.set_to(2);
  app.set_term(2);
  app.set_log_term(2);
  app.set_index(3);
  *app.add_entries() = MakeEntry(7, 2);
  EXPECT_EQ(c.node(2).Step(app).code(), absl::StatusCode::kInvalidArgument);

  // An append that would rewrite committed entries.
  app.clear_entries();
  app.set_index(1);
  app.set_log_term(1);
  *app.add_entries() = MakeEntry(2, 2);
  raftpb::Entry* e = app.add_entries();
  *e = MakeEntry(3, 2);
  e->set_data("rewritten");
  app.set_commit(3);
  (void)c.node(2).Step(app);
  EXPECT_EQ(c.Commit(2), commit);

  // A heartbeat committing past the follower's log.
  raftpb::Message hb;
  hb.set_type(raftpb::MsgHeartbeat);
  hb.set_from(1);
  hb.set_to(2);
  hb.set_term(2);
  hb.set_commit(1000);
  EXPECT_TRUE(c.node(2).Step(hb).ok());
  EXPECT_EQ(c.Commit(2), commit);

  // An acknowledgement of entries the leader never had.
  raftpb::Message resp;
  resp.set_type(raftpb::MsgAppResp);
  resp.set_from(2);
  resp.set_to(1);
  resp.set_term(2);
  resp.set_index(1000);
  EXPECT_TRUE(c.node(1).Step(resp).ok());

  // Proposals and reads without entries, unknown conf change payloads.
  raftpb::Message prop;
  prop.set_type(raftpb::MsgProp);
  prop.set_from(2);
  prop.set_to(1);
  EXPECT_FALSE(c.node(1).Step(prop).ok());
  prop.set_type(raftpb::MsgReadIndex);
  EXPECT_FALSE(c.node(1).Step(prop).ok());
  prop.set_type(raftpb::MsgProp);
  raftpb::Entry* cc = prop.add_entries();
  cc->set_type(raftpb::EntryConfChangeV2);
  cc->set_data("\xff\xff\xff");
  EXPECT_FALSE(c.node(1).Step(prop).ok());

  // A snapshot that does not include the receiver.
  raftpb::Message snap;
  snap.set_type(raftpb::MsgSnap);
  snap.set_from(1);
  snap.set_to(3);
  snap.set_term(2);
  snap.mutable_snapshot()->mutable_metadata()->set_index(100);
  snap.mutable_snapshot()->mutable_metadata()->set_term(2);
  snap.mutable_snapshot()->mutable_metadata()->mutable_conf_state()->add_voters(
      1);
  EXPECT_TRUE(c.node(3).Step(snap).ok());
  EXPECT_EQ(c.Commit(3), commit);

  EXPECT_EQ(c.logger().panics(), 0);
  // The cluster still works.
  c.Stabilize();
  ASSERT_TRUE(c.node(1).Propose("y").ok());
  c.Stabilize();
  EXPECT_EQ(c.Commit(3), commit + 1);
}

}  // namespace
}  // namespace craft
