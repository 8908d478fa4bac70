#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "craft/memory_storage.h"

namespace craft {
namespace {

// Appending batches of entries with payloads of the given size.
void BM_MemoryStorageAppend(benchmark::State& state) {
  const size_t payload = static_cast<size_t>(state.range(0));
  const std::string data(payload, 'x');
  MemoryStorage s;
  uint64_t next = 1;
  for (auto _ : state) {
    std::vector<Entry> batch;
    batch.reserve(16);
    for (int i = 0; i < 16; ++i) {
      Entry e = MakeEntry(next++, 1);
      e.set_data(data);
      batch.push_back(std::move(e));
    }
    benchmark::DoNotOptimize(s.Append(std::move(batch)));
    if (next % 4096 == 1) (void)s.Compact(next - 1);
  }
  state.SetItemsProcessed(state.iterations() * 16);
  state.SetBytesProcessed(state.iterations() * 16 * payload);
}
BENCHMARK(BM_MemoryStorageAppend)->Arg(16)->Arg(256)->Arg(4096);

}  // namespace
}  // namespace craft
