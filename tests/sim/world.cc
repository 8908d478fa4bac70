#include "sim/world.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "craft/confchange/conversions.h"
#include "craft/describe.h"
#include "craft/wire.h"

namespace craft::sim {
namespace {

// FNV-1a over an entry's type and data: two entries at one (index, term)
// must be the same entry.
uint64_t EntryHash(const Entry& e) {
  uint64_t h = 1469598103934665603ULL ^ static_cast<uint64_t>(e.type());
  for (unsigned char c : e.data().view()) {
    h = (h ^ c) * 1099511628211ULL;
  }
  return h;
}

bool IsConfChange(const Entry& e) {
  return e.type() == raftpb::EntryConfChange ||
         e.type() == raftpb::EntryConfChangeV2;
}

std::string Ctx(uint64_t client, uint64_t seq) {
  return absl::StrCat("c", client, "-", seq);
}

}  // namespace

// The logger of every node: everything is dropped unless tracing, but a
// panic (a violation: the process aborts right after) names the run that
// replays it.
class World::SimLogger : public Logger {
 public:
  SimLogger(const Trace* trace, const ClusterOptions* opts)
      : trace_(trace), opts_(opts) {}
  bool Enabled(LogLevel level) const override {
    return *trace_ != nullptr && level >= LogLevel::kInfo;
  }
  void Write(LogLevel level, absl::string_view message) override {
    if (*trace_) (*trace_)(absl::StrCat("    log: ", message));
    if (level == LogLevel::kFatal) {
      std::fprintf(stderr,
                   "craft-sim: panic in seed %llu (%s): %.*s\n"
                   "replay: craft-sim --seed %llu --trace\n",
                   static_cast<unsigned long long>(opts_->seed),
                   opts_->Describe().c_str(), static_cast<int>(message.size()),
                   message.data(),
                   static_cast<unsigned long long>(opts_->seed));
    }
  }

 private:
  const Trace* trace_;
  const ClusterOptions* opts_;
};

struct World::Node {
  uint64_t id = 0;
  std::unique_ptr<SimDisk> disk;
  std::unique_ptr<RawNode> rn;  // null while down
  int incarnation = 0;
  bool stalled = false;
  // The application's state machine, rebuilt from the snapshot on restart.
  KvStore kv;
  uint64_t applied = 0;
  raftpb::ConfState conf;  // the configuration as of `applied`
  std::deque<Message> append_q;
  std::deque<Message> apply_q;
  // The node's log as handed out (durable or not): the snapshot it starts
  // from, then (term, hash, conf change) per index.
  struct MirrorEntry {
    uint64_t term;
    uint64_t hash;
    bool conf_change;
  };
  uint64_t snap_index = 0;
  uint64_t snap_term = 0;
  std::vector<MirrorEntry> mirror;
  // What this incarnation reported last.
  HardState hs;
  SoftState ss;
  // The largest durable term and commit ever seen on this node's disk.
  uint64_t durable_term = 0;
  uint64_t durable_commit = 0;
  // Answered reads waiting for the state machine: ctx -> read index.
  std::map<std::string, uint64_t> reads;

  uint64_t last_index() const { return snap_index + mirror.size(); }
  std::optional<uint64_t> term_at(uint64_t i) const {
    if (i == snap_index) return snap_term;
    if (i < snap_index || i > last_index()) return std::nullopt;
    return mirror[i - snap_index - 1].term;
  }
  const MirrorEntry* at(uint64_t i) const {
    if (i <= snap_index || i > last_index()) return nullptr;
    return &mirror[i - snap_index - 1];
  }
};

struct World::PendingOp {
  lincheck::Operation op;
  uint64_t node = 0;
  uint64_t seq = 0;
  uint64_t deadline = 0;
  std::string ctx;          // reads
  uint64_t read_index = 0;  // reads: 0 until answered
};

std::string ClusterOptions::Describe() const {
  return absl::StrCat(
      "nodes=", nodes, " voters=", voters, pre_vote ? " prevote" : "",
      check_quorum ? " checkquorum" : "", async_writes ? " async" : "",
      lease_reads ? " lease" : "", step_down_on_removal ? " stepdown" : "",
      byzantine ? " byzantine" : "", " maxmsg=", max_size_per_msg,
      " inflight=", max_inflight_msgs);
}

World::World(const ClusterOptions& opts, Trace trace)
    : opts_(opts), trace_(std::move(trace)) {
  logger_ = std::make_unique<SimLogger>(&trace_, &opts_);
  bootstrap_.mutable_metadata()->set_index(1);
  bootstrap_.mutable_metadata()->set_term(1);
  for (int i = 1; i <= opts_.voters; ++i) {
    bootstrap_.mutable_metadata()->mutable_conf_state()->add_voters(i);
  }
  for (uint64_t id = 1; id <= static_cast<uint64_t>(opts_.nodes); ++id) {
    auto n = std::make_unique<Node>();
    n->id = id;
    n->disk = std::make_unique<SimDisk>(bootstrap_);
    nodes_[id] = std::move(n);
    Start(id);
  }
}

World::~World() = default;

std::vector<uint64_t> World::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, n] : nodes_) out.push_back(id);
  return out;
}

bool World::alive(uint64_t id) const {
  auto it = nodes_.find(id);
  return it != nodes_.end() && it->second->rn != nullptr;
}

bool World::stalled(uint64_t id) const { return N(id).stalled; }

uint64_t World::delivered(uint64_t from, uint64_t to) const {
  auto it = delivered_.find({from, to});
  return it == delivered_.end() ? 0 : it->second.size();
}

size_t World::append_queue(uint64_t id) const { return N(id).append_q.size(); }
size_t World::apply_queue(uint64_t id) const { return N(id).apply_q.size(); }
const SimDisk& World::disk(uint64_t id) const { return *N(id).disk; }

