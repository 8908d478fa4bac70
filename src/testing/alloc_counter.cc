// Replaces the global operator new and delete of the binary that links it
// with versions that count calls and bytes (see alloc_counter.h).
//
// Every block carries a small header with its requested size, so that the
// live byte count is exact whichever form of delete frees it. Aligned
// allocations put the header just before the aligned block.

#include "testing/alloc_counter.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace craft::testing {
namespace {

std::atomic<uint64_t> g_allocs{0};
std::atomic<uint64_t> g_bytes{0};
std::atomic<int64_t> g_live_objects{0};
std::atomic<int64_t> g_live_bytes{0};

constexpr size_t kHeader = alignof(std::max_align_t);

void Count(size_t size) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(size, std::memory_order_relaxed);
  g_live_objects.fetch_add(1, std::memory_order_relaxed);
  g_live_bytes.fetch_add(static_cast<int64_t>(size), std::memory_order_relaxed);
}

void Uncount(size_t size) {
  g_live_objects.fetch_sub(1, std::memory_order_relaxed);
  g_live_bytes.fetch_sub(static_cast<int64_t>(size), std::memory_order_relaxed);
}

void* Allocate(size_t size, size_t align) {
  const size_t header = align > kHeader ? align : kHeader;
  void* raw = align > kHeader ? std::aligned_alloc(align, header + size)
                              : std::malloc(header + size);
  if (raw == nullptr) return nullptr;
  char* p = static_cast<char*>(raw) + header;
  reinterpret_cast<size_t*>(p)[-1] = size;
  Count(size);
  return p;
}

void Free(void* p, size_t align) {
  if (p == nullptr) return;
  const size_t header = align > kHeader ? align : kHeader;
  const size_t size = static_cast<size_t*>(p)[-1];
  Uncount(size);
  std::free(static_cast<char*>(p) - header);
}

void* AllocateOrThrow(size_t size, size_t align) {
  if (void* p = Allocate(size, align)) return p;
  throw std::bad_alloc();
}

}  // namespace

AllocStats AllocStats::Now() {
  return AllocStats{g_allocs.load(std::memory_order_relaxed),
                    g_bytes.load(std::memory_order_relaxed),
                    g_live_objects.load(std::memory_order_relaxed),
                    g_live_bytes.load(std::memory_order_relaxed)};
}

}  // namespace craft::testing

using craft::testing::AllocateOrThrow;

void* operator new(size_t n) { return AllocateOrThrow(n, 0); }
void* operator new[](size_t n) { return AllocateOrThrow(n, 0); }
void* operator new(size_t n, std::align_val_t a) {
  return AllocateOrThrow(n, static_cast<size_t>(a));
}
void* operator new[](size_t n, std::align_val_t a) {
  return AllocateOrThrow(n, static_cast<size_t>(a));
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return craft::testing::Allocate(n, 0);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return craft::testing::Allocate(n, 0);
}
void operator delete(void* p) noexcept { craft::testing::Free(p, 0); }
void operator delete[](void* p) noexcept { craft::testing::Free(p, 0); }
void operator delete(void* p, size_t) noexcept { craft::testing::Free(p, 0); }
void operator delete[](void* p, size_t) noexcept { craft::testing::Free(p, 0); }
void operator delete(void* p, std::align_val_t a) noexcept {
  craft::testing::Free(p, static_cast<size_t>(a));
}
void operator delete[](void* p, std::align_val_t a) noexcept {
  craft::testing::Free(p, static_cast<size_t>(a));
}
void operator delete(void* p, size_t, std::align_val_t a) noexcept {
  craft::testing::Free(p, static_cast<size_t>(a));
}
void operator delete[](void* p, size_t, std::align_val_t a) noexcept {
  craft::testing::Free(p, static_cast<size_t>(a));
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  craft::testing::Free(p, 0);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  craft::testing::Free(p, 0);
}
