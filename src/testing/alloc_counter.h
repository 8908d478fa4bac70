// Heap accounting for benchmarks and allocation tests: a binary that links
// the craft_alloc_counter object library replaces the global operator new
// and delete (alloc_counter.cc) with versions that count every allocation
// and the live heap. Memory allocated with malloc directly (by
// C libraries) is not seen; craft and its C++ dependencies allocate through
// operator new.

#ifndef CRAFT_TESTING_ALLOC_COUNTER_H_
#define CRAFT_TESTING_ALLOC_COUNTER_H_

#include <cstdint>

namespace craft::testing {

struct AllocStats {
  // Allocations made, and the bytes they asked for, since the start.
  uint64_t allocs = 0;
  uint64_t bytes = 0;
  // Blocks and requested bytes allocated and not yet freed.
  int64_t live_objects = 0;
  int64_t live_bytes = 0;

  static AllocStats Now();
};

}  // namespace craft::testing

#endif  // CRAFT_TESTING_ALLOC_COUNTER_H_
