// Shows that committed-index computation does not allocate for up to seven
// voters: this binary links craft_alloc_counter, which counts every
// allocation, and checks the count around the calls.

#include <cstdint>
#include <limits>
#include <optional>

#include "craft/quorum/joint.h"
#include "craft/quorum/majority.h"
#include "craft/tracker/inflights.h"
#include "craft/tracker/tracker.h"
#include "gtest/gtest.h"
#include "testing/alloc_counter.h"

namespace craft::quorum {
namespace {

// Allocations made while running `fn`.
template <typename Fn>
uint64_t CountAllocations(Fn fn) {
  const uint64_t before = craft::testing::AllocStats::Now().allocs;
  fn();
  return craft::testing::AllocStats::Now().allocs - before;
}

std::optional<uint64_t> AckById(uint64_t id) { return id * 10; }

TEST(CommittedAllocTest, CounterSeesAllocations) {
  // (Through a volatile pointer, so that the compiler cannot elide it.)
  EXPECT_GE(CountAllocations([] {
              int* volatile p = new int(1);
              delete p;
            }),
            1u);
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

// An idle follower's in-flight window holds no buffer without a byte
// limit, whether the limit says 0 or the largest value (the tracker's "no
// limit"); with one, its header is allocated up front.
TEST(CommittedAllocTest, InflightsWithoutAByteLimitAllocateNothing) {
  for (uint64_t none : {uint64_t{0}, std::numeric_limits<uint64_t>::max()}) {
    EXPECT_EQ(CountAllocations([&] { tracker::Inflights in(256, none); }), 0u)
        << none;
  }
  EXPECT_EQ(CountAllocations([] { tracker::Inflights in(256, 1 << 20); }), 1u);
}

}  // namespace
}  // namespace craft::quorum
