#include "workload.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "craft/logger.h"
#include "craft/memory_storage.h"
#include "craft/raw_node.h"
#include "craft/testing/follower_answers.h"
#include "testing/alloc_counter.h"

namespace craft::workload {
namespace {

using testing::AllocStats;

constexpr size_t kPayloadSize = 128;

class DropLogger : public Logger {
 public:
  bool Enabled(LogLevel) const override { return false; }
  void Write(LogLevel, absl::string_view) override {}
};

DropLogger& Quiet() {
  static DropLogger* logger = new DropLogger();
  return *logger;
}

// Wall and process CPU time, in nanoseconds.
struct Clock {
  int64_t wall;
  int64_t cpu;

  static Clock Now() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return Clock{std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now().time_since_epoch())
                     .count(),
                 int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec};
  }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// A storage bootstrapped as the workloads specify, and a node on it.
struct Member {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<RawNode> node;
};

absl::StatusOr<Member> NewMember(uint64_t id, int voters) {
  Member m;
  // One thread drives every node and persists its Readys, so the storage
  // needs no lock (etcd's MemoryStorage always takes its mutex).
  m.storage =
      std::make_unique<MemoryStorage>(MemoryStorage::Locking::kSingleThreaded);
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(1);
  snap.mutable_metadata()->set_term(1);
  for (int v = 1; v <= voters; ++v) {
    snap.mutable_metadata()->mutable_conf_state()->add_voters(v);
  }
  if (absl::Status s = m.storage->ApplySnapshot(std::move(snap)); !s.ok()) {
    return s;
  }
  Config c;
  c.id = id;
  c.storage = m.storage.get();
  c.logger = &Quiet();
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.max_size_per_msg = 1 << 20;
  c.max_inflight_msgs = 256;
  absl::StatusOr<std::unique_ptr<RawNode>> node = RawNode::Create(c);
  if (!node.ok()) return node.status();
  m.node = *std::move(node);
  return m;
}

// Persists what a Ready asks to persist. The entries move into the storage
// (the Ready keeps its vector's capacity for Advance to recycle).
absl::Status Persist(MemoryStorage& storage, Ready& rd) {
  if (!IsEmptyHardState(rd.hard_state)) {
    if (absl::Status s = storage.SetHardState(rd.hard_state); !s.ok()) {
      return s;
    }
  }
  if (!IsEmptySnapshot(rd.snapshot)) {
    if (absl::Status s = storage.ApplySnapshot(std::move(rd.snapshot));
        !s.ok()) {
      return s;
    }
  }
  return storage.Append(std::move(rd.entries));
}

// The throughput workload's cluster.
class Cluster {
 public:
  static absl::StatusOr<std::unique_ptr<Cluster>> Create(int voters) {
    auto c = std::unique_ptr<Cluster>(new Cluster());
    for (int id = 1; id <= voters; ++id) {
      absl::StatusOr<Member> m = NewMember(id, voters);
      if (!m.ok()) return m.status();
      c->members_.push_back(*std::move(m));
    }
    c->applied_.assign(voters, 0);
    c->applied_entries_.assign(voters, 0);
    return c;
  }

  RawNode& leader() { return *members_[0].node; }

  // Runs rounds until one in which no node had a Ready.
  absl::Status Pump() {
    for (bool any = true; any;) {
      any = false;
      for (size_t i = 0; i < members_.size(); ++i) {
        RawNode& n = *members_[i].node;
        if (!n.HasReady()) continue;
        any = true;
        ++readys_;
        Ready rd = n.GetReady();
        if (absl::Status s = Persist(*members_[i].storage, rd); !s.ok()) {
          return s;
        }
        for (Message& m : rd.messages) {
          ++messages_;
          const uint64_t to = m.to();
          if (to < 1 || to > members_.size()) {
            return absl::InternalError(
                absl::StrCat("a message to unknown node ", to));
          }
          if (absl::Status s = members_[to - 1].node->Step(std::move(m));
              !s.ok()) {
            return s;
          }
        }
        for (const Entry& e : rd.committed_entries) {
          applied_[i] = e.index();
          if (e.type() == raftpb::EntryNormal && !e.data().empty()) {
            ++applied_entries_[i];
          }
        }
        n.Advance(std::move(rd));
      }
    }
    return absl::OkStatus();
  }

  // Checks that every node applied index `index` and `entries` non-empty
  // entries.
  absl::Status Check(uint64_t index, uint64_t entries) const {
    for (size_t i = 0; i < members_.size(); ++i) {
      if (applied_[i] != index || applied_entries_[i] != entries) {
        return absl::InternalError(absl::StrFormat(
            "node %d applied index %d and %d entries; want %d and %d", i + 1,
            applied_[i], applied_entries_[i], index, entries));
      }
    }
    return absl::OkStatus();
  }