uint64_t World::leader() const {
  uint64_t best = 0;
  uint64_t best_term = 0;
  for (const auto& [id, n] : nodes_) {
    if (n->rn == nullptr) continue;
    BasicStatus st = n->rn->GetBasicStatus();
    if (st.soft_state.raft_state == StateType::kLeader &&
        st.hard_state.term() >= best_term) {
      best = id;
      best_term = st.hard_state.term();
    }
  }
  return best;
}

uint64_t World::term(uint64_t id) const {
  return alive(id) ? N(id).rn->GetBasicStatus().hard_state.term() : 0;
}

uint64_t World::commit(uint64_t id) const {
  return alive(id) ? N(id).rn->GetBasicStatus().hard_state.commit() : 0;
}

uint64_t World::last_index(uint64_t id) const {
  return alive(id) ? N(id).last_index() : 0;
}

std::vector<uint64_t> World::leaders() const {
  std::vector<uint64_t> out;
  for (const auto& [id, n] : nodes_) {
    if (n->rn != nullptr &&
        n->rn->GetBasicStatus().soft_state.raft_state == StateType::kLeader) {
      out.push_back(id);
    }
  }
  return out;
}

raftpb::ConfState World::config() const {
  // The configuration applied furthest along the log.
  const Node* best = nodes_.begin()->second.get();
  for (const auto& [id, n] : nodes_) {
    if (n->applied > best->applied) best = n.get();
  }
  return best->conf;
}

raftpb::ConfState World::config(uint64_t id) const { return N(id).conf; }

bool World::client_busy(uint64_t client) const {
  return pending_.contains(client);
}

std::vector<World::LinkKey> World::TakeNewMessages() {
  return std::exchange(new_messages_, {});
}

// ---------------------------------------------------------------------------
// Nodes

void World::Start(uint64_t id) {
  Node& n = N(id);
  MemoryStorage& st = n.disk->storage();
  const raftpb::Snapshot snap = *st.Snapshot();
  absl::StatusOr<KvStore> kv = KvStore::Restore(snap.data());
  if (!kv.ok()) {
    Fail(absl::StrCat("node ", id,
                      " cannot restore its snapshot: ", kv.status().message()));
    return;
  }
  n.kv = *std::move(kv);
  n.applied = snap.metadata().index();
  n.conf = snap.metadata().conf_state();
  n.snap_index = snap.metadata().index();
  n.snap_term = snap.metadata().term();
  n.mirror.clear();
  const uint64_t first = *st.FirstIndex();
  const uint64_t last = *st.LastIndex();
  if (last >= first) {
    const std::vector<Entry> ents = *st.Entries(first, last + 1, kNoLimit);
    for (const Entry& e : ents) {
      n.mirror.push_back({e.term(), EntryHash(e), IsConfChange(e)});
    }
  }
  // The mirror starts at the storage's first index; entries compacted
  // below the snapshot do not matter.
  n.snap_index = first - 1;
  n.snap_term = *st.Term(first - 1);

  Config cfg;
  cfg.id = id;
  cfg.election_tick = opts_.election_tick;
  cfg.heartbeat_tick = opts_.heartbeat_tick;
  cfg.storage = &st;
  cfg.applied = n.applied;
  cfg.async_storage_writes = opts_.async_writes;
  cfg.max_size_per_msg = opts_.max_size_per_msg;
  cfg.max_inflight_msgs = opts_.max_inflight_msgs;
  cfg.check_quorum = opts_.check_quorum;
  cfg.pre_vote = opts_.pre_vote;
  cfg.read_only_option =
      opts_.lease_reads ? ReadOnlyOption::kLeaseBased : ReadOnlyOption::kSafe;
  cfg.step_down_on_removal = opts_.step_down_on_removal;
  cfg.logger = logger_.get();
  cfg.random_seed = opts_.seed * 1000003 + static_cast<uint64_t>(n.incarnation);
  ++n.incarnation;
  absl::StatusOr<std::unique_ptr<RawNode>> rn = RawNode::Create(cfg);
  if (!rn.ok()) {
    Fail(absl::StrCat("node ", id, " cannot restart: ", rn.status().message()));
    return;
  }
  n.rn = *std::move(rn);
  n.stalled = false;
  n.ss = n.rn->GetBasicStatus().soft_state;
  n.hs = n.rn->GetBasicStatus().hard_state;
  // A restart resumes from the disk: never behind what was durable.
  if (n.hs.term() < n.durable_term) {
    Fail(absl::StrCat("node ", id, " restarted at term ", n.hs.term(),
                      " below its durable term ", n.durable_term));
  }
  if (n.hs.commit() < n.durable_commit) {
    Fail(absl::StrCat("node ", id, " restarted with commit ", n.hs.commit(),
                      " below its durable commit ", n.durable_commit));
  }
}

void World::Stop(uint64_t id) {
  Node& n = N(id);
  n.rn.reset();
  n.append_q.clear();
  n.apply_q.clear();
  n.reads.clear();
  // The clients waiting on this node learn nothing more.
  std::vector<uint64_t> waiting;
  for (const auto& [client, op] : pending_) {
    if (op.node == id) waiting.push_back(client);
  }
  for (uint64_t client : waiting) EndOp(client, lincheck::OpResult::kUnknown);
}

// ---------------------------------------------------------------------------
// Events

