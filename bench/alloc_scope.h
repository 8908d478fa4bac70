// AllocCounter reports a benchmark's heap allocations per iteration as the
// counter allocs_per_op (the benchmark binary counts them with the replaced
// operator new of src/testing/alloc_counter.cc).

#ifndef CRAFT_BENCH_ALLOC_SCOPE_H_
#define CRAFT_BENCH_ALLOC_SCOPE_H_

#include <cstdint>

#include "benchmark/benchmark.h"
#include "testing/alloc_counter.h"

namespace craft::bench {

// Construct it right before the benchmark loop.
class AllocCounter {
 public:
  explicit AllocCounter(benchmark::State& state)
      : state_(state), start_(testing::AllocStats::Now().allocs) {}
  ~AllocCounter() {
    state_.counters["allocs_per_op"] = benchmark::Counter(
        static_cast<double>(testing::AllocStats::Now().allocs - start_),
        benchmark::Counter::kAvgIterations);
  }

 private:
  benchmark::State& state_;
  const uint64_t start_;
};

}  // namespace craft::bench

#endif  // CRAFT_BENCH_ALLOC_SCOPE_H_
