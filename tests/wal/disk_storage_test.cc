// DiskStorage: nodes that run over it and restart from their directories
// with exactly the state they acknowledged, through crashes, failed syncs
// and damaged snapshot files.

#include "craft/wal/disk_storage.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "craft/errors.h"
#include "craft/raw_node.h"
#include "craft/testing/capturing_logger.h"
#include "gtest/gtest.h"
#include "wal/fault_env.h"
#include "wal/wal_test_util.h"

namespace craft {
namespace {

using testing::FaultEnv;
using wal_test::FilesIn;
using wal_test::ReadAll;
using wal_test::ScratchDir;
using wal_test::WriteAll;

CapturingLogger& Quiet() {
  static CapturingLogger* logger = new CapturingLogger(LogLevel::kError);
  return *logger;
}

raftpb::Snapshot Bootstrap(std::vector<uint64_t> voters) {
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(1);
  snap.mutable_metadata()->set_term(1);
  for (uint64_t id : voters)
    snap.mutable_metadata()->mutable_conf_state()->add_voters(id);
  return snap;
}

// What a restarted node must find: the whole readable state of a storage.
struct State {
  HardState hs;
  std::string conf_state;  // wire encoding
  uint64_t first = 0;
  uint64_t last = 0;
  std::vector<std::string> entries;  // wire encodings, first..last
  std::string snapshot;              // wire encoding

  bool operator==(const State&) const = default;
};

State StateOf(const Storage& s) {
  State st;
  absl::StatusOr<InitialState> init = s.InitialState();
  EXPECT_TRUE(init.ok()) << init.status();
  st.hs = init->hard_state;
  st.conf_state = init->conf_state.SerializeAsString();
  st.first = *s.FirstIndex();
  st.last = *s.LastIndex();
  if (st.last >= st.first) {
    absl::StatusOr<std::vector<Entry>> ents =
        s.Entries(st.first, st.last + 1, UINT64_MAX);
    EXPECT_TRUE(ents.ok()) << ents.status();
    for (const Entry& e : *ents) st.entries.push_back(wal_test::Wire(e));
  }
  st.snapshot = s.Snapshot()->SerializeAsString();
  return st;
}

std::string Describe(const State& st) {
  return absl::StrCat(
      "hs=", st.hs.term(), "/", st.hs.vote(), "/", st.hs.commit(),
      " conf bytes=", st.conf_state.size(), " log=[", st.first, ",", st.last,
      "] entries=", st.entries.size(), " snapshot bytes=", st.snapshot.size());
}

// A cluster of RawNodes over DiskStorage in one process, messages delivered
// in memory, each Ready saved before its messages are delivered.
class Cluster {
 public:
  Cluster(std::string root, std::vector<uint64_t> ids, Env* env = nullptr,
          bool async = false)
      : root_(std::move(root)),
        ids_(std::move(ids)),
        env_(env),
        async_(async) {}