void World::Execute(const Event& e) {
  if (failed()) return;
  now_ = std::max(now_, e.time);
  const bool known = nodes_.contains(e.node);
  Node* n = known ? &N(e.node) : nullptr;
  RawNode* rn = n != nullptr ? n->rn.get() : nullptr;
  switch (e.type) {
    case EventType::kTick:
      if (rn != nullptr) rn->Tick();
      break;
    case EventType::kDeliver:
    case EventType::kDuplicate:
      Deliver({e.node, e.to, e.n}, e.type == EventType::kDuplicate);
      break;
    case EventType::kDrop: {
      auto it = in_flight_.find({e.node, e.to, e.n});
      if (it != in_flight_.end()) {
        Message m = std::move(it->second.msg);
        in_flight_.erase(it);
        Lost(m, /*unreachable=*/false);
      }
      break;
    }
    case EventType::kReplay: {
      auto it = delivered_.find({e.node, e.to});
      if (it == delivered_.end() || it->second.empty()) break;
      Message m = it->second[e.n % it->second.size()];
      if (Connected(e.node, e.to) && alive(e.to)) StepInto(e.to, std::move(m));
      break;
    }
    case EventType::kPut:
    case EventType::kDelete:
    case EventType::kCas:
    case EventType::kGet:
      if (rn != nullptr) ClientOp(e);
      break;
    case EventType::kConfChange:
    case EventType::kLeaveJoint:
      if (rn != nullptr) ProposeConfChange(e);
      break;
    case EventType::kTransfer:
      if (rn != nullptr) rn->TransferLeader(e.to);
      break;
    case EventType::kCompact:
      if (rn != nullptr) Compact(*n, e.n);
      break;
    case EventType::kForgetLeader:
      if (rn != nullptr) (void)rn->ForgetLeader();
      break;
    case EventType::kCrash:
      if (rn != nullptr) {
        Stop(e.node);
        n->disk->Crash(e.n, e.arg);
      }
      break;
    case EventType::kRestart:
      if (n != nullptr && rn == nullptr) Start(e.node);
      break;
    case EventType::kPartition: {
      group_.clear();
      int g = 0;
      for (absl::string_view side : absl::StrSplit(e.text, '|')) {
        ++g;
        for (absl::string_view id : absl::StrSplit(side, ',')) {
          uint64_t v = 0;
          if (absl::SimpleAtoi(id, &v)) group_[v] = g;
        }
      }
      break;
    }
    case EventType::kCut:
      cut_.insert({e.node, e.to});
      break;
    case EventType::kHeal:
      group_.clear();
      cut_.clear();
      break;
    case EventType::kStall:
      if (n != nullptr) n->stalled = true;
      break;
    case EventType::kUnstall:
      if (n != nullptr) n->stalled = false;
      break;
    case EventType::kDiskWrite:
    case EventType::kDiskApply: {
      // The thread completes the first `n` queued writes (or batches), or
      // everything queued when it started with n = 0.
      if (rn == nullptr || n->stalled) break;
      const bool write = e.type == EventType::kDiskWrite;
      size_t todo = write ? n->append_q.size() : n->apply_q.size();
      if (e.n != 0) todo = std::min<size_t>(todo, e.n);
      for (size_t i = 0; i < todo && n->rn != nullptr && !failed(); ++i) {
        if (write) {
          AppendThread(*n);
        } else {
          ApplyThread(*n);
        }
      }
      break;
    }
    case EventType::kHostile:
      if (rn != nullptr) Hostile(e);
      break;
    case EventType::kRaw:
      if (rn != nullptr) Raw(e);
      break;
    case EventType::kStable:
      if (!stable_since_) stable_since_ = now_;
      if (trace_) {
        for (const auto& [id, node] : nodes_) {
          trace_(absl::StrCat(
              "  node ", id, node->rn ? "" : " (down)", " applied=",
              node->applied, " conf=", DescribeConfState(node->conf),
              node->rn ? absl::StrCat(
                             " ", DescribeHardState(
                                      node->rn->GetBasicStatus().hard_state))
                       : ""));
        }
      }
      break;
  }
  Pump();
  ExpireClientOps();
  if (stable_since_ && !liveness_met_) CheckLiveness();
}

void World::Pump() {
  // Rounds over the nodes in id order until no node has work: each node's
  // application loop runs as soon as its Ready is there.
  for (int round = 0; round < 1000 && !failed(); ++round) {
    bool any = false;
    for (auto& [id, n] : nodes_) {
      if (n->rn == nullptr || (n->stalled && !opts_.async_writes)) continue;
      if (n->rn->HasReady()) any |= HandleReady(*n);
    }
    if (!any) return;
  }
}

bool World::HandleReady(Node& n) {
  Ready rd = n.rn->GetReady();
  if (trace_) {
    trace_(absl::StrCat("  ready ", n.id, ": ", rd.entries.size(), " entries, ",
                        rd.committed_entries.size(), " committed, ",
                        rd.messages.size(), " messages",
                        rd.must_sync ? ", must sync" : "",
                        IsEmptySnapshot(rd.snapshot) ? "" : ", snapshot"));
  }
  ObserveReady(n, rd);
  if (failed()) return false;
  if (opts_.async_writes) {
    for (Message& m : rd.messages) {
      if (m.to() == kLocalAppendThread) {
        n.append_q.push_back(std::move(m));
      } else if (m.to() == kLocalApplyThread) {
        n.apply_q.push_back(std::move(m));
      } else {
        Send(std::move(m));
      }
    }
    HandleReadStates(n, std::move(rd.read_states));
    return true;
  }
  // Persist, then send, then apply, then advance.
  SimDisk::Write w{rd.hard_state, rd.entries, rd.snapshot};
  if (absl::Status s = n.disk->Apply(std::move(w), rd.must_sync); !s.ok()) {
    Fail(absl::StrCat("node ", n.id, ": ", s.message()));
    return false;
  }
  NoteDurable(n);
  if (!IsEmptySnapshot(rd.snapshot)) RestoreStateMachine(n, rd.snapshot);
  for (Message& m : rd.messages) Send(std::move(m));
  for (const Entry& e : rd.committed_entries) Apply(n, e);
  HandleReadStates(n, std::move(rd.read_states));
  n.rn->Advance();
  CompleteOps(n);
  return true;
}

void World::NoteDurable(Node& n) {
  const HardState hs = n.disk->durable_hard_state();
  n.durable_term = std::max(n.durable_term, hs.term());
  n.durable_commit = std::max(n.durable_commit, hs.commit());
  ObserveVote(n.id, hs.term(), hs.vote());
}

