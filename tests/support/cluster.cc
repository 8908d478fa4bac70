#include "support/cluster.h"

#include <utility>

namespace craft::testing {

Cluster::Cluster(
    int n, std::function<void(Config&)> tweak,
    std::function<std::unique_ptr<MemoryStorage>(uint64_t id)> make_storage) {
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(1);
  snap.mutable_metadata()->set_term(1);
  for (int i = 1; i <= n; ++i) {
    snap.mutable_metadata()->mutable_conf_state()->add_voters(i);
  }
  for (uint64_t id = 1; id <= static_cast<uint64_t>(n); ++id) {
    Member m;
    m.storage =
        make_storage ? make_storage(id) : std::make_unique<MemoryStorage>();
    EXPECT_TRUE(m.storage->ApplySnapshot(snap).ok());
    // As if restarted at term 1: the first election is for term 2.
    HardState hs;
    hs.set_term(1);
    hs.set_commit(1);
    EXPECT_TRUE(m.storage->SetHardState(hs).ok());
    Config cfg;
    cfg.id = id;
    cfg.election_tick = 10;
    cfg.heartbeat_tick = 1;
    cfg.storage = m.storage.get();
    cfg.max_size_per_msg = kNoLimit;
    cfg.max_inflight_msgs = 256;
    cfg.logger = &logger_;
    cfg.applied = 1;
    if (tweak) tweak(cfg);
    absl::StatusOr<std::unique_ptr<RawNode>> rn = RawNode::Create(cfg);
    EXPECT_TRUE(rn.ok()) << rn.status();
    m.node = *std::move(rn);
    members_.emplace(id, std::move(m));
  }
}

std::vector<uint64_t> Cluster::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, m] : members_) out.push_back(id);
  return out;
}

bool Cluster::HandleReady(uint64_t id) {
  Member& m = members_.at(id);
  if (!m.node->HasReady()) return false;
  Ready rd = m.node->GetReady();
  if (!IsEmptyHardState(rd.hard_state)) {
    EXPECT_TRUE(m.storage->SetHardState(rd.hard_state).ok());
  }
  if (!IsEmptySnapshot(rd.snapshot)) {
    EXPECT_TRUE(m.storage->ApplySnapshot(rd.snapshot).ok());
  }
  EXPECT_TRUE(m.storage->Append(rd.entries).ok());
  for (Message& msg : rd.messages) queue_.push_back(std::move(msg));
  for (const Entry& e : rd.committed_entries) {
    if (e.type() == raftpb::EntryConfChange) {
      raftpb::ConfChange cc;
      EXPECT_TRUE(cc.ParseFromString(e.data().ToString()));
      EXPECT_TRUE(m.node->ApplyConfChange(cc).ok());
    } else if (e.type() == raftpb::EntryConfChangeV2) {
      raftpb::ConfChangeV2 cc;
      EXPECT_TRUE(cc.ParseFromString(e.data().ToString()));
      EXPECT_TRUE(m.node->ApplyConfChange(cc).ok());
    } else if (!e.data().empty()) {
      m.applied.push_back(e.data().ToString());
    }
  }
  for (ReadState& rs : rd.read_states) m.reads.push_back(std::move(rs));
  m.node->Advance();
  return true;
}

bool Cluster::Blocked(const Message& m) const {
  if (drop_ && drop_(m)) return true;
  if (groups_.empty()) return false;
  for (const std::set<uint64_t>& g : groups_) {
    if (g.count(m.from()) != g.count(m.to())) return true;
  }
  return false;
}

void Cluster::Stabilize() {
  for (int round = 0; round < 10000; ++round) {
    bool progress = false;
    for (auto& [id, m] : members_) progress |= HandleReady(id);
    std::deque<Message> msgs = std::move(queue_);
    queue_.clear();
    for (Message& msg : msgs) {
      progress = true;
      if (Blocked(msg) || members_.count(msg.to()) == 0) continue;
      (void)members_.at(msg.to()).node->Step(std::move(msg));
    }
    if (!progress) return;
  }
  ADD_FAILURE() << "cluster did not stabilize";
}

void Cluster::Tick(uint64_t id, int n) {
  for (int i = 0; i < n; ++i) node(id).Tick();
}

void Cluster::TickAndStabilize(uint64_t id, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    Tick(id, 1);
    Stabilize();
  }
}

void Cluster::Elect(uint64_t id) {
  ASSERT_TRUE(node(id).Campaign().ok());
  Stabilize();
}

void Cluster::Partition(std::vector<std::set<uint64_t>> groups) {
  groups_ = std::move(groups);
}

void Cluster::Isolate(uint64_t id) {
  std::set<uint64_t> rest;
  for (const auto& [other, m] : members_) {
    if (other != id) rest.insert(other);
  }
  Partition({{id}, rest});
}

uint64_t Cluster::SnapshotAndCompact(uint64_t id) {
  const uint64_t index = Commit(id);
  raftpb::ConfState cs;
  for (uint64_t v : ids()) cs.add_voters(v);
  EXPECT_TRUE(storage(id).CreateSnapshot(index, &cs, "state").ok());
  EXPECT_TRUE(storage(id).Compact(index).ok());
  return index;
}

uint64_t Cluster::Leader() {
  std::map<uint64_t, int> votes;
  for (auto& [id, m] : members_) {
    ++votes[m.node->GetBasicStatus().soft_state.lead];
  }
  for (auto& [lead, n] : votes) {
    if (lead != kNone && n * 2 > static_cast<int>(members_.size())) return lead;
  }
  return kNone;
}

std::vector<Message> TakeMessages(RawNode& n) {
  Ready rd = n.GetReady();
  std::vector<Message> out = std::move(rd.messages);
  n.Advance();
  return out;
}

}  // namespace craft::testing
