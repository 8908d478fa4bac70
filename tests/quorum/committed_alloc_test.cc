// Shows that committed-index computation does not allocate for up to seven
// voters: this binary replaces the global allocation functions with
// counting ones and checks the count around the calls.

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>

#include "craft/quorum/joint.h"
#include "craft/quorum/majority.h"
#include "craft/tracker/tracker.h"
#include "gtest/gtest.h"

namespace {

std::atomic<uint64_t> allocations{0};

void* CountedAlloc(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return CountedAlloc(size); }
void* operator new[](std::size_t size) { return CountedAlloc(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace craft::quorum {
namespace {

// Allocations made while running `fn`.
template <typename Fn>
uint64_t CountAllocations(Fn fn) {
  const uint64_t before = allocations.load();
  fn();
  return allocations.load() - before;
}

std::optional<uint64_t> AckById(uint64_t id) { return id * 10; }

TEST(CommittedAllocTest, CounterSeesAllocations) {
  EXPECT_GE(CountAllocations([] { delete new int(1); }), 1u);
}

TEST(CommittedAllocTest, MajorityUpToSevenVotersDoesNotAllocate) {
  for (uint64_t n = 0; n <= 7; ++n) {
    MajorityConfig c;
    for (uint64_t id = 1; id <= n; ++id) c.Insert(id);
    uint64_t committed = 0;
    EXPECT_EQ(CountAllocations([&] { committed = c.CommittedIndex(AckById); }),
              0u)
        << n << " voters";
    if (n > 0) {
      EXPECT_EQ(committed, (n - n / 2) * 10);
    }
  }
}

TEST(CommittedAllocTest, JointOfSevenAndSevenDoesNotAllocate) {
  const JointConfig j(MajorityConfig({1, 2, 3, 4, 5, 6, 7}),
                      MajorityConfig({4, 5, 6, 7, 8, 9, 10}));
  uint64_t committed = 0;
  EXPECT_EQ(CountAllocations([&] { committed = j.CommittedIndex(AckById); }),
            0u);
  EXPECT_EQ(committed, 40u);
}

TEST(CommittedAllocTest, TrackerCommittedDoesNotAllocate) {
  tracker::ProgressTracker trk(256, 0);
  tracker::TrackerConfig cfg;
  tracker::ProgressMap progress;
  for (uint64_t id = 1; id <= 7; ++id) {
    cfg.voters.mutable_incoming()->Insert(id);
    progress.insert_or_assign(
        id, tracker::Progress(id, id + 1, tracker::Inflights(256, 0)));
  }
  trk.SetConfig(cfg, progress);
  uint64_t committed = 0;
  EXPECT_EQ(CountAllocations([&] { committed = trk.Committed(); }), 0u);
  EXPECT_EQ(committed, 4u);
  bool active = false;
  EXPECT_EQ(CountAllocations([&] { active = trk.QuorumActive(); }), 0u);
  EXPECT_FALSE(active);
}

TEST(CommittedAllocTest, LargerConfigsStillComputeCorrectly) {
  // Beyond seven voters the scratch space may come from the heap; the
  // result is the same.
  MajorityConfig c;
  for (uint64_t id = 1; id <= 9; ++id) c.Insert(id);
  EXPECT_EQ(c.CommittedIndex(AckById), 50u);
}

}  // namespace
}  // namespace craft::quorum
