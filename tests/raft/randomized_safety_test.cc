// Randomized safety: clusters run seeded random schedules of ticks,
// proposals, message loss, duplication and reordering, partitions, crashes
// with restart from durable storage, and snapshot compaction, while every
// step checks Raft's safety properties (Raft paper, Figure 3):
//
//   - Election Safety: at most one leader per term.
//   - State Machine Safety: nodes apply the same entry at each index.
//   - Leader Completeness (in effect): nothing a node applied is ever
//     contradicted by what another applies later.
//
// After each schedule the network heals, and the cluster must elect a
// leader and commit a new proposal everywhere (liveness once stable).
//
// CI runs 25 schedules per configuration; CRAFT_SIM_SEEDS=400 searches
// deeper (that many finds, for instance, a leader that commits an earlier
// term's entry by counting replicas, the Figure 8 bug).

#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "craft/capturing_logger.h"
#include "craft/describe.h"
#include "craft/memory_storage.h"
#include "craft/raw_node.h"
#include "gtest/gtest.h"

namespace craft {
namespace {

struct Options {
  int nodes = 3;
  bool pre_vote = false;
  bool check_quorum = false;
};

class Simulation {
 public:
  Simulation(uint64_t seed, Options opts)
      : rng_(seed), opts_(opts), logger_(LogLevel::kError) {
    raftpb::Snapshot snap;
    snap.mutable_metadata()->set_index(1);
    snap.mutable_metadata()->set_term(1);
    for (int i = 1; i <= opts.nodes; ++i) {
      snap.mutable_metadata()->mutable_conf_state()->add_voters(i);
      conf_.add_voters(i);
    }
    for (uint64_t id = 1; id <= static_cast<uint64_t>(opts.nodes); ++id) {
      Node& n = nodes_[id];
      n.storage = std::make_unique<MemoryStorage>();
      EXPECT_TRUE(n.storage->ApplySnapshot(snap).ok());
      n.applied_index = 1;
      Start(id);
    }
  }

  void Run(int steps) {
    for (int i = 0; i < steps && !::testing::Test::HasFailure(); ++i) {
      Step();
      CheckSafety();
    }
  }

  // Heals the network and requires a leader to commit a new entry on every
  // node within a bounded number of rounds.
  void RequireLiveness() {
    partition_.clear();
    for (auto& [id, n] : nodes_) {
      if (!n.node) Start(id);
    }
    const std::string marker = "liveness";
    bool proposed = false;
    for (int round = 0; round < 2000; ++round) {
      for (auto& [id, n] : nodes_) n.node->Tick();
      DeliverAll();
      CheckSafety();
      if (::testing::Test::HasFailure()) return;
      uint64_t leader = kNone;
      for (auto& [id, n] : nodes_) {
        if (n.node->GetBasicStatus().soft_state.raft_state ==
            StateType::kLeader) {
          leader = id;
        }
      }
      // (Re)propose until it sticks: a proposal can be lost with a leader.
      if (leader != kNone && (!proposed || round % 100 == 99)) {
        proposed |= nodes_[leader].node->Propose(marker).ok();
      }
      bool everywhere = proposed;
      for (auto& [id, n] : nodes_) {
        everywhere &= !n.applied.empty() && n.applied.back().second == marker;
      }
      if (everywhere) return;
    }
    ADD_FAILURE() << "no progress after healing";
  }

 private:
  struct Node {
    std::unique_ptr<MemoryStorage> storage;
    std::unique_ptr<RawNode> node;  // null while crashed
    // The state machine: (index, data) of every applied entry since the
    // beginning, survived across crashes (it is the application's).
    std::vector<std::pair<uint64_t, std::string>> applied;
    uint64_t applied_index = 0;
  };