void World::RestoreStateMachine(Node& n, const raftpb::Snapshot& s) {
  absl::StatusOr<KvStore> kv = KvStore::Restore(s.data());
  if (!kv.ok() && !opts_.byzantine) {
    Fail(absl::StrCat("node ", n.id,
                      " got an unreadable snapshot: ", kv.status().message()));
    return;
  }
  // (A forged snapshot's data may be anything: the application makes do
  // with an empty state.)
  n.kv = kv.ok() ? *std::move(kv) : KvStore();
  n.applied = s.metadata().index();
  n.conf = s.metadata().conf_state();
}

void World::AppendThread(Node& n) {
  Message m = std::move(n.append_q.front());
  n.append_q.pop_front();
  SimDisk::Write w;
  if (m.term() != 0 || m.vote() != 0 || m.commit() != 0) {
    w.hard_state.set_term(m.term());
    w.hard_state.set_vote(m.vote());
    w.hard_state.set_commit(m.commit());
  }
  w.entries.assign(m.entries().begin(), m.entries().end());
  if (m.has_snapshot()) w.snapshot = m.snapshot();
  const HardState durable = n.disk->durable_hard_state();
  // What a Ready would have marked must_sync.
  const bool sync =
      !w.entries.empty() || (!IsEmptyHardState(w.hard_state) &&
                             (w.hard_state.term() != durable.term() ||
                              w.hard_state.vote() != durable.vote()));
  const bool has_snapshot = !IsEmptySnapshot(w.snapshot);
  raftpb::Snapshot snap = w.snapshot;
  if (absl::Status s = n.disk->Apply(std::move(w), sync); !s.ok()) {
    Fail(absl::StrCat("node ", n.id, ": ", s.message()));
    return;
  }
  NoteDurable(n);
  if (has_snapshot) RestoreStateMachine(n, snap);
  for (Message& r : *m.mutable_responses()) {
    if (r.to() == n.id) {
      if (r.type() == raftpb::MsgVoteResp && !r.reject()) {
        ObserveVote(n.id, r.term(), n.id);
      }
      if (absl::Status s = n.rn->Step(std::move(r)); !s.ok()) {
        Fail(absl::StrCat("node ", n.id,
                          " refused its own storage response: ", s.message()));
        return;
      }
    } else {
      Send(std::move(r));
    }
  }
}

void World::ApplyThread(Node& n) {
  Message m = std::move(n.apply_q.front());
  n.apply_q.pop_front();
  for (const Entry& e : m.entries()) Apply(n, e);
  for (Message& r : *m.mutable_responses()) {
    if (absl::Status s = n.rn->Step(std::move(r)); !s.ok()) {
      Fail(absl::StrCat("node ", n.id,
                        " refused its own apply response: ", s.message()));
      return;
    }
  }
  CompleteOps(n);
}

void World::Apply(Node& n, const Entry& e) {
  // Entries below a snapshot the state machine already holds (an apply
  // batch handed out before the snapshot arrived) are part of it.
  if (e.index() <= n.applied) return;
  if (e.index() != n.applied + 1) {
    Fail(absl::StrCat("node ", n.id, " applies index ", e.index(), " after ",
                      n.applied));
    return;
  }
  // Apply only what is durable: a crash must not forget an entry that the
  // state machine (and perhaps a client) has seen.
  if (!n.disk->DurablyHolds(e.index(), e.term())) {
    Fail(absl::StrCat("node ", n.id, " applies ", e.term(), "/", e.index(),
                      " before it is durable"));
    return;
  }
  const uint64_t h = EntryHash(e);
  if (!opts_.byzantine) {
    auto [it, inserted] =
        applied_.emplace(e.index(), std::make_pair(e.term(), h));
    if (!inserted && it->second != std::make_pair(e.term(), h)) {
      Fail(absl::StrCat("state machine safety: node ", n.id, " applies ",
                        e.term(), "/", e.index(), " where ", it->second.first,
                        "/", e.index(), " was applied"));
      return;
    }
    auto c = committed_.find(e.index());
    if (c != committed_.end() &&
        (c->second.term != e.term() || c->second.hash != h)) {
      Fail(absl::StrCat("node ", n.id, " applies ", e.term(), "/", e.index(),
                        " but ", c->second.term, "/", e.index(),
                        " was committed"));
      return;
    }
  }
  n.applied = e.index();
  if (e.type() == raftpb::EntryConfChange) {
    raftpb::ConfChange cc;
    if (cc.ParseFromString(e.data().ToString())) {
      absl::StatusOr<raftpb::ConfState> cs = n.rn->ApplyConfChange(cc);
      if (cs.ok()) n.conf = *cs;
    }
  } else if (e.type() == raftpb::EntryConfChangeV2) {
    raftpb::ConfChangeV2 cc;
    if (cc.ParseFromString(e.data().ToString())) {
      absl::StatusOr<raftpb::ConfState> cs = n.rn->ApplyConfChange(cc);
      if (cs.ok()) n.conf = *cs;
    }
  } else if (std::optional<KvOp> op = DecodeOp(e.data())) {
    const KvOutcome out = n.kv.Apply(*op);
    if (trace_) {
      trace_(absl::StrCat("  node ", n.id, " applies ", e.term(), "/",
                          e.index(), " ", e.data().view(),
                          out == KvOutcome::kDuplicate ? " (duplicate)" : ""));
    }
    auto it = pending_.find(op->client);
    if (it != pending_.end() && it->second.node == n.id &&
        it->second.seq == op->seq && out != KvOutcome::kDuplicate) {
      // A write made after the faults stopped is what liveness waits for.
      const bool probe =
          stable_since_ && it->second.op.call * 100 >= *stable_since_;
      EndOp(op->client, out == KvOutcome::kOk ? lincheck::OpResult::kOk
                                              : lincheck::OpResult::kFailed);
      if (probe && probe_index_ == 0) probe_index_ = e.index();
    }
  }
}

void World::HandleReadStates(Node& n, std::vector<ReadState> rs) {
  for (ReadState& r : rs) n.reads[r.request_ctx] = r.index;
  CompleteOps(n);
}