  // Opens (or reopens) member id's storage and node.
  absl::Status Start(uint64_t id) {
    DiskStorageOptions opts;
    opts.env = env_;
    opts.segment_bytes = 16 << 10;
    auto storage = DiskStorage::Open(Dir(id), opts);
    if (!storage.ok()) return storage.status();
    Member& m = members_[id];
    m.storage = *std::move(storage);
    if (m.storage->LastIndex().value() == 0) {
      if (absl::Status s = m.storage->ApplySnapshot(Bootstrap(ids_)); !s.ok())
        return s;
    }
    Config c;
    c.id = id;
    c.storage = m.storage.get();
    c.logger = &Quiet();
    c.election_tick = 10;
    c.heartbeat_tick = 1;
    c.async_storage_writes = async_;
    c.max_inflight_msgs = 256;
    c.max_size_per_msg = 1 << 20;
    c.applied = m.storage->Snapshot()->metadata().index();
    auto node = RawNode::Create(c);
    if (!node.ok()) return node.status();
    m.node = *std::move(node);
    return absl::OkStatus();
  }
  absl::Status StartAll() {
    for (uint64_t id : ids_) {
      if (absl::Status s = Start(id); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  // Closes member id without syncing anything more (a crash, as far as
  // this process's writes go).
  void Stop(uint64_t id) { members_.erase(id); }
  void StopAll() { members_.clear(); }

  std::string Dir(uint64_t id) const {
    return JoinPath(root_, absl::StrCat(id));
  }
  RawNode& node(uint64_t id) { return *members_.at(id).node; }
  DiskStorage& storage(uint64_t id) { return *members_.at(id).storage; }
  bool running(uint64_t id) const { return members_.count(id) > 0; }
  std::vector<std::string>& applied(uint64_t id) { return applied_[id]; }

  // Delivers everything until no node has a Ready; messages to stopped
  // members are dropped. Fails on the first storage error.
  absl::Status Pump() {
    for (bool busy = true; busy;) {
      busy = false;
      for (uint64_t id : ids_) {
        if (!running(id) || !node(id).HasReady()) continue;
        busy = true;
        if (absl::Status s = HandleReady(id); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

  absl::Status Elect(uint64_t id) {
    if (absl::Status s = node(id).Campaign(); !s.ok()) return s;
    return Pump();
  }

 private:
  struct Member {
    std::unique_ptr<DiskStorage> storage;
    std::unique_ptr<RawNode> node;
  };

  void Deliver(Message m) {
    if (!running(m.to())) return;
    (void)node(m.to()).Step(std::move(m));  // a refused message is dropped
  }

  void Apply(uint64_t id, const std::vector<Entry>& committed) {
    for (const Entry& e : committed) {
      if (e.type() == raftpb::EntryNormal && !e.data().empty()) {
        applied_[id].push_back(e.data().ToString());
      }
    }
  }

  absl::Status HandleReady(uint64_t id) {
    Ready rd = node(id).GetReady();
    if (!async_) {
      if (absl::Status s = storage(id).Save(rd); !s.ok()) return s;
      for (Message& m : rd.messages) Deliver(std::move(m));
      Apply(id, rd.committed_entries);
      node(id).Advance(std::move(rd));
      return absl::OkStatus();
    }
    // Asynchronous writes: the append "thread" is this loop, saving each
    // MsgStorageAppend through the storage before its responses go out.
    for (Message& m : rd.messages) {
      if (m.type() == raftpb::MsgStorageAppend) {
        if (absl::Status s = storage(id).Save(m); !s.ok()) return s;
        for (const Message& r : m.responses()) Deliver(r);
      } else if (m.type() == raftpb::MsgStorageApply) {
        Apply(id, std::vector<Entry>(m.entries().begin(), m.entries().end()));
        for (const Message& r : m.responses()) Deliver(r);
      } else {
        Deliver(std::move(m));
      }
    }
    return absl::OkStatus();
  }

  const std::string root_;
  const std::vector<uint64_t> ids_;
  Env* const env_;
  const bool async_;
  std::map<uint64_t, Member> members_;
  std::map<uint64_t, std::vector<std::string>> applied_;
};

TEST(DiskStorageTest, NewDirectoryIsEmpty) {
  ScratchDir dir;
  auto s = DiskStorage::Open(dir.path());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*(*s)->FirstIndex(), 1u);
  EXPECT_EQ(*(*s)->LastIndex(), 0u);
  EXPECT_TRUE(IsEmptyHardState((*s)->InitialState()->hard_state));
  EXPECT_TRUE(IsEmptySnapshot(*(*s)->Snapshot()));
  EXPECT_EQ(FilesIn(dir.path(), ""), (std::vector<std::string>{"snap", "wal"}));
}

// The core property: three members write through DiskStorage, compact
// behind snapshots, and restarted from their directories each finds exactly
// the state it had, then the cluster goes on.
void RestartKeepsEverything(bool async) {
  ScratchDir dir;
  Cluster c(dir.path(), {1, 2, 3}, nullptr, async);
  ASSERT_TRUE(c.StartAll().ok());
  ASSERT_TRUE(c.Elect(1).ok());
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(
        c.node(1).Propose(absl::StrCat("v", i, std::string(100, 'x'))).ok());
    if (i % 7 == 0) {
      ASSERT_TRUE(c.Pump().ok());
    }
    if (i == 200) {
      // Each member snapshots at what it applied and compacts behind it.
      for (uint64_t id : {1, 2, 3}) {
        const uint64_t at = c.storage(id).InitialState()->hard_state.commit();
        auto snap = c.storage(id).CreateSnapshot(at, nullptr, "state");
        ASSERT_TRUE(snap.ok()) << snap.status();
        ASSERT_TRUE(c.storage(id).Compact(at - 5).ok());
      }
    }
  }
  ASSERT_TRUE(c.Pump().ok());
  std::map<uint64_t, State> before;
  for (uint64_t id : {1, 2, 3}) before[id] = StateOf(c.storage(id));
  EXPECT_EQ(before[1].hs.commit(), before[1].last);
  c.StopAll();

  ASSERT_TRUE(c.StartAll().ok());
  for (uint64_t id : {1, 2, 3}) {
    const State after = StateOf(c.storage(id));
    // Compact kept entries in memory past the snapshot; the WAL replays
    // from the snapshot on. Everything from the snapshot on is the same.
    const State& b = before[id];
    EXPECT_EQ(after.hs, b.hs);
    EXPECT_EQ(after.conf_state, b.conf_state);
    EXPECT_EQ(after.snapshot, b.snapshot);
    EXPECT_EQ(after.last, b.last);
    ASSERT_GE(after.first, b.first);
    EXPECT_EQ(after.entries,
              std::vector<std::string>(
                  b.entries.begin() + (after.first - b.first), b.entries.end()))
        << Describe(after) << " vs " << Describe(b);
  }
  ASSERT_TRUE(c.Elect(2).ok());
  ASSERT_TRUE(c.node(2).Propose("after restart").ok());
  ASSERT_TRUE(c.Pump().ok());
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(c.storage(id).InitialState()->hard_state.commit(),
              before[1].last + 2)
        << id;
  }
}

TEST(DiskStorageTest, RestartKeepsEverything) { RestartKeepsEverything(false); }
TEST(DiskStorageTest, RestartKeepsEverythingWithAsyncWrites) {
  RestartKeepsEverything(true);
}

TEST(DiskStorageTest, LaggingMemberCatchesUpBySnapshotAndKeepsIt) {
  ScratchDir dir;
  Cluster c(dir.path(), {1, 2, 3});
  ASSERT_TRUE(c.StartAll().ok());
  ASSERT_TRUE(c.Elect(1).ok());
  c.Stop(3);
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(c.node(1).Propose(absl::StrCat(i)).ok());
  ASSERT_TRUE(c.Pump().ok());
  for (uint64_t id : {1, 2}) {
    const uint64_t at = c.storage(id).InitialState()->hard_state.commit();
    ASSERT_TRUE(c.storage(id).CreateSnapshot(at, nullptr, "kv").ok());
    ASSERT_TRUE(c.storage(id).Compact(at).ok());
  }
  ASSERT_TRUE(c.Start(3).ok());
  for (int tick = 0; tick < 3; ++tick) {
    c.node(1).Tick();
    ASSERT_TRUE(c.Pump().ok());
  }
  const uint64_t commit = c.storage(1).InitialState()->hard_state.commit();
  EXPECT_EQ(c.storage(3).Snapshot()->data(), "kv");
  EXPECT_EQ(c.storage(3).InitialState()->hard_state.commit(), commit);
  const State before = StateOf(c.storage(3));
  c.Stop(3);
  ASSERT_TRUE(c.Start(3).ok());
  EXPECT_EQ(StateOf(c.storage(3)), before) << Describe(before);
}

TEST(DiskStorageTest, CompactReleasesSegmentsAndOldSnapshots) {
  ScratchDir dir;
  Cluster c(dir.path(), {1});
  ASSERT_TRUE(c.StartAll().ok());
  ASSERT_TRUE(c.Elect(1).ok());
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(c.node(1).Propose(std::string(200, 'a' + round)).ok());
      ASSERT_TRUE(c.Pump().ok());
    }
    const uint64_t at = *c.storage(1).LastIndex();
    ASSERT_TRUE(c.storage(1).CreateSnapshot(at, nullptr, "s").ok());
    ASSERT_TRUE(c.storage(1).Compact(at).ok());
    EXPECT_LE(FilesIn(JoinPath(c.Dir(1), "wal"), ".wal").size(), 2u)
        << "segments after compacting to " << at;
    EXPECT_LE(FilesIn(JoinPath(c.Dir(1), "snap"), ".snap").size(), 2u);
  }
  absl::Status past = c.storage(1).Compact(*c.storage(1).LastIndex() + 1);
  EXPECT_TRUE(absl::IsInvalidArgument(past)) << past;
  EXPECT_TRUE(IsCompacted(c.storage(1).Compact(2)));
  const State before = StateOf(c.storage(1));
  c.StopAll();
  ASSERT_TRUE(c.Start(1).ok());
  EXPECT_EQ(StateOf(c.storage(1)), before);
}

TEST(DiskStorageTest, OneSyncPerReadyAndNoneForCommitOnly) {
  ScratchDir dir;
  FaultEnv env;
  auto s = DiskStorage::Open(dir.path(), {.env = &env});
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->ApplySnapshot(Bootstrap({1})).ok());
  Ready rd;
  for (uint64_t i = 2; i < 66; ++i) rd.entries.push_back(MakeEntry(i, 1));
  rd.hard_state.set_term(1);
  rd.hard_state.set_vote(1);
  rd.hard_state.set_commit(1);
  rd.must_sync = true;
  int syncs = env.syncs();
  ASSERT_TRUE((*s)->Save(rd).ok());
  EXPECT_EQ(env.syncs() - syncs, 1);
  Ready commit_only;
  commit_only.hard_state = rd.hard_state;
  commit_only.hard_state.set_commit(65);
  syncs = env.syncs();
  ASSERT_TRUE((*s)->Save(commit_only).ok());
  EXPECT_EQ(env.syncs() - syncs, 0);
  EXPECT_EQ((*s)->InitialState()->hard_state.commit(), 65u);
}

TEST(DiskStorageTest, FailedSyncIsReportedAndNothingAcknowledgedIsLost) {
  ScratchDir dir;
  FaultEnv env;
  Cluster c(dir.path(), {1}, &env);
  ASSERT_TRUE(c.StartAll().ok());
  for (int err : {EIO, ENOSPC}) {
    ASSERT_TRUE(c.Elect(1).ok());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(c.node(1).Propose(absl::StrCat("ok", i)).ok());
      ASSERT_TRUE(c.Pump().ok());
    }
    const State acked = StateOf(c.storage(1));
    env.FailSync(1, err);
    ASSERT_TRUE(c.node(1).Propose("lost").ok());
    absl::Status s = c.Pump();
    EXPECT_FALSE(s.ok());
    EXPECT_FALSE(c.storage(1).status().ok());
    // The node was not advanced past the failed Ready (Pump stopped there),
    // and the storage refuses every later write.
    Ready rd;
    rd.entries.push_back(MakeEntry(*c.storage(1).LastIndex() + 1, 2));
    absl::Status again = c.storage(1).Save(rd);
    EXPECT_TRUE(absl::IsFailedPrecondition(again)) << again;
    EXPECT_TRUE(absl::StrContains(again.message(), "reopen")) << again;

    c.StopAll();
    ASSERT_TRUE(env.DropUnsyncedData().ok());
    env.ClearFaults();
    ASSERT_TRUE(c.Start(1).ok());
    State after = StateOf(c.storage(1));
    // A commit index saved without a sync (a commit-only Ready) may be
    // lost with the crash; Raft learns it again. Everything else was
    // acknowledged and is there.
    EXPECT_LE(after.hs.commit(), acked.hs.commit());
    after.hs.set_commit(acked.hs.commit());
    EXPECT_EQ(after, acked) << Describe(after) << " vs " << Describe(acked);
  }
}

TEST(DiskStorageTest, FailedSnapshotWriteRefusesWritesAndKeepsTheOldOne) {
  ScratchDir dir;
  FaultEnv env;
  Cluster c(dir.path(), {1}, &env);
  ASSERT_TRUE(c.StartAll().ok());
  ASSERT_TRUE(c.Elect(1).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.node(1).Propose("x").ok());
  ASSERT_TRUE(c.Pump().ok());
  const State acked = StateOf(c.storage(1));
  env.SetDiskFull(true);
  auto snap = c.storage(1).CreateSnapshot(acked.last, nullptr, "state");
  EXPECT_TRUE(absl::IsResourceExhausted(snap.status())) << snap.status();
  EXPECT_TRUE(absl::IsFailedPrecondition(c.storage(1).Compact(acked.last)));
  env.SetDiskFull(false);
  c.StopAll();
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  ASSERT_TRUE(c.Start(1).ok());
  State after = StateOf(c.storage(1));
  after.hs.set_commit(acked.hs.commit());
  EXPECT_EQ(after, acked) << Describe(after) << " vs " << Describe(acked);
}

TEST(DiskStorageTest, DamagedSnapshotIsAClearError) {
  ScratchDir dir;
  Cluster c(dir.path(), {1});
  ASSERT_TRUE(c.StartAll().ok());
  ASSERT_TRUE(c.Elect(1).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.node(1).Propose("x").ok());
  ASSERT_TRUE(c.Pump().ok());
  ASSERT_TRUE(c.storage(1)
                  .CreateSnapshot(*c.storage(1).LastIndex(), nullptr,
                                  std::string(1000, 's'))
                  .ok());
  c.StopAll();
  const std::string snapdir = JoinPath(c.Dir(1), "snap");
  std::vector<std::string> files = FilesIn(snapdir, ".snap");
  ASSERT_EQ(files.size(), 2u);  // the bootstrap snapshot and the new one
  const std::string newest = JoinPath(snapdir, files.back());
  const std::string good = ReadAll(newest);
  for (size_t off : {size_t{3}, size_t{40}, good.size() - 1}) {
    std::string bad = good;
    bad[off] ^= 0x10;
    WriteAll(newest, bad);
    auto s = DiskStorage::Open(c.Dir(1));
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(absl::IsDataLoss(s.status())) << s.status();
    EXPECT_TRUE(absl::StrContains(s.status().message(), files.back()))
        << s.status();
  }
  WriteAll(newest, good);
  EXPECT_TRUE(c.Start(1).ok());
}

TEST(DiskStorageTest, BadArgumentsWriteNothing) {
  ScratchDir dir;
  auto s = DiskStorage::Open(dir.path());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->ApplySnapshot(Bootstrap({1})).ok());
  Ready gap;
  gap.entries.push_back(MakeEntry(5, 1));
  EXPECT_TRUE(absl::IsInvalidArgument((*s)->Save(gap)));
  EXPECT_TRUE((*s)->status().ok());
  EXPECT_TRUE(IsSnapshotOutOfDate((*s)->ApplySnapshot(Bootstrap({1}))));
  EXPECT_TRUE(absl::IsInvalidArgument((*s)->Compact(1 + 1)));
  Message not_append;
  EXPECT_TRUE(absl::IsInvalidArgument((*s)->Save(not_append)));
  EXPECT_EQ(*(*s)->LastIndex(), 1u);
  EXPECT_TRUE(absl::IsInvalidArgument(DiskStorage::Open("").status()));
}

// A process writing through DiskStorage is SIGKILLed at random moments;
// every entry it reported durable is found on restart, with its payload.
TEST(DiskStorageTest, KilledProcessLosesNothingAcknowledged) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 12; ++round) {
    ScratchDir dir;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      Cluster c(dir.path(), {1});
      if (!c.StartAll().ok() || !c.Elect(1).ok()) _exit(10);
      for (uint64_t i = 0;; ++i) {
        if (!c.node(1).Propose(absl::StrCat("entry-", i)).ok()) _exit(11);
        if (!c.Pump().ok()) _exit(12);
        // Pump saved every Ready before advancing: this index is durable.
        const uint64_t last = *c.storage(1).LastIndex();
        if (write(fds[1], &last, sizeof(last)) != sizeof(last)) _exit(13);
        if (i % 64 == 63) {
          if (!c.storage(1).CreateSnapshot(last, nullptr, "s").ok()) _exit(14);
          if (!c.storage(1).Compact(last).ok()) _exit(15);
        }
      }
    }
    close(fds[1]);
    usleep(static_cast<useconds_t>(5000 + rng() % 60000));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << status;
    uint64_t acked = 0, v = 0;
    while (read(fds[0], &v, sizeof(v)) == sizeof(v)) acked = v;
    close(fds[0]);

    auto s = DiskStorage::Open(JoinPath(dir.path(), "1"));
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_GE(*(*s)->LastIndex(), acked) << "round " << round;
    const uint64_t first = *(*s)->FirstIndex();
    auto ents = (*s)->Entries(first, *(*s)->LastIndex() + 1, UINT64_MAX);
    ASSERT_TRUE(ents.ok());
    for (const Entry& e : *ents) {
      if (e.data().empty()) continue;  // the leader's empty entry
      // Entry index 3 holds entry-0 (1: bootstrap, 2: the leader's entry).
      EXPECT_EQ(e.data().ToString(), absl::StrCat("entry-", e.index() - 3));
    }
  }
}

}  // namespace
}  // namespace craft