  uint64_t readys() const { return readys_; }
  uint64_t messages() const { return messages_; }

 private:
  Cluster() = default;

  std::vector<Member> members_;
  std::vector<uint64_t> applied_;
  std::vector<uint64_t> applied_entries_;
  uint64_t readys_ = 0;
  uint64_t messages_ = 0;
};

struct RunFigures {
  Clock start, end;
  AllocStats heap_start, heap_end;
  uint64_t readys = 0;
  uint64_t messages = 0;
  uint64_t batches = 0;
};

// One run of the throughput workload of `n` entries on a fresh cluster.
absl::StatusOr<RunFigures> ThroughputRun(const ThroughputOptions& o,
                                         uint64_t n) {
  absl::StatusOr<std::unique_ptr<Cluster>> made = Cluster::Create(o.voters);
  if (!made.ok()) return made.status();
  Cluster& c = **made;
  if (absl::Status s = c.leader().Campaign(); !s.ok()) return s;
  if (absl::Status s = c.Pump(); !s.ok()) return s;
  const BasicStatus st = c.leader().GetBasicStatus();
  if (st.soft_state.raft_state != StateType::kLeader ||
      st.hard_state.term() != 1) {
    return absl::InternalError("node 1 did not become leader at term 1");
  }
  if (absl::Status s = c.Check(2, 0); !s.ok()) return s;

  // One payload shared by every entry, as a Go caller shares one slice.
  const Payload payload(std::string(kPayloadSize, 'x'));
  RunFigures f;
  const uint64_t readys_before = c.readys();
  const uint64_t messages_before = c.messages();
  f.heap_start = AllocStats::Now();
  f.start = Clock::Now();
  for (uint64_t proposed = 0; proposed < n;) {
    const uint64_t b = std::min<uint64_t>(o.batch, n - proposed);
    if (o.variant == Variant::kPropose) {
      for (uint64_t i = 0; i < b; ++i) {
        if (absl::Status s = c.leader().Propose(payload); !s.ok()) return s;
      }
    } else {
      Message m;
      m.set_type(raftpb::MsgProp);
      m.set_to(1);  // from 0: the application's own proposal
      m.mutable_entries()->reserve(b);
      for (uint64_t i = 0; i < b; ++i) m.add_entries()->set_data(payload);
      if (absl::Status s = c.leader().Step(std::move(m)); !s.ok()) return s;
    }
    proposed += b;
    ++f.batches;
    if (absl::Status s = c.Pump(); !s.ok()) return s;
  }
  f.end = Clock::Now();
  f.heap_end = AllocStats::Now();
  f.readys = c.readys() - readys_before;
  f.messages = c.messages() - messages_before;
  if (absl::Status s = c.Check(n + 2, n); !s.ok()) return s;
  return f;
}

}  // namespace

absl::StatusOr<ThroughputResult> RunThroughput(const ThroughputOptions& o) {
  if (o.voters < 1 || o.batch < 1 || o.n < 1 || o.reps < 1) {
    return absl::InvalidArgumentError(
        "voters, batch, n and reps must be positive");
  }
  if (absl::StatusOr<RunFigures> warm =
          ThroughputRun(o, std::max<uint64_t>(1, o.n / 10));
      !warm.ok()) {
    return warm.status();
  }
  std::vector<double> rate, wall, cpu, allocs, bytes, readys, msgs;
  const double n = static_cast<double>(o.n);
  for (int rep = 0; rep < o.reps; ++rep) {
    absl::StatusOr<RunFigures> f = ThroughputRun(o, o.n);
    if (!f.ok()) return f.status();
    const double wall_ns = static_cast<double>(f->end.wall - f->start.wall);
    rate.push_back(n / (wall_ns / 1e9));
    wall.push_back(wall_ns / n);
    cpu.push_back(static_cast<double>(f->end.cpu - f->start.cpu) / n);
    allocs.push_back(
        static_cast<double>(f->heap_end.allocs - f->heap_start.allocs) / n);
    bytes.push_back(
        static_cast<double>(f->heap_end.bytes - f->heap_start.bytes) / n);
    const double batches = static_cast<double>(f->batches);
    readys.push_back(static_cast<double>(f->readys) / batches);
    msgs.push_back(static_cast<double>(f->messages) / batches);
  }
  ThroughputResult r;
  r.entries_per_s = Median(rate);
  r.ns_per_entry = Median(wall);
  r.cpu_ns_per_entry = Median(cpu);
  r.allocs_per_entry = Median(allocs);
  r.bytes_per_entry = Median(bytes);
  r.readys_per_batch = Median(readys);
  r.msgs_per_batch = Median(msgs);
  return r;
}