void World::CompleteOps(Node& n) {
  std::vector<uint64_t> done;
  for (auto& [client, op] : pending_) {
    if (op.node != n.id || op.op.kind != lincheck::OpKind::kGet) continue;
    auto it = n.reads.find(op.ctx);
    if (it == n.reads.end() || n.applied < it->second) continue;
    n.reads.erase(it);
    done.push_back(client);
  }
  for (uint64_t client : done) {
    const PendingOp& op = pending_.at(client);
    std::optional<std::string> v = n.kv.Get(op.op.key);
    EndOp(client, v ? lincheck::OpResult::kOk : lincheck::OpResult::kNotFound,
          v);
  }
}

void World::EndOp(uint64_t client, lincheck::OpResult result,
                  std::optional<std::string> read_value) {
  auto it = pending_.find(client);
  if (it == pending_.end()) return;
  lincheck::Operation op = std::move(it->second.op);
  pending_.erase(it);
  // An unanswered read says nothing.
  if (op.kind == lincheck::OpKind::kGet &&
      result == lincheck::OpResult::kUnknown) {
    return;
  }
  op.ret = static_cast<double>(now_) / 100.0;
  op.result = result;
  if (read_value) op.value = *std::move(read_value);
  if (trace_) trace_(absl::StrCat("  client: ", lincheck::FormatOperation(op)));
  history_.push_back(std::move(op));
}

void World::ExpireClientOps() {
  std::vector<uint64_t> expired;
  for (const auto& [client, op] : pending_) {
    if (now_ >= op.deadline) expired.push_back(client);
  }
  for (uint64_t client : expired) EndOp(client, lincheck::OpResult::kUnknown);
}

void World::ClientOp(const Event& e) {
  const uint64_t client = e.n;
  if (client == 0 || pending_.contains(client)) return;
  Node& n = N(e.node);
  PendingOp p;
  p.node = e.node;
  p.seq = ++client_seq_[client];
  p.deadline = now_ + opts_.client_timeout_ticks * 100;
  p.op.client = client;
  p.op.key = e.key;
  p.op.call = static_cast<double>(now_) / 100.0;
  if (e.type == EventType::kGet) {
    p.op.kind = lincheck::OpKind::kGet;
    p.ctx = Ctx(client, p.seq);
    n.rn->ReadIndex(p.ctx);
    pending_[client] = std::move(p);
    return;
  }
  KvOp op;
  op.client = client;
  op.seq = p.seq;
  op.key = e.key;
  switch (e.type) {
    case EventType::kPut:
      op.kind = KvOpKind::kPut;
      op.value = e.value;
      p.op.kind = lincheck::OpKind::kPut;
      break;
    case EventType::kDelete:
      op.kind = KvOpKind::kDelete;
      p.op.kind = lincheck::OpKind::kDelete;
      break;
    default:
      op.kind = KvOpKind::kCas;
      op.value = e.value;
      op.expected = e.text;
      p.op.kind = lincheck::OpKind::kCas;
      p.op.expected = e.text;
      break;
  }
  p.op.value = op.value;
  // A proposal refused here never entered any log: the operation did not
  // happen and is left out of the history.
  if (!n.rn->Propose(EncodeOp(op)).ok()) return;
  pending_[client] = std::move(p);
}

void World::ProposeConfChange(const Event& e) {
  RawNode& rn = *N(e.node).rn;
  if (e.type == EventType::kLeaveJoint) {
    (void)rn.ProposeConfChange(raftpb::ConfChangeV2());
    return;
  }
  absl::StatusOr<std::vector<raftpb::ConfChangeSingle>> changes =
      confchange::ParseConfChanges(e.text);
  if (!changes.ok()) return;
  if (changes->size() == 1 && e.arg == 3) {
    // The legacy form.
    raftpb::ConfChange cc;
    cc.set_type((*changes)[0].type());
    cc.set_node_id((*changes)[0].node_id());
    (void)rn.ProposeConfChange(cc);
    return;
  }
  raftpb::ConfChangeV2 cc;
  for (raftpb::ConfChangeSingle& c : *changes) *cc.add_changes() = c;
  switch (e.arg) {
    case 1:
      cc.set_transition(raftpb::ConfChangeTransitionJointImplicit);
      break;
    case 2:
      cc.set_transition(raftpb::ConfChangeTransitionJointExplicit);
      break;
    default:
      cc.set_transition(raftpb::ConfChangeTransitionAuto);
      break;
  }
  (void)rn.ProposeConfChange(cc);
}

void World::Compact(Node& n, uint64_t keep) {
  if (n.applied <= n.disk->storage().Snapshot()->metadata().index()) return;
  if (absl::Status s =
          n.disk->SnapshotAndCompact(n.applied, n.conf, n.kv.Serialize(), keep);
      !s.ok()) {
    Fail(absl::StrCat("node ", n.id, " cannot snapshot at applied index ",
                      n.applied, ": ", s.message()));
  }
}

// ---------------------------------------------------------------------------
// The network

bool World::Connected(uint64_t from, uint64_t to) const {
  auto side = [&](uint64_t id) {
    auto it = group_.find(id);
    return it == group_.end() ? 0 : it->second;
  };
  return side(from) == side(to) && !cut_.contains({from, to});
}

void World::Send(Message m) {
  ObserveSend(m);
  if (!nodes_.contains(m.to()) || m.to() == m.from()) return;
  const uint64_t n = ++sent_[{m.from(), m.to()}];
  LinkKey key{m.from(), m.to(), n};
  new_messages_.push_back(key);
  in_flight_[key] = InFlight{std::move(m), now_};
}

void World::Deliver(const LinkKey& key, bool keep) {
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) return;
  Message m;
  if (keep) {
    m = it->second.msg;
  } else {
    m = std::move(it->second.msg);
    in_flight_.erase(it);
  }
  const uint64_t from = m.from();
  const uint64_t to = m.to();
  if (!alive(to) || !Connected(from, to)) {
    Lost(m, /*unreachable=*/true);
    return;
  }
  // The transport tells the sender how a snapshot went.
  if (m.type() == raftpb::MsgSnap && alive(from)) {
    N(from).rn->ReportSnapshot(to, SnapshotStatus::kFinish);
  }
  std::deque<Message>& past = delivered_[{from, to}];
  past.push_back(m);
  if (past.size() > 64) past.pop_front();
  StepInto(to, std::move(m));
}

