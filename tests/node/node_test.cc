// The thread-safe Node: its Ready hand-out contract, Stop, and a cluster of
// nodes driven by their own threads.

#include "craft/node.h"

#include <poll.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "craft/errors.h"
#include "craft/memory_storage.h"
#include "craft/testing/capturing_logger.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace craft {
namespace {

Config NodeConfig(uint64_t id, MemoryStorage* s, Logger* log) {
  Config cfg;
  cfg.id = id;
  cfg.election_tick = 10;
  cfg.heartbeat_tick = 1;
  cfg.storage = s;
  cfg.logger = log;
  cfg.random_seed = id;
  return cfg;
}

// Persists a Ready into `s` the way an application must.
void Persist(MemoryStorage& s, const Ready& rd) {
  if (!IsEmptyHardState(rd.hard_state)) {
    ASSERT_TRUE(s.SetHardState(rd.hard_state).ok());
  }
  if (!IsEmptySnapshot(rd.snapshot)) {
    ASSERT_TRUE(s.ApplySnapshot(rd.snapshot).ok());
  }
  ASSERT_TRUE(s.Append(rd.entries).ok());
}

TEST(NodeTest, OneReadyIsOutstandingUntilAdvance) {
  MemoryStorage s;
  CapturingLogger log(LogLevel::kError);
  std::unique_ptr<Node> n = *Node::Start(NodeConfig(1, &s, &log), {{.id = 1}});
  std::optional<Ready> rd = n->WaitReady();
  ASSERT_TRUE(rd.has_value());
  Persist(s, *rd);
  // Work is pending (the bootstrap entries must be applied), but the Ready
  // is not advanced yet.
  EXPECT_FALSE(n->WaitReady(absl::Milliseconds(10)).has_value());
  for (const Entry& e : rd->committed_entries) {
    raftpb::ConfChange cc;
    ASSERT_TRUE(cc.ParseFromString(e.data().ToString()));
    ASSERT_TRUE(n->ApplyConfChange(cc).ok());
  }
  n->Advance();
  ASSERT_TRUE(n->Campaign().ok());
  rd = n->WaitReady(absl::Seconds(10));
  ASSERT_TRUE(rd.has_value());
  EXPECT_TRUE(rd->soft_state.has_value());
  n->Advance();
}

TEST(NodeTest, StopWakesWaitersAndRefusesCalls) {
  MemoryStorage s;
  CapturingLogger log(LogLevel::kError);
  std::unique_ptr<Node> n = *Node::Start(NodeConfig(1, &s, &log));
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    EXPECT_FALSE(n->WaitReady().has_value());
    returned = true;
  });
  n->Stop();
  waiter.join();
  EXPECT_TRUE(returned);
  EXPECT_EQ(n->Propose("x").code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(n->Campaign().code(), absl::StatusCode::kCancelled);
  n->Stop();  // idempotent
}

// Whether `fd` polls readable within `timeout` (0: right now).
bool Readable(int fd, absl::Duration timeout) {
  pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
  const int rc =
      poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  EXPECT_GE(rc, 0) << "poll: " << errno;
  return rc == 1 && (p.revents & POLLIN) != 0;
}

constexpr absl::Duration kPatience = absl::Seconds(5);  // an upper bound

// Applies the conf changes among `rd`'s committed entries; returns the
// normal entries' data.
std::vector<std::string> Apply(Node& n, const Ready& rd) {
  std::vector<std::string> data;
  for (const Entry& e : rd.committed_entries) {
    if (e.type() == raftpb::EntryConfChange) {
      raftpb::ConfChange cc;
      EXPECT_TRUE(cc.ParseFromString(e.data().ToString()));
      EXPECT_TRUE(n.ApplyConfChange(cc).ok());
    } else if (!e.data().empty()) {
      data.push_back(e.data().ToString());
    }
  }
  return data;
}

