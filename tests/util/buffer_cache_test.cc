#include "util/buffer_cache.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace craft {
namespace {

// Each test runs on a fresh thread, so that it starts with an empty cache.
template <typename Fn>
void OnFreshThread(Fn fn) {
  std::thread t(fn);
  t.join();
}

TEST(BufferCacheTest, GivenBuffersComeBackEmptyWithTheirCapacity) {
  OnFreshThread([] {
    EXPECT_EQ(BufferCache<int>::Take().capacity(), 0u);
    std::vector<int> v = {1, 2, 3};
    v.reserve(100);
    const int* data = v.data();
    BufferCache<int>::Give(v);
    EXPECT_TRUE(v.empty());
    EXPECT_EQ(v.capacity(), 0u) << "the giver keeps nothing";
    std::vector<int> again = BufferCache<int>::Take();
    EXPECT_TRUE(again.empty());
    EXPECT_EQ(again.data(), data);
    EXPECT_EQ(BufferCache<int>::Take().capacity(), 0u);
  });
}

TEST(BufferCacheTest, KeepsFewBuffersAndNoLargeOnes) {
  OnFreshThread([] {
    std::vector<int> large;
    large.reserve(100000);
    BufferCache<int>::Give(large);
    EXPECT_EQ(BufferCache<int>::Take().capacity(), 0u) << "not hoarded";
    for (int i = 0; i < 20; ++i) {
      std::vector<int> v;
      v.reserve(8);
      BufferCache<int>::Give(v);
    }
    int kept = 0;
    while (BufferCache<int>::Take().capacity() != 0) ++kept;
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, 20);
  });
}

TEST(BufferCacheTest, ReserveTakesACachedBufferOrMakesRoom) {
  OnFreshThread([] {
    std::vector<int> v;
    BufferCache<int>::Reserve(v);
    EXPECT_GE(v.capacity(), 2u);
    std::vector<int> cached;
    cached.reserve(50);
    const int* data = cached.data();
    BufferCache<int>::Give(cached);
    std::vector<int> w;
    BufferCache<int>::Reserve(w);
    EXPECT_EQ(w.data(), data);
    std::vector<int> has = {7};
    const int* own = has.data();
    BufferCache<int>::Reserve(has);
    EXPECT_EQ(has.data(), own) << "a buffer in use is left alone";
  });
}

TEST(BufferCacheTest, MoveIntoAppendsAndLeavesTheSourceWithoutBuffer) {
  OnFreshThread([] {
    std::vector<int> from = {1, 2};
    std::vector<int> to;
    BufferCache<int>::MoveInto(from, &to);
    EXPECT_EQ(to, (std::vector<int>{1, 2}));
    EXPECT_EQ(from.capacity(), 0u);
    from = {3};
    BufferCache<int>::MoveInto(from, &to);
    EXPECT_EQ(to, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(from.capacity(), 0u);
  });
}

}  // namespace
}  // namespace craft