void World::StepInto(uint64_t to, Message m) {
  // Messages from the network go through StepFromPeer, as a transport's
  // should. Refusals (stale, unknown peers) are expected here.
  (void)N(to).rn->StepFromPeer(std::move(m));
}

void World::Lost(const Message& m, bool unreachable) {
  if (!alive(m.from())) return;
  RawNode& sender = *N(m.from()).rn;
  if (m.type() == raftpb::MsgSnap) {
    sender.ReportSnapshot(m.to(), SnapshotStatus::kFailure);
  }
  if (unreachable) sender.ReportUnreachable(m.to());
}

// ---------------------------------------------------------------------------
// Hostile input

void World::Hostile(const Event& e) {
  Node& n = N(e.node);
  RawNode& rn = *n.rn;
  const BasicStatus before = rn.GetBasicStatus();
  const uint64_t term = before.hard_state.term();
  // Another member, to impersonate as a well-formed sender.
  uint64_t other = e.to;
  if (other == 0 || other == n.id || !nodes_.contains(other)) {
    other = n.id % nodes_.size() + 1;
  }
  Message m;
  m.set_to(n.id);
  m.set_from(other);
  m.set_term(term);
  bool must_refuse = true;
  std::string what;
  switch (e.arg % kHostileKinds) {
    case kHostileTermZero: {
      static constexpr raftpb::MessageType kTypes[] = {
          raftpb::MsgApp,          raftpb::MsgHeartbeat, raftpb::MsgSnap,
          raftpb::MsgAppResp,      raftpb::MsgVoteResp,  raftpb::MsgTimeoutNow,
          raftpb::MsgHeartbeatResp};
      m.set_type(kTypes[e.n % std::size(kTypes)]);
      m.set_term(0);
      m.set_commit(n.last_index());
      what = "term 0";
      break;
    }
    case kHostileTermOverflow:
      m.set_type(raftpb::MsgHeartbeat);
      m.set_term(kMaxTerm + 1 + e.n);
      what = "term overflow";
      break;
    case kHostileStorageForgery:
      m.set_type(raftpb::MsgStorageAppendResp);
      m.set_from(kLocalAppendThread);
      m.set_index(n.last_index());
      m.set_log_term(n.term_at(n.last_index()).value_or(0));
      what = "forged storage acknowledgement";
      break;
    case kHostileSelfSender:
      m.set_type(e.n % 2 == 0 ? raftpb::MsgApp : raftpb::MsgHeartbeat);
      m.set_from(n.id);
      m.set_commit(n.last_index());
      what = "self-addressed";
      break;
    case kHostileIndexOverflow:
      m.set_type(raftpb::MsgApp);
      m.set_index(kMaxIndex - (e.n % 2));
      m.set_log_term(term);
      *m.add_entries() = MakeEntry(m.index() + 1, term);
      *m.add_entries() = MakeEntry(m.index() + 2, term);
      what = "index overflow";
      break;
    case kHostileBadEntries: {
      m.set_type(raftpb::MsgApp);
      m.set_index(n.last_index());
      m.set_log_term(n.term_at(n.last_index()).value_or(0));
      // Either a gap in the indexes or a term going backwards.
      *m.add_entries() = MakeEntry(m.index() + 1, term);
      *m.add_entries() = e.n % 2 == 0 ? MakeEntry(m.index() + 3, term)
                                      : MakeEntry(m.index() + 2, 0);
      if (e.n % 2 == 1 && term == 0) m.mutable_entries(0)->set_term(1);
      what = "bad entries";
      break;
    }
    case kHostileUnknownType: {
      // Field 1 (type) = 99, which no raftpb MessageType has: decoding
      // keeps it out of the field.
      absl::StatusOr<Message> decoded = DecodeMessage(
          absl::StrCat(absl::HexStringToBytes("0863"), EncodeMessage(m)));
      if (!decoded.ok()) return;
      m = *std::move(decoded);
      what = "unknown type";
      break;
    }
    case kHostileReservedMember: {
      if (before.soft_state.lead == kNone || before.soft_state.lead == n.id) {
        return;
      }
      m.set_type(raftpb::MsgSnap);
      m.set_from(before.soft_state.lead);
      raftpb::SnapshotMetadata* md = m.mutable_snapshot()->mutable_metadata();
      md->set_index(before.hard_state.commit() + 100);
      md->set_term(term);
      *md->mutable_conf_state() = n.conf;
      md->mutable_conf_state()->add_voters(e.n % 2 == 0 ? kLocalAppendThread
                                                        : kLocalApplyThread);
      must_refuse = false;  // a valid message whose snapshot is unusable
      what = "snapshot naming a storage thread";
      break;
    }
    case kHostileStaleSender:
      if (term < 2) return;
      m.set_type(raftpb::MsgHeartbeat);
      m.set_from(1000 + e.n % 7);  // never a member
      m.set_term(term - 1);
      must_refuse = false;
      what = "stale heartbeat from a stranger";
      break;
  }
  if (trace_)
    trace_(absl::StrCat("  hostile: ", what, " ", DescribeMessage(m)));
  const absl::Status s = rn.StepFromPeer(m);
  const BasicStatus after = rn.GetBasicStatus();
  if (must_refuse) {
    if (s.ok()) {
      Fail(absl::StrCat("node ", n.id, " accepted a ", what,
                        " message: ", DescribeMessage(m)));
      return;
    }
    if (!HardStateEqual(before.hard_state, after.hard_state) ||
        !(before.soft_state == after.soft_state)) {
      Fail(
          absl::StrCat("node ", n.id, " refused a ", what,
                       " message but changed its state: ", DescribeMessage(m)));
    }
    return;
  }
  if (e.arg % kHostileKinds == kHostileReservedMember &&
      (after.hard_state.commit() != before.hard_state.commit() ||
       after.hard_state.term() != before.hard_state.term())) {
    Fail(absl::StrCat("node ", n.id,
                      " restored a snapshot naming a storage "
                      "thread as a member"));
  }
  if (e.arg % kHostileKinds == kHostileStaleSender &&
      (!HardStateEqual(before.hard_state, after.hard_state) ||
       !(before.soft_state == after.soft_state))) {
    Fail(absl::StrCat("node ", n.id, " was changed by a stale heartbeat"));
  }
}