TEST(NodeTest, ReadyFdIsReadableExactlyWhenAReadyCanBeHandedOut) {
  MemoryStorage s;
  CapturingLogger log(LogLevel::kError);
  std::unique_ptr<Node> n = *Node::Start(NodeConfig(1, &s, &log), {{.id = 1}});
  const int fd = n->ReadyFd();
  ASSERT_GE(fd, 0);

  // Bootstrapping leaves the initial configuration to hand out.
  ASSERT_TRUE(Readable(fd, kPatience));
  std::optional<Ready> rd = n->TryReady();
  ASSERT_TRUE(rd.has_value());
  // Taken: unreadable while it is outstanding, though work is pending.
  EXPECT_FALSE(Readable(fd, absl::ZeroDuration()));
  Persist(s, *rd);
  Apply(*n, *rd);
  EXPECT_FALSE(Readable(fd, absl::ZeroDuration()));
  EXPECT_FALSE(n->TryReady().has_value());
  n->Advance();
  // Nothing pending.
  EXPECT_FALSE(Readable(fd, absl::ZeroDuration()));
  EXPECT_FALSE(n->TryReady().has_value());

  // Campaign produces a Ready.
  ASSERT_TRUE(n->Campaign().ok());
  ASSERT_TRUE(Readable(fd, kPatience));
  EXPECT_TRUE(Readable(fd, absl::ZeroDuration()));  // level-triggered
  rd = n->TryReady();
  ASSERT_TRUE(rd.has_value());
  ASSERT_TRUE(rd->soft_state.has_value());
  EXPECT_EQ(rd->soft_state->raft_state, StateType::kCandidate);
  EXPECT_FALSE(Readable(fd, absl::ZeroDuration()));
  // The self-vote counts once the campaign's Ready is persisted: Advance
  // leaves more work pending, and the fd readable again.
  Persist(s, *rd);
  n->Advance();
  ASSERT_TRUE(Readable(fd, kPatience));
  rd = n->TryReady();
  ASSERT_TRUE(rd.has_value());
  ASSERT_TRUE(rd->soft_state.has_value());
  EXPECT_EQ(rd->soft_state->raft_state, StateType::kLeader);
  EXPECT_FALSE(Readable(fd, absl::ZeroDuration()));
  // A proposal while the Ready is outstanding is pending, but the fd stays
  // unreadable until Advance.
  ASSERT_TRUE(n->Propose("x").ok());
  EXPECT_FALSE(Readable(fd, absl::ZeroDuration()));
  Persist(s, *rd);
  Apply(*n, *rd);
  n->Advance();
  ASSERT_TRUE(Readable(fd, kPatience));

  // Drive to the proposal's commit through the fd alone.
  std::vector<std::string> applied;
  for (int i = 0; i < 20 && applied.empty(); ++i) {
    ASSERT_TRUE(Readable(fd, kPatience));
    rd = n->TryReady();
    ASSERT_TRUE(rd.has_value());
    EXPECT_FALSE(Readable(fd, absl::ZeroDuration()));
    Persist(s, *rd);
    applied = Apply(*n, *rd);
    n->Advance();
  }
  EXPECT_THAT(applied, ::testing::ElementsAre("x"));
  EXPECT_FALSE(Readable(fd, absl::ZeroDuration()));
}

// An application loop driven by nothing but poll() on ReadyFd and TryReady
// elects a single-node leader and commits a proposal.
TEST(NodeTest, PollDrivenEventLoopElectsAndCommits) {
  MemoryStorage s;
  CapturingLogger log(LogLevel::kError);
  std::unique_ptr<Node> n = *Node::Start(NodeConfig(1, &s, &log), {{.id = 1}});
  bool configured = false;  // the bootstrap configuration is applied
  bool campaigned = false;
  bool proposed = false;
  bool leader = false;
  std::vector<std::string> applied;
  for (int i = 0; i < 50 && applied.empty(); ++i) {
    // The loop's own events, which in an application would be other fds.
    if (configured && !campaigned) {
      ASSERT_TRUE(n->Campaign().ok());
      campaigned = true;
    }
    if (leader && !proposed) {
      ASSERT_TRUE(n->Propose("hello").ok());
      proposed = true;
    }
    ASSERT_TRUE(Readable(n->ReadyFd(), kPatience)) << "no Ready at step " << i;
    std::optional<Ready> rd = n->TryReady();
    ASSERT_TRUE(rd.has_value()) << "readable fd, but no Ready";
    if (rd->soft_state.has_value()) {
      leader = rd->soft_state->raft_state == StateType::kLeader;
    }
    Persist(s, *rd);
    for (std::string& d : Apply(*n, *rd)) applied.push_back(std::move(d));
    configured = true;
    n->Advance();
  }
  EXPECT_TRUE(leader);
  EXPECT_THAT(applied, ::testing::ElementsAre("hello"));
  n->Stop();
  EXPECT_TRUE(Readable(n->ReadyFd(), kPatience));
  EXPECT_TRUE(n->IsStopped());
  EXPECT_FALSE(n->TryReady().has_value());
}

TEST(NodeTest, StopMakesTheFdReadableAndCallsReportCancelled) {
  MemoryStorage s;
  CapturingLogger log(LogLevel::kError);
  std::unique_ptr<Node> n = *Node::Start(NodeConfig(1, &s, &log), {{.id = 1}});
  // Before Stop they are accepted.
  EXPECT_TRUE(n->Tick().ok());
  EXPECT_TRUE(n->ReadIndex("r").ok());
  EXPECT_TRUE(n->TransferLeadership(2).ok());
  EXPECT_TRUE(n->ReportUnreachable(2).ok());
  EXPECT_TRUE(n->ReportSnapshot(2, SnapshotStatus::kFinish).ok());
  // Take the bootstrap Ready, so that only Stop can make the fd readable.
  ASSERT_TRUE(n->TryReady().has_value());
  ASSERT_FALSE(Readable(n->ReadyFd(), absl::ZeroDuration()));
  EXPECT_FALSE(n->IsStopped());

  // A loop blocked in poll wakes up.
  std::atomic<bool> woke{false};
  std::thread poller([&] { woke = Readable(n->ReadyFd(), kPatience); });
  n->Stop();
  poller.join();
  EXPECT_TRUE(woke);
  EXPECT_TRUE(n->IsStopped());
  // And it stays readable: the loop sees the stop however late it looks.
  EXPECT_TRUE(Readable(n->ReadyFd(), absl::ZeroDuration()));
  EXPECT_FALSE(n->TryReady().has_value());
  n->Advance();  // the outstanding Ready: ignored after Stop
  EXPECT_TRUE(Readable(n->ReadyFd(), absl::ZeroDuration()));

  for (const absl::Status& st :
       {n->Tick(), n->ReadIndex("r"), n->TransferLeadership(2),
        n->ReportUnreachable(2),
        n->ReportSnapshot(2, SnapshotStatus::kFailure)}) {
    EXPECT_EQ(st.code(), absl::StatusCode::kCancelled) << st;
    EXPECT_THAT(st.message(), ::testing::HasSubstr("stopped"));
  }
}