  void Start(uint64_t id) {
    Node& n = nodes_[id];
    Config cfg;
    cfg.id = id;
    cfg.election_tick = 10;
    cfg.heartbeat_tick = 1;
    cfg.storage = n.storage.get();
    cfg.logger = &logger_;
    cfg.pre_vote = opts_.pre_vote;
    cfg.check_quorum = opts_.check_quorum;
    // One entry per message: the most interleavings. (Batched appends
    // hide, for instance, the Figure 8 hazard: an old-term entry and the
    // new leader's own entry then always travel together.)
    cfg.max_size_per_msg = 0;
    cfg.max_inflight_msgs = 8;
    cfg.applied = n.applied_index;
    cfg.random_seed = rng_();
    absl::StatusOr<std::unique_ptr<RawNode>> rn = RawNode::Create(cfg);
    ASSERT_TRUE(rn.ok()) << rn.status();
    n.node = *std::move(rn);
  }

  bool Connected(uint64_t a, uint64_t b) const {
    auto side = [&](uint64_t id) {
      auto it = partition_.find(id);
      return it == partition_.end() ? 0 : it->second;
    };
    return side(a) == side(b);
  }

  void HandleReady(uint64_t id) {
    Node& n = nodes_[id];
    if (!n.node || !n.node->HasReady()) return;
    Ready rd = n.node->GetReady();
    if (!IsEmptySnapshot(rd.snapshot)) {
      ASSERT_TRUE(n.storage->ApplySnapshot(rd.snapshot).ok());
      // The state machine becomes the snapshot's.
      n.applied.clear();
      for (absl::string_view rec :
           absl::StrSplit(rd.snapshot.data(), '\n', absl::SkipEmpty())) {
        std::pair<absl::string_view, absl::string_view> kv =
            absl::StrSplit(rec, absl::MaxSplits('=', 1));
        n.applied.emplace_back(std::stoull(std::string(kv.first)),
                               std::string(kv.second));
      }
      n.applied_index = rd.snapshot.metadata().index();
    }
    if (!IsEmptyHardState(rd.hard_state)) {
      ASSERT_TRUE(n.storage->SetHardState(rd.hard_state).ok());
    }
    ASSERT_TRUE(n.storage->Append(rd.entries).ok());
    for (raftpb::Message& m : rd.messages) {
      if (Connected(m.from(), m.to())) {
        queue_.push_back(std::move(m));
      } else {
        Lose(m);
      }
    }
    for (const raftpb::Entry& e : rd.committed_entries) {
      if (e.index() <= n.applied_index) continue;
      if (e.type() == raftpb::EntryNormal && !e.data().empty()) {
        n.applied.emplace_back(e.index(), e.data());
      }
      n.applied_index = e.index();
    }
    n.node->Advance();
  }

  // Delivers `m` unless the network or a crash loses it. Like a real
  // transport, reports the fate of snapshots to their sender: a leader
  // waits for that report before it tries again.
  void Deliver(raftpb::Message m) {
    Node& n = nodes_[m.to()];
    const bool delivered = n.node && Connected(m.from(), m.to());
    if (m.type() == raftpb::MsgSnap) {
      ReportSnapshot(m.from(), m.to(), delivered);
    }
    if (!delivered) return;
    (void)n.node->Step(std::move(m));
  }

  void Lose(const raftpb::Message& m) {
    if (m.type() == raftpb::MsgSnap) ReportSnapshot(m.from(), m.to(), false);
  }

  void ReportSnapshot(uint64_t from, uint64_t to, bool ok) {
    Node& sender = nodes_[from];
    if (!sender.node) return;
    sender.node->ReportSnapshot(
        to, ok ? SnapshotStatus::kFinish : SnapshotStatus::kFailure);
  }

  void DeliverAll() {
    for (int round = 0; round < 100; ++round) {
      for (auto& [id, n] : nodes_) HandleReady(id);
      if (queue_.empty()) return;
      std::vector<raftpb::Message> msgs = std::move(queue_);
      queue_.clear();
      for (raftpb::Message& m : msgs) {
        if (Connected(m.from(), m.to())) Deliver(std::move(m));
      }
    }
  }

