#include "craft/tracker/inflights.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "gtest/gtest.h"

namespace craft::tracker {
namespace {

TEST(InflightsTest, FullByCount) {
  Inflights in(3, 0);
  EXPECT_FALSE(in.Full());
  EXPECT_TRUE(in.Add(1, 100));
  EXPECT_TRUE(in.Add(2, 100));
  EXPECT_FALSE(in.Full());
  EXPECT_TRUE(in.Add(3, 100));
  EXPECT_TRUE(in.Full());
  EXPECT_EQ(in.count(), 3u);
  EXPECT_EQ(in.bytes(), 300u);
  // A full window refuses more.
  EXPECT_FALSE(in.Add(4, 1));
  EXPECT_EQ(in.count(), 3u);
}

TEST(InflightsTest, FullByBytes) {
  Inflights in(10, 250);
  EXPECT_TRUE(in.Add(1, 100));
  EXPECT_TRUE(in.Add(2, 100));
  EXPECT_FALSE(in.Full());
  // Reaching the byte limit (not only exceeding it) fills the window.
  EXPECT_TRUE(in.Add(3, 50));
  EXPECT_TRUE(in.Full());
  in.FreeLE(1);
  EXPECT_FALSE(in.Full());
  EXPECT_EQ(in.bytes(), 150u);
  // One message may overshoot the limit; then the window is full.
  EXPECT_TRUE(in.Add(4, 1000));
  EXPECT_TRUE(in.Full());
  EXPECT_EQ(in.bytes(), 1150u);
}

TEST(InflightsTest, FreeLE) {
  Inflights in(10, 0);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(in.Add(i, i));
  in.FreeLE(0);
  EXPECT_EQ(in.count(), 9u);
  EXPECT_EQ(in.bytes(), 45u);
  // Freeing below the window is a no-op.
  in.FreeLE(0);
  EXPECT_EQ(in.count(), 9u);
  in.FreeLE(4);
  EXPECT_EQ(in.count(), 5u);
  EXPECT_EQ(in.bytes(), 5u + 6 + 7 + 8 + 9);
  // Freeing beyond the window empties it.
  in.FreeLE(100);
  EXPECT_EQ(in.count(), 0u);
  EXPECT_EQ(in.bytes(), 0u);
  EXPECT_FALSE(in.Full());
}

TEST(InflightsTest, WrapsAround) {
  Inflights in(4, 0);
  uint64_t next = 1;
  // Slide the window many times around the ring.
  for (int round = 0; round < 20; ++round) {
    while (!in.Full()) {
      ASSERT_TRUE(in.Add(next, 1));
      ++next;
    }
    ASSERT_EQ(in.count(), 4u);
    // Acknowledge the two oldest.
    in.FreeLE(next - 3);
    ASSERT_EQ(in.count(), 2u);
    ASSERT_EQ(in.bytes(), 2u);
  }
  in.FreeLE(next - 2);
  EXPECT_EQ(in.count(), 1u);
  in.FreeLE(next - 1);
  EXPECT_EQ(in.count(), 0u);
}

TEST(InflightsTest, GrowsLazily) {
  Inflights in(10, 0);
  EXPECT_EQ(in.capacity(), 0u);
  in.Add(1, 0);
  EXPECT_EQ(in.capacity(), 1u);
  in.Add(2, 0);
  EXPECT_EQ(in.capacity(), 2u);
  in.Add(3, 0);
  EXPECT_EQ(in.capacity(), 4u);
  for (uint64_t i = 4; i <= 10; ++i) in.Add(i, 0);
  EXPECT_EQ(in.capacity(), 10u);  // capped at the count limit
  EXPECT_TRUE(in.Full());
}

TEST(InflightsTest, GrowthKeepsOrderAfterFrees) {
  Inflights in(8, 0);
  in.Add(1, 1);
  in.Add(2, 2);
  in.FreeLE(1);  // the window now starts at slot 1
  in.Add(3, 3);  // grows the buffer with the window in place
  in.Add(4, 4);
  EXPECT_EQ(in.count(), 3u);
  in.FreeLE(3);
  EXPECT_EQ(in.count(), 1u);
  EXPECT_EQ(in.bytes(), 4u);
}

TEST(InflightsTest, Reset) {
  Inflights in(2, 0);
  in.Add(1, 10);
  in.Add(2, 10);
  ASSERT_TRUE(in.Full());
  in.Reset();
  EXPECT_EQ(in.count(), 0u);
  EXPECT_EQ(in.bytes(), 0u);
  EXPECT_FALSE(in.Full());
  EXPECT_TRUE(in.Add(7, 1));
  in.FreeLE(7);
  EXPECT_EQ(in.count(), 0u);
}

TEST(InflightsTest, CopiesAreIndependent) {
  Inflights in(4, 0);
  in.Add(1, 1);
  Inflights copy = in;
  copy.Add(2, 1);
  EXPECT_EQ(in.count(), 1u);
  EXPECT_EQ(copy.count(), 2u);
}

// A copy of a window that wraps around its buffer keeps every slot: freeing
// the original does not touch the copy, and the copy frees in order.
TEST(InflightsTest, CopyOfAWrappedWindow) {
  Inflights in(4, 0);
  for (uint64_t i = 1; i <= 4; ++i) in.Add(i, i);
  in.FreeLE(2);
  in.Add(5, 5);
  in.Add(6, 6);  // slots: 5 6 3 4, window starts at slot 2
  ASSERT_TRUE(in.Full());
  Inflights copy(1, 0);
  copy = in;
  in.FreeLE(6);
  EXPECT_EQ(in.count(), 0u);
  ASSERT_EQ(copy.count(), 4u);
  EXPECT_EQ(copy.capacity(), 4u);
  copy.FreeLE(4);
  EXPECT_EQ(copy.count(), 2u);
  EXPECT_EQ(copy.bytes(), 11u);
  copy.FreeLE(5);
  EXPECT_EQ(copy.bytes(), 6u);
}

// Before anything is in flight there are no slots; the limits must survive
// Reset, copies and the first Add (which allocates slots).
TEST(InflightsTest, LimitsHoldBeforeTheFirstAdd) {
  Inflights in(3, 250);
  auto expect_limits = [](const Inflights& x) {
    EXPECT_EQ(x.limit(), 3u);
    EXPECT_EQ(x.max_bytes(), 250u);
  };
  expect_limits(in);
  EXPECT_EQ(in.capacity(), 0u);
  EXPECT_EQ(in.count(), 0u);
  EXPECT_EQ(in.bytes(), 0u);
  EXPECT_FALSE(in.Full());
  in.Reset();
  in.FreeLE(100);
  expect_limits(in);
  Inflights copy = in;
  expect_limits(copy);
  EXPECT_EQ(copy.bytes(), 0u);

  ASSERT_TRUE(in.Add(1, 100));
  expect_limits(in);
  EXPECT_EQ(in.capacity(), 1u);
  EXPECT_EQ(in.bytes(), 100u);
  ASSERT_TRUE(in.Add(2, 100));
  ASSERT_TRUE(in.Add(3, 10));
  EXPECT_TRUE(in.Full());  // by count
  in.FreeLE(1);
  ASSERT_TRUE(in.Add(4, 100));
  EXPECT_TRUE(in.Full());  // by count again (210 bytes are under 250)
  in.FreeLE(4);
  expect_limits(in);
  EXPECT_EQ(in.bytes(), 0u);
  EXPECT_FALSE(in.Full());
  expect_limits(copy);  // untouched
}

// Without a byte limit (0, or the largest value, which the tracker passes
// for "none") a window needs no buffer until the first Add: an idle
// follower's costs only the object, 16 bytes on a 64-bit machine.
TEST(InflightsTest, NoByteLimit) {
  for (uint64_t none : {uint64_t{0}, std::numeric_limits<uint64_t>::max()}) {
    Inflights in(2, none);
    EXPECT_EQ(in.max_bytes(), 0u);
    EXPECT_EQ(in.limit(), 2u);
    EXPECT_EQ(in.capacity(), 0u);
    ASSERT_TRUE(in.Add(1, uint64_t{1} << 62));
    EXPECT_FALSE(in.Full());  // by bytes: there is no byte limit
    ASSERT_TRUE(in.Add(2, uint64_t{1} << 62));
    EXPECT_TRUE(in.Full());  // by count
    EXPECT_EQ(in.bytes(), uint64_t{1} << 63);
  }
  if constexpr (sizeof(void*) == 8) {
    EXPECT_EQ(sizeof(Inflights), 16u);
  }
}

// A moved-from window is empty: freeing or resetting it is harmless.
TEST(InflightsTest, MovedFromIsEmpty) {
  Inflights in(4, 100);
  ASSERT_TRUE(in.Add(1, 10));
  ASSERT_TRUE(in.Add(2, 10));
  Inflights to = std::move(in);
  EXPECT_EQ(to.count(), 2u);
  EXPECT_EQ(to.bytes(), 20u);
  EXPECT_EQ(in.count(), 0u);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(in.bytes(), 0u);
  in.FreeLE(2);
  in.Reset();
  Inflights assigned(1, 0);
  assigned = std::move(to);
  EXPECT_EQ(assigned.count(), 2u);
  EXPECT_EQ(to.count(), 0u);  // NOLINT(bugprone-use-after-move)
  to.FreeLE(5);
  assigned.FreeLE(2);
  EXPECT_EQ(assigned.count(), 0u);
  EXPECT_EQ(assigned.bytes(), 0u);
}

}  // namespace
}  // namespace craft::tracker