TEST(NodeTest, StepFromPeerRefusesStorageResponses) {
  MemoryStorage s;
  CapturingLogger log(LogLevel::kError);
  Config cfg = NodeConfig(1, &s, &log);
  cfg.async_storage_writes = true;
  std::unique_ptr<Node> n = *Node::Start(cfg, {{.id = 1}});
  Message ack;
  ack.set_type(raftpb::MsgStorageAppendResp);
  ack.set_from(kLocalAppendThread);
  ack.set_to(1);
  ack.set_term(1);
  ack.set_index(1);
  ack.set_log_term(1);
  EXPECT_TRUE(IsStepLocalMsg(n->StepFromPeer(ack)));
  n->Stop();
  EXPECT_EQ(n->StepFromPeer(ack).code(), absl::StatusCode::kCancelled);
}

TEST(NodeTest, StartValidatesTheConfiguration) {
  MemoryStorage s;
  Config cfg = NodeConfig(0, &s, nullptr);
  EXPECT_EQ(Node::Start(cfg).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Three nodes, each with an application thread; a ticker thread; client
// threads proposing concurrently to every node.
TEST(NodeTest, ThreadedClusterAppliesTheSameSequence) {
  constexpr int kNodes = 3;
  constexpr int kClients = 4;
  constexpr int kPerClient = 25;
  CapturingLogger log(LogLevel::kError);
  std::vector<std::unique_ptr<MemoryStorage>> storages;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<Peer> peers;
  for (int i = 1; i <= kNodes; ++i) peers.push_back({.id = uint64_t(i)});
  for (int i = 1; i <= kNodes; ++i) {
    storages.push_back(std::make_unique<MemoryStorage>());
    absl::StatusOr<std::unique_ptr<Node>> n =
        Node::Start(NodeConfig(i, storages.back().get(), &log), peers);
    ASSERT_TRUE(n.ok()) << n.status();
    nodes.push_back(*std::move(n));
  }

  std::mutex mu;
  std::vector<std::vector<std::string>> applied(kNodes);
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      Node& n = *nodes[i];
      while (!done) {
        std::optional<Ready> rd = n.WaitReady(absl::Milliseconds(50));
        if (!rd) continue;
        Persist(*storages[i], *rd);
        for (Message& m : rd->messages) {
          (void)nodes[m.to() - 1]->Step(std::move(m));
        }
        for (const Entry& e : rd->committed_entries) {
          if (e.type() == raftpb::EntryConfChange) {
            raftpb::ConfChange cc;
            ASSERT_TRUE(cc.ParseFromString(e.data().ToString()));
            ASSERT_TRUE(n.ApplyConfChange(cc).ok());
          } else if (!e.data().empty()) {
            std::lock_guard<std::mutex> lock(mu);
            applied[i].push_back(e.data().ToString());
          }
        }
        n.Advance();
      }
    });
  }
  threads.emplace_back([&] {
    while (!done) {
      // Cancelled only once the nodes are stopped, after `done`.
      for (auto& n : nodes) n->Tick().IgnoreError();
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int k = 0; k < kPerClient && !done; ++k) {
        const std::string data = absl::StrCat("c", c, "-", k);
        // Retry through any node until accepted: there may be no leader
        // yet, or it may change.
        for (int attempt = 0; !done; ++attempt) {
          if (nodes[(c + attempt) % kNodes]->Propose(data).ok()) break;
          absl::SleepFor(absl::Milliseconds(2));
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();

  // Everything accepted is applied everywhere, in the same order. (A
  // proposal accepted by a leader that then lost leadership may be lost,
  // which Raft allows; with a stable leader there is none.)
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  auto settled = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return applied[0].size() >= kClients * kPerClient &&
           applied[0] == applied[1] && applied[1] == applied[2];
  };
  while (!settled() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  done = true;
  for (auto& n : nodes) n->Stop();
  for (std::thread& t : threads) t.join();

  std::lock_guard<std::mutex> lock(mu);
  EXPECT_GE(applied[0].size(), size_t{kClients * kPerClient});
  EXPECT_EQ(applied[0], applied[1]);
  EXPECT_EQ(applied[1], applied[2]);
}

}  // namespace
}  // namespace craft