  void Step() {
    const int action = static_cast<int>(rng_() % 100);
    const uint64_t id = 1 + rng_() % nodes_.size();
    Node& n = nodes_[id];
    if (action < 40) {
      if (n.node) n.node->Tick();
    } else if (action < 55) {
      if (n.node) (void)n.node->Propose(absl::StrCat("v", ++proposals_));
    } else if (action < 85) {
      // Deliver a random handful of queued messages, in random order, some
      // lost and some duplicated.
      for (int k = 0; k < 8 && !queue_.empty(); ++k) {
        const size_t i = rng_() % queue_.size();
        raftpb::Message m = queue_[i];
        const int fate = static_cast<int>(rng_() % 10);
        if (fate != 1) {  // 1 in 10 duplicated (kept queued)
          queue_.erase(queue_.begin() + static_cast<ptrdiff_t>(i));
        }
        if (fate == 0) {  // 1 in 10 lost
          Lose(m);
        } else {
          Deliver(std::move(m));
        }
      }
    } else if (action < 88) {
      // A new random partition, or a healed one.
      partition_.clear();
      if (rng_() % 2 == 0) {
        for (auto& [other, node] : nodes_) partition_[other] = rng_() % 2;
      }
    } else if (action < 91) {
      // Crash: everything not yet persisted (unhandled Ready, queued
      // messages from it) is lost; restart from storage.
      if (n.node) {
        n.node.reset();
      } else {
        Start(id);
      }
    } else if (action < 93) {
      // Snapshot and compact up to what was applied.
      if (n.node && n.applied_index > *n.storage->FirstIndex()) {
        std::string data;
        for (const auto& [index, value] : n.applied) {
          absl::StrAppend(&data, index, "=", value, "\n");
        }
        absl::StatusOr<raftpb::Snapshot> snap =
            n.storage->CreateSnapshot(n.applied_index, &conf_, data);
        if (snap.ok()) {
          ASSERT_TRUE(n.storage->Compact(n.applied_index).ok());
        }
      }
    }
    for (auto& [other, node] : nodes_) HandleReady(other);
  }

  void CheckSafety() {
    for (auto& [id, n] : nodes_) {
      if (!n.node) continue;
      BasicStatus st = n.node->GetBasicStatus();
      if (st.soft_state.raft_state == StateType::kLeader) {
        auto [it, inserted] = leaders_.emplace(st.hard_state.term(), id);
        ASSERT_EQ(it->second, id)
            << "two leaders in term " << st.hard_state.term();
      }
      // What this node applied must agree with what anyone applied.
      for (const auto& [index, value] : n.applied) {
        auto [it, inserted] = applied_.emplace(index, value);
        ASSERT_EQ(it->second, value)
            << "node " << id << " applied a different entry at " << index;
      }
    }
  }

  std::mt19937_64 rng_;
  Options opts_;
  CapturingLogger logger_;
  raftpb::ConfState conf_;
  std::map<uint64_t, Node> nodes_;
  std::vector<raftpb::Message> queue_;
  std::map<uint64_t, int> partition_;
  std::map<uint64_t, uint64_t> leaders_;
  std::map<uint64_t, std::string> applied_;
  int proposals_ = 0;
};

class RandomizedSafetyTest : public ::testing::TestWithParam<Options> {};

TEST_P(RandomizedSafetyTest, SafetyHoldsAndTheClusterRecovers) {
  // CRAFT_SIM_SEEDS runs more schedules, for a deeper search than CI's.
  const char* env = std::getenv("CRAFT_SIM_SEEDS");
  const uint64_t seeds = env != nullptr ? std::stoull(env) : 25;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Simulation sim(seed * 7919, GetParam());
    sim.Run(3000);
    sim.RequireLiveness();
    if (HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Configurations, RandomizedSafetyTest,
    ::testing::Values(Options{3, false, false}, Options{3, true, false},
                      Options{5, false, true}, Options{5, true, true}),
    [](const ::testing::TestParamInfo<Options>& info) {
      return absl::StrCat("n", info.param.nodes,
                          info.param.pre_vote ? "_prevote" : "",
                          info.param.check_quorum ? "_checkquorum" : "");
    });

}  // namespace
}  // namespace craft