void World::Raw(const Event& e) {
  absl::StatusOr<Message> decoded =
      DecodeMessage(absl::HexStringToBytes(e.text));
  if (!decoded.ok()) return;
  Message m = *std::move(decoded);
  m.set_to(e.node);
  RawNode& rn = *N(e.node).rn;
  const BasicStatus before = rn.GetBasicStatus();
  const std::string text = DescribeMessage(m);
  if (rn.StepFromPeer(std::move(m)).ok()) return;
  // Whatever it was, a refused message changes nothing.
  const BasicStatus after = rn.GetBasicStatus();
  if (!HardStateEqual(before.hard_state, after.hard_state) ||
      !(before.soft_state == after.soft_state)) {
    Fail(absl::StrCat("node ", e.node,
                      " refused a message but changed its state: ", text));
  }
}

// ---------------------------------------------------------------------------
// Checks

void World::Fail(const std::string& what) {
  if (!failure_.empty()) return;
  failure_ = absl::StrCat("t=", now_, ": ", what);
  if (trace_) trace_(absl::StrCat("VIOLATION ", failure_));
}

void World::ObserveVote(uint64_t voter, uint64_t term, uint64_t candidate) {
  if (term == 0 || candidate == 0) return;
  auto [it, inserted] = votes_[voter].emplace(term, candidate);
  if (it->second == 0) it->second = candidate;
  if (it->second != candidate) {
    Fail(absl::StrCat("node ", voter, " voted for ", it->second, " and ",
                      candidate, " in term ", term));
  }
}

void World::ObserveReady(Node& n, const Ready& rd) {
  // The log first: a snapshot, then the entries that follow it.
  if (!IsEmptySnapshot(rd.snapshot)) {
    const raftpb::SnapshotMetadata& md = rd.snapshot.metadata();
    if (md.index() <= n.hs.commit() && !opts_.byzantine) {
      Fail(absl::StrCat("node ", n.id, " restores snapshot ", md.index(),
                        " at or below its commit index ", n.hs.commit()));
      return;
    }
    n.snap_index = md.index();
    n.snap_term = md.term();
    n.mirror.clear();
  }
  if (!rd.entries.empty()) ObserveEntries(n, rd.entries);
  if (failed()) return;

  if (!IsEmptyHardState(rd.hard_state)) {
    const HardState& hs = rd.hard_state;
    if (hs.term() < n.hs.term() || hs.term() < n.durable_term) {
      Fail(absl::StrCat("node ", n.id, " went back from term ",
                        std::max(n.hs.term(), n.durable_term), " to ",
                        hs.term()));
      return;
    }
    if (hs.commit() < n.hs.commit()) {
      Fail(absl::StrCat("node ", n.id, " lowered its commit index from ",
                        n.hs.commit(), " to ", hs.commit()));
      return;
    }
    // (A vote counts once it is durable or sent: with asynchronous writes a
    // crash may still take this one back, unseen by anyone.)
    const uint64_t prev_commit = n.hs.commit();
    n.hs = hs;
    ObserveCommit(n, prev_commit, hs.commit());
    if (failed()) return;
  }
  if (rd.soft_state) {
    n.ss = *rd.soft_state;
    if (n.ss.raft_state == StateType::kLeader) {
      const uint64_t term = n.rn->GetBasicStatus().hard_state.term();
      auto [it, inserted] = leaders_.emplace(term, n.id);
      if (it->second != n.id && !opts_.byzantine) {
        Fail(absl::StrCat("two leaders in term ", term, ": ", it->second,
                          " and ", n.id));
        return;
      }
      if (inserted && !opts_.byzantine) CheckLeaderCompleteness(n, term);
      if (trace_) trace_(absl::StrCat("  node ", n.id, " leads term ", term));
    }
  }
}

void World::ObserveEntries(Node& n, const std::vector<Entry>& ents) {
  const uint64_t first = ents.front().index();
  // Handed-out entries never rewrite what the node knows to be committed.
  if (first <= n.hs.commit()) {
    Fail(absl::StrCat("node ", n.id, " rewrites index ", first,
                      " at or below its commit index ", n.hs.commit()));
    return;
  }
  std::optional<uint64_t> prev = n.term_at(first - 1);
  if (!prev) {
    Fail(absl::StrCat("node ", n.id, " appends index ", first,
                      " after a gap (last ", n.last_index(), ")"));
    return;
  }
  n.mirror.resize(first - 1 - n.snap_index);
  uint64_t prev_term = *prev;
  for (const Entry& e : ents) {
    const uint64_t h = EntryHash(e);
    if (e.term() < prev_term) {
      Fail(absl::StrCat("node ", n.id, " log term goes back at ", e.index()));
      return;
    }
    if (!opts_.byzantine) {
      // Log matching, by induction: one entry and one predecessor term per
      // (index, term) in every log means logs agreeing at an entry agree on
      // everything before it.
      auto [it, inserted] = entries_.emplace(
          std::make_pair(e.index(), e.term()), std::make_pair(h, prev_term));
      if (!inserted && it->second != std::make_pair(h, prev_term)) {
        Fail(absl::StrCat("log matching: node ", n.id, " holds a different ",
                          e.term(), "/", e.index()));
        return;
      }
    }
    n.mirror.push_back({e.term(), h, IsConfChange(e)});
    prev_term = e.term();
  }
  if (!opts_.byzantine && n.ss.raft_state == StateType::kLeader) {
    CheckPendingConfChanges(n, ents);
  }
}

