// Peer input is untrusted: a sweep of random and adversarial messages
// stepped into nodes in every role must never crash, trip an invariant
// (panic), break what each node guarantees on its own (its term never goes
// back, it votes once per term, its commit index never goes back and its
// committed entries never change), or leave the cluster unable to make
// progress afterwards.

#include <map>
#include <random>

#include "craft/describe.h"
#include "gtest/gtest.h"
#include "support/cluster.h"
#include "support/entries.h"

namespace craft {
namespace {

using ::craft::testing::Cluster;
using ::craft::testing::Msg;

Message RandomMessage(std::mt19937_64& rng) {
  auto pick = [&](std::initializer_list<uint64_t> vals) {
    std::vector<uint64_t> v(vals);
    return v[rng() % v.size()];
  };
  const uint64_t big = std::numeric_limits<uint64_t>::max();
  Message m;
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
    Entry* e = m.add_entries();
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

// The guarantees of each node that no message, however forged, may break.
class NodeInvariants {
 public:
  // Checks `id` now; with `persisted`, also its committed entries, which
  // must be in its storage.
  void Check(Cluster& c, uint64_t id, bool persisted) {
    const HardState hs = c.node(id).GetBasicStatus().hard_state;
    Seen& s = seen_[id];
    EXPECT_GE(hs.term(), s.term) << "node " << id << " term went back";
    EXPECT_GE(hs.commit(), s.commit) << "node " << id << " commit went back";
    if (hs.vote() != kNone) {
      auto [it, inserted] = s.votes.emplace(hs.term(), hs.vote());
      EXPECT_EQ(it->second, hs.vote())
          << "node " << id << " voted twice in term " << hs.term();
    }
    s.term = std::max(s.term, hs.term());
    s.commit = std::max(s.commit, hs.commit());
    if (!persisted) return;
    MemoryStorage& st = c.storage(id);
    for (uint64_t i = s.committed.empty() ? *st.FirstIndex()
                                          : s.committed.rbegin()->first + 1;
         i <= s.commit; ++i) {
      absl::StatusOr<uint64_t> t = st.Term(i);
      if (t.ok()) s.committed[i] = *t;
    }
    for (const auto& [index, term] : s.committed) {
      absl::StatusOr<uint64_t> t = st.Term(index);
      if (!t.ok()) continue;  // compacted (or replaced by a snapshot)
      EXPECT_EQ(*t, term) << "node " << id << " committed entry " << index
                          << " changed";
    }
  }

 private:
  struct Seen {
    uint64_t term = 0;
    uint64_t commit = 0;
    std::map<uint64_t, uint64_t> votes;      // term -> vote
    std::map<uint64_t, uint64_t> committed;  // index -> term
  };
  std::map<uint64_t, Seen> seen_;
};

TEST(MalformedMessageTest, RandomSweepKeepsEachNodesGuarantees) {
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
    NodeInvariants inv;
    for (int i = 0; i < 400 && !HasFailure(); ++i) {
      Message m = RandomMessage(rng);
      const uint64_t target = 1 + rng() % 3;
      m.set_to(target);
      (void)c.node(target).Step(m);
      inv.Check(c, target, /*persisted=*/false);
      if (i % 20 == 0) {
        c.Stabilize();
        for (uint64_t id : {1, 2, 3}) inv.Check(c, id, /*persisted=*/true);
      }
    }
    c.Stabilize();
    for (uint64_t id : {1, 2, 3}) inv.Check(c, id, /*persisted=*/true);
  }
}

TEST(MalformedMessageTest, AdversarialCases) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.node(1).Propose("x").ok());
  c.Stabilize();
  const uint64_t commit = c.Commit(2);

  // Entries whose indexes do not follow the message's index.
  Message app = Msg(raftpb::MsgApp, 1, 2, 2);
  app.set_log_term(2);
  app.set_index(3);
  *app.add_entries() = MakeEntry(7, 2);
  EXPECT_EQ(c.node(2).Step(app).code(), absl::StatusCode::kInvalidArgument);

  // A heartbeat committing past the follower's log.
  Message hb = Msg(raftpb::MsgHeartbeat, 1, 2, 2);
  hb.set_commit(1000);
  EXPECT_TRUE(c.node(2).Step(hb).ok());
  EXPECT_EQ(c.Commit(2), commit);

  // An acknowledgement of entries the leader never had.
  Message resp = Msg(raftpb::MsgAppResp, 2, 1, 2);
  resp.set_index(1000);
  EXPECT_TRUE(c.node(1).Step(resp).ok());

  // Proposals and reads without entries, unknown conf change payloads.
  Message prop = Msg(raftpb::MsgProp, 2, 1, 0);
  EXPECT_FALSE(c.node(1).Step(prop).ok());
  prop.set_type(raftpb::MsgReadIndex);
  EXPECT_FALSE(c.node(1).Step(prop).ok());
  prop.set_type(raftpb::MsgProp);
  Entry* cc = prop.add_entries();
  cc->set_type(raftpb::EntryConfChangeV2);
  cc->set_data("\xff\xff\xff");
  EXPECT_FALSE(c.node(1).Step(prop).ok());

  // A snapshot that does not include the receiver.
  Message snap = Msg(raftpb::MsgSnap, 1, 3, 2);
  raftpb::SnapshotMetadata* md = snap.mutable_snapshot()->mutable_metadata();
  md->set_index(100);
  md->set_term(2);
  md->mutable_conf_state()->add_voters(1);
  EXPECT_TRUE(c.node(3).Step(snap).ok());
  EXPECT_EQ(c.Commit(3), commit);
  c.Stabilize();

  // An append from a later term whose entries contradict committed ones
  // (index 2 and 3 are committed at term 2). Nothing before the commit
  // index is ever rewritten: the log is left unchanged. (Three guards stand
  // in the way: HandleAppendEntries, RaftLog::MaybeAppend and Append.)
  ASSERT_EQ(commit, 3u);
  Message rewrite = Msg(raftpb::MsgApp, 3, 2, 5);
  rewrite.set_index(1);
  rewrite.set_log_term(1);
  rewrite.set_commit(3);
  *rewrite.add_entries() = MakeEntry(2, 5);
  *rewrite.add_entries() = MakeEntry(3, 5);
  (void)c.node(2).Step(rewrite);
  c.Stabilize();
  EXPECT_EQ(*c.storage(2).Term(2), 2u);
  EXPECT_EQ(*c.storage(2).Term(3), 2u);
  EXPECT_EQ(c.Commit(2), commit);

  // The cluster still works. (The bogus term 5 strands leader 1 at term 2:
  // node 2 campaigns past it.)
  c.Elect(2);
  ASSERT_EQ(c.State(2), StateType::kLeader);
  const uint64_t before = c.Commit(2);
  ASSERT_TRUE(c.node(2).Propose("y").ok());
  c.Stabilize();
  EXPECT_EQ(c.Commit(3), before + 1);
  EXPECT_EQ(c.Commit(1), before + 1);
}

}  // namespace
}  // namespace craft
