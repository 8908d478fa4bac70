// The committed-index computation runs on every acknowledgement a leader
// receives; it must not allocate for common cluster sizes.

#include <cstdint>
#include <optional>
#include <vector>

#include "alloc_scope.h"
#include "benchmark/benchmark.h"
#include "craft/quorum/joint.h"
#include "craft/quorum/majority.h"

namespace craft {
namespace {

void BM_MajorityCommittedIndex(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  quorum::MajorityConfig cfg;
  std::vector<uint64_t> acked(n + 1);
  for (int i = 1; i <= n; ++i) {
    cfg.Insert(i);
    acked[i] = 1000 + (i * 7919) % 97;
  }
  auto lookup = [&](uint64_t id) -> std::optional<uint64_t> {
    return acked[id];
  };
  bench::AllocCounter allocs(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(cfg.CommittedIndex(lookup));
  }
}
BENCHMARK(BM_MajorityCommittedIndex)->Arg(1)->Arg(3)->Arg(5)->Arg(7)->Arg(9);

void BM_JointCommittedIndex(benchmark::State& state) {
  quorum::JointConfig cfg({1, 2, 3, 4, 5}, {1, 2, 3, 6, 7});
  auto lookup = [](uint64_t id) -> std::optional<uint64_t> { return 100 + id; };
  bench::AllocCounter allocs(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(cfg.CommittedIndex(lookup));
  }
}
BENCHMARK(BM_JointCommittedIndex);

}  // namespace
}  // namespace craft