void World::ObserveCommit(Node& n, uint64_t from, uint64_t to) {
  for (uint64_t i = std::max(from, n.snap_index) + 1; i <= to; ++i) {
    const Node::MirrorEntry* me = n.at(i);
    if (me == nullptr) {
      Fail(absl::StrCat("node ", n.id, " commits ", i, " beyond its log ",
                        n.last_index()));
      return;
    }
    if (opts_.byzantine) continue;
    auto [it, inserted] =
        committed_.emplace(i, Committed{me->term, me->hash, n.hs.term()});
    if (!inserted &&
        (it->second.term != me->term || it->second.hash != me->hash)) {
      Fail(absl::StrCat("committed entry changed: node ", n.id, " commits ",
                        me->term, "/", i, " where ", it->second.term, "/", i,
                        " was committed"));
      return;
    }
  }
  max_committed_ = std::max(max_committed_, to);
}

void World::CheckLeaderCompleteness(Node& n, uint64_t term) {
  // Every entry committed in an earlier term is in the new leader's log.
  for (auto it = committed_.upper_bound(n.snap_index); it != committed_.end();
       ++it) {
    if (it->second.commit_term >= term) continue;
    const Node::MirrorEntry* me = n.at(it->first);
    if (me == nullptr || me->term != it->second.term ||
        me->hash != it->second.hash) {
      Fail(absl::StrCat("leader completeness: node ", n.id, " leads term ",
                        term, " without committed entry ", it->second.term, "/",
                        it->first));
      return;
    }
  }
}

void World::CheckPendingConfChanges(Node& n, const std::vector<Entry>& ents) {
  // A leader appends a configuration change only once every earlier one in
  // its log is applied.
  const uint64_t term = n.rn->GetBasicStatus().hard_state.term();
  for (const Entry& e : ents) {
    if (!IsConfChange(e) || e.term() != term) continue;
    for (uint64_t i = e.index() - 1; i > n.applied && i > n.snap_index; --i) {
      if (n.at(i)->conf_change) {
        Fail(absl::StrCat("leader ", n.id,
                          " appends a configuration change at ", e.index(),
                          " while the one at ", i, " is not applied (applied ",
                          n.applied, ")"));
        return;
      }
    }
  }
}

void World::ObserveSend(const Message& m) {
  if (opts_.byzantine || !nodes_.contains(m.from())) return;
  Node& n = N(m.from());
  // Persist before send: what a response vouches for is durable.
  if (m.type() == raftpb::MsgVoteResp && !m.reject()) {
    ObserveVote(m.from(), m.term(), m.to());
    const HardState hs = n.disk->durable_hard_state();
    if (hs.term() < m.term() ||
        (hs.term() == m.term() && hs.vote() != m.to())) {
      Fail(absl::StrCat("node ", m.from(), " grants its vote in term ",
                        m.term(), " to ", m.to(), " before it is durable"));
    }
  } else if (m.type() == raftpb::MsgAppResp && !m.reject() && m.index() > 0 &&
             m.term() >= n.hs.term()) {
    // (The entry at the index may since have been replaced in the node's
    // log by writes still queued: only its presence can be checked. An
    // acknowledgement from an earlier term is exempt: it was made before a
    // newer leader replaced the entries, on a log that still held them, and
    // they went out together in one Ready; Raft's argument holds for it as
    // it was when made.)
    if (*n.disk->durable().LastIndex() < m.index()) {
      Fail(absl::StrCat("node ", m.from(), " acknowledges index ", m.index(),
                        " before it is durable (durable log ends at ",
                        *n.disk->durable().LastIndex(), ")"));
    }
  }
}

void World::CheckLiveness() {
  // A leader, and a write made after the faults stopped that every live
  // member of the configuration has applied, out of any joint
  // configuration.
  const uint64_t l = leader();
  if (l == 0 || probe_index_ == 0) return;
  const raftpb::ConfState& cs = N(l).conf;
  if (cs.voters_outgoing_size() > 0) return;
  auto applied = [&](uint64_t id) {
    return !nodes_.contains(id) || !alive(id) || N(id).applied >= probe_index_;
  };
  for (uint64_t id : cs.voters()) {
    if (!applied(id)) return;
  }
  for (uint64_t id : cs.learners()) {
    if (!applied(id)) return;
  }
  liveness_met_ = true;
  if (trace_) trace_(absl::StrCat("  liveness reached at t=", now_));
}

void World::Finish() {
  if (trace_) {
    for (const auto& [id, node] : nodes_) {
      if (!node->rn) continue;
      NodeStatus st = node->rn->GetStatus();
      std::string prs;
      for (const auto& [pid, pr] : st.progress) {
        absl::StrAppend(&prs, " ", pid, ":", pr.String());
      }
      trace_(absl::StrCat(
          "  end: node ", id, " ", DescribeHardState(st.basic.hard_state), " ",
          DescribeSoftState(st.basic.soft_state), " applied=", st.basic.applied,
          " last=", node->last_index(), " appendq=", node->append_q.size(),
          " applyq=", node->apply_q.size(), prs));
    }
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    const uint64_t client = it->first;
    ++it;
    EndOp(client, lincheck::OpResult::kUnknown);
  }
  if (failed()) return;
  if (stable_since_ && !liveness_met_) {
    Fail(absl::StrCat(
        "liveness: no leader committing a new write (out of "
        "any joint configuration) within ",
        (now_ - *stable_since_) / 100, " ticks after the faults stopped"));
    return;
  }
  lincheck::Verdict v = lincheck::Check(history_);
  if (!v.linearizable) {
    std::string ops;
    for (const lincheck::Operation& op : v.counterexample) {
      absl::StrAppend(&ops, "\n  ", lincheck::FormatOperation(op));
    }
    Fail(absl::StrCat("not linearizable:", ops));
  }
}

}  // namespace craft::sim
