// End-to-end cost of the core: proposals committed through a three-node
// cluster whose application loops run in memory, synchronously.

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "craft/memory_storage.h"
#include "craft/raw_node.h"
#include "craft/testing/capturing_logger.h"

namespace craft {
namespace {

class BenchCluster {
 public:
  explicit BenchCluster(int n) : logger_(LogLevel::kError) {
    raftpb::Snapshot snap;
    snap.mutable_metadata()->set_index(1);
    snap.mutable_metadata()->set_term(1);
    for (int i = 1; i <= n; ++i) {
      snap.mutable_metadata()->mutable_conf_state()->add_voters(i);
    }
    for (int i = 1; i <= n; ++i) {
      storages_.push_back(std::make_unique<MemoryStorage>());
      (void)storages_.back()->ApplySnapshot(snap);
      Config cfg;
      cfg.id = i;
      cfg.storage = storages_.back().get();
      cfg.logger = &logger_;
      cfg.applied = 1;
      nodes_.push_back(*RawNode::Create(cfg));
    }
    (void)nodes_[0]->Campaign();
    Stabilize();
  }

  RawNode& leader() { return *nodes_[0]; }

  void Stabilize() {
    for (bool progress = true; progress;) {
      progress = false;
      for (size_t i = 0; i < nodes_.size(); ++i) {
        RawNode& n = *nodes_[i];
        if (!n.HasReady()) continue;
        progress = true;
        Ready rd = n.GetReady();
        if (!IsEmptyHardState(rd.hard_state)) {
          (void)storages_[i]->SetHardState(rd.hard_state);
        }
        (void)storages_[i]->Append(std::move(rd.entries));
        for (Message& m : rd.messages) queue_.push_back(std::move(m));
        applied_ += rd.committed_entries.size();
        n.Advance();
      }
      while (!queue_.empty()) {
        progress = true;
        Message m = std::move(queue_.front());
        queue_.pop_front();
        (void)nodes_[m.to() - 1]->Step(std::move(m));
      }
    }
  }

  void CompactAll() {
    for (auto& s : storages_) {
      uint64_t last = *s->LastIndex();
      if (last > 1024) (void)s->Compact(last - 512);
    }
  }

  uint64_t applied() const { return applied_; }

 private:
  CapturingLogger logger_;
  std::vector<std::unique_ptr<MemoryStorage>> storages_;
  std::vector<std::unique_ptr<RawNode>> nodes_;
  std::deque<Message> queue_;
  uint64_t applied_ = 0;
};

// Proposes `batch` entries of 128 bytes, then runs every loop until quiet.
void BM_ProposeCommit3(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  BenchCluster c(3);
  const std::string data(128, 'x');
  int64_t rounds = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) (void)c.leader().Propose(data);
    c.Stabilize();
    if (++rounds % 64 == 0) c.CompactAll();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_ProposeCommit3)->Arg(1)->Arg(16)->Arg(128);

}  // namespace
}  // namespace craft
