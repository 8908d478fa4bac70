// The hot pieces of the core, one at a time, each reporting its heap
// allocations per operation (allocs_per_op, counted by the replaced global
// operator new of src/testing/alloc_counter.cc, linked into this binary): the
// ordinary paths should show 0.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alloc_scope.h"
#include "benchmark/benchmark.h"
#include "craft/logger.h"
#include "craft/memory_storage.h"
#include "craft/raw_node.h"
#include "craft/tracker/inflights.h"
#include "log/raft_log.h"
#include "raft/messages.h"

namespace craft {
namespace {

using bench::AllocCounter;

class DropLogger : public Logger {
 public:
  bool Enabled(LogLevel) const override { return false; }
  void Write(LogLevel, absl::string_view) override {}
};

DropLogger quiet;

void BM_InflightsAddFree(benchmark::State& state) {
  tracker::Inflights in(256, 0);
  uint64_t index = 0;
  AllocCounter allocs(state);
  for (auto _ : state) {
    in.Add(++index, 128);
    if (in.Full()) in.FreeLE(index);
  }
}
BENCHMARK(BM_InflightsAddFree);

Entry NewEntry(uint64_t index, uint64_t term, const Payload& data) {
  Entry e = MakeEntry(index, term);
  e.set_data(data);
  return e;
}

// One entry appended to the log, persisted, then the last few read back as
// an append to a follower would read them.
void BM_LogAppendAndSlice(benchmark::State& state) {
  MemoryStorage storage;
  absl::StatusOr<RaftLog> made = RaftLog::Create(&storage, &quiet);
  RaftLog& log = *made;
  const Payload data(std::string(128, 'x'));
  std::vector<Entry> one(1);
  Message::EntryList slice;
  uint64_t index = 0;
  AllocCounter allocs(state);
  for (auto _ : state) {
    one[0] = NewEntry(++index, 1, data);
    (void)log.Append(absl::MakeSpan(one));
    (void)storage.Append(log.NextUnstableEnts());
    log.StableTo({1, index});
    slice.erase(slice.begin(), slice.end());  // (clear() frees the buffer)
    (void)log.Slice(index > 4 ? index - 3 : 1, index + 1, kNoLimit, &slice);
    benchmark::DoNotOptimize(slice.data());
  }
}
BENCHMARK(BM_LogAppendAndSlice);

// A node of voters {1, 2, 3} on a storage starting at a snapshot (1, 1).
std::unique_ptr<RawNode> NewNode(uint64_t id, MemoryStorage* storage) {
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(1);
  snap.mutable_metadata()->set_term(1);
  for (uint64_t v : {1, 2, 3}) {
    snap.mutable_metadata()->mutable_conf_state()->add_voters(v);
  }
  (void)storage->ApplySnapshot(std::move(snap));
  Config c;
  c.id = id;
  c.storage = storage;
  c.logger = &quiet;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  return *RawNode::Create(c);
}

// Handles one Ready synchronously: persists, hands the messages to `sent`.
void HandleReady(RawNode& n, MemoryStorage& storage,
                 std::vector<Message>* sent) {
  Ready rd = n.GetReady();
  if (!IsEmptyHardState(rd.hard_state))
    (void)storage.SetHardState(rd.hard_state);
  (void)storage.Append(rd.entries);
  if (sent != nullptr) {
    for (Message& m : rd.messages) sent->push_back(std::move(m));
  }
  n.Advance(std::move(rd));
}

// A follower appends one entry per MsgApp from its leader and acknowledges
// it (Step, Ready, Advance).
void BM_FollowerStepMsgApp(benchmark::State& state) {
  MemoryStorage storage;
  std::unique_ptr<RawNode> n = NewNode(2, &storage);
  const Payload data(std::string(128, 'x'));
  uint64_t index = 1;
  std::vector<Message> sent;
  sent.reserve(8);
  AllocCounter allocs(state);
  for (auto _ : state) {
    Message m = NewMessage(raftpb::MsgApp, /*to=*/2, /*from=*/1);
    m.set_term(2);
    m.set_log_term(index == 1 ? 1 : 2);
    m.set_index(index);
    m.set_commit(index);
    *m.add_entries() = NewEntry(++index, 2, data);
    (void)n->Step(std::move(m));
    sent.clear();
    HandleReady(*n, storage, &sent);
  }
}
BENCHMARK(BM_FollowerStepMsgApp);

// A leader of three proposes one entry and steps both followers'
// acknowledgements (Propose, Ready, Step x2, Ready).
void BM_LeaderStepMsgAppResp(benchmark::State& state) {
  MemoryStorage storage;
  std::unique_ptr<RawNode> n = NewNode(1, &storage);
  (void)n->Campaign();
  const uint64_t term = n->GetBasicStatus().hard_state.term();
  std::vector<Message> sent;
  HandleReady(*n, storage, &sent);
  for (uint64_t f : {2, 3}) {
    Message v = NewMessage(raftpb::MsgVoteResp, /*to=*/1, /*from=*/f);
    v.set_term(term);
    (void)n->Step(std::move(v));
  }
  while (n->HasReady()) HandleReady(*n, storage, nullptr);
  if (n->GetBasicStatus().soft_state.raft_state != StateType::kLeader) {
    state.SkipWithError("node 1 did not become leader");
    return;
  }
  const Payload data(std::string(128, 'x'));
  uint64_t index = 2;
  AllocCounter allocs(state);
  for (auto _ : state) {
    (void)n->Propose(data);
    sent.clear();
    HandleReady(*n, storage, &sent);
    ++index;
    for (uint64_t f : {2, 3}) {
      Message r = NewMessage(raftpb::MsgAppResp, /*to=*/1, /*from=*/f);
      r.set_term(term);
      r.set_index(index);
      (void)n->Step(std::move(r));
    }
    sent.clear();
    HandleReady(*n, storage, &sent);
  }
}
BENCHMARK(BM_LeaderStepMsgAppResp);

// An idle follower: a tick, and the Ready/Advance check, with nothing to do.
void BM_IdleTickReadyAdvance(benchmark::State& state) {
  MemoryStorage storage;
  std::unique_ptr<RawNode> n = NewNode(2, &storage);
  while (n->HasReady()) HandleReady(*n, storage, nullptr);
  AllocCounter allocs(state);
  for (auto _ : state) {
    n->Tick();
    if (n->HasReady()) HandleReady(*n, storage, nullptr);
    // Heard from a leader now and then: it never campaigns.
    Message hb = NewMessage(raftpb::MsgHeartbeat, /*to=*/2, /*from=*/1);
    hb.set_term(2);
    (void)n->Step(std::move(hb));
    if (n->HasReady()) HandleReady(*n, storage, nullptr);
  }
}
BENCHMARK(BM_IdleTickReadyAdvance);

}  // namespace
}  // namespace craft