namespace {

// Elects the group's node 1, answering its vote requests and appends as
// its followers would.
absl::Status ElectGroup(Member& g) {
  RawNode& n = *g.node;
  if (absl::Status s = n.Campaign(); !s.ok()) return s;
  while (n.HasReady()) {
    Ready rd = n.GetReady();
    if (absl::Status s = Persist(*g.storage, rd); !s.ok()) return s;
    std::vector<Message> answers = testing::AnswerAsFollowers(rd.messages);
    n.Advance();
    for (Message& a : answers) {
      if (absl::Status s = n.Step(std::move(a)); !s.ok()) return s;
    }
  }
  const NodeStatus st = n.GetStatus();
  bool ok = st.basic.soft_state.raft_state == StateType::kLeader &&
            st.basic.hard_state.term() == 1 &&
            st.basic.hard_state.commit() == 2 && st.basic.applied == 2;
  for (uint64_t f : {2, 3}) {
    auto it = st.progress.find(f);
    ok = ok && it != st.progress.end() &&
         it->second.state() == tracker::ProgressState::kReplicate &&
         it->second.match() == 2;
  }
  if (!ok) return absl::InternalError("a group did not end its election");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<IdleResult> RunIdle(const IdleOptions& o) {
  if (o.groups < 1 || o.rounds < 1) {
    return absl::InvalidArgumentError("groups and rounds must be positive");
  }
  std::vector<Member> groups;
  groups.reserve(o.groups);
  const AllocStats before = AllocStats::Now();
  for (uint64_t i = 0; i < o.groups; ++i) {
    absl::StatusOr<Member> g = NewMember(1, 3);
    if (!g.ok()) return g.status();
    if (absl::Status s = ElectGroup(*g); !s.ok()) return s;
    groups.push_back(*std::move(g));
  }
  const AllocStats after = AllocStats::Now();
  const double g = static_cast<double>(o.groups);
  IdleResult r;
  r.bytes_per_group =
      static_cast<double>(after.live_bytes - before.live_bytes) / g;
  r.allocs_per_group =
      static_cast<double>(after.live_objects - before.live_objects) / g;

  // One round untimed, to check what a tick does: with a heartbeat timeout
  // of one tick, every tick is a heartbeat round to both followers.
  uint64_t heartbeats = 0;
  for (Member& m : groups) {
    m.node->Tick();
    if (!m.node->HasReady()) continue;
    Ready rd = m.node->GetReady();
    for (const Message& msg : rd.messages) {
      heartbeats += msg.type() == raftpb::MsgHeartbeat;
    }
    m.node->Advance(std::move(rd));
  }
  if (heartbeats != 2 * o.groups) {
    return absl::InternalError(absl::StrFormat(
        "a tick of %d groups sent %d heartbeats", o.groups, heartbeats));
  }

  std::vector<double> tick, drain;
  for (int round = 0; round < o.rounds; ++round) {
    const Clock t0 = Clock::Now();
    for (Member& m : groups) m.node->Tick();
    const Clock t1 = Clock::Now();
    for (Member& m : groups) {
      if (!m.node->HasReady()) continue;
      m.node->Advance(m.node->GetReady());
    }
    const Clock t2 = Clock::Now();
    tick.push_back(static_cast<double>(t1.wall - t0.wall) / g);
    drain.push_back(static_cast<double>(t2.wall - t1.wall) / g);
  }
  r.tick_ns_per_group = Median(tick);
  r.drain_ns_per_group = Median(drain);
  return r;
}

std::string FormatThroughput(const ThroughputOptions& o,
                             const ThroughputResult& r) {
  return absl::StrFormat(
      "workload=throughput voters=%d batch=%d variant=%s n=%d "
      "entries_per_s=%.1f ns_per_entry=%.1f cpu_ns_per_entry=%.1f "
      "allocs_per_entry=%.4f bytes_per_entry=%.1f readys_per_batch=%.3f "
      "msgs_per_batch=%.3f",
      o.voters, o.batch, o.variant == Variant::kPropose ? "propose" : "msgprop",
      o.n, r.entries_per_s, r.ns_per_entry, r.cpu_ns_per_entry,
      r.allocs_per_entry, r.bytes_per_entry, r.readys_per_batch,
      r.msgs_per_batch);
}

std::string FormatIdle(const IdleOptions& o, const IdleResult& r) {
  return absl::StrFormat(
      "workload=idle groups=%d bytes_per_group=%.1f allocs_per_group=%.2f "
      "tick_ns_per_group=%.1f drain_ns_per_group=%.1f",
      o.groups, r.bytes_per_group, r.allocs_per_group, r.tick_ns_per_group,
      r.drain_ns_per_group);
}

}  // namespace craft::workload
