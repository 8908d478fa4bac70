// Heap accounting for craft-workload: the binary replaces the global
// operator new and delete (alloc_counter.cc) with versions that count every
// allocation and the live heap. Memory allocated with malloc directly (by
// C libraries) is not seen; craft and its C++ dependencies allocate through
// operator new.

#ifndef CRAFT_BENCH_WORKLOAD_ALLOC_COUNTER_H_
#define CRAFT_BENCH_WORKLOAD_ALLOC_COUNTER_H_

#include <cstdint>

namespace craft::workload {

struct AllocStats {
  // Allocations made, and the bytes they asked for, since the start.
  uint64_t allocs = 0;
  uint64_t bytes = 0;
  // Blocks and requested bytes allocated and not yet freed.
  int64_t live_objects = 0;
  int64_t live_bytes = 0;

  static AllocStats Now();
};

}  // namespace craft::workload

#endif  // CRAFT_BENCH_WORKLOAD_ALLOC_COUNTER_H_
