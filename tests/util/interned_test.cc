#include "util/interned.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace craft {
namespace {

TEST(InternedTest, EqualValuesShareOneCopy) {
  Interned<std::string> a(std::string("election=10"));
  Interned<std::string> b(std::string("election=10"));
  Interned<std::string> c(std::string("election=20"));
  EXPECT_EQ(&*a, &*b);
  EXPECT_NE(&*a, &*c);
  EXPECT_EQ(*a, "election=10");
  EXPECT_EQ(*c, "election=20");
  EXPECT_EQ(a->size(), 11u);
}

TEST(InternedTest, CopiesAndAssignmentsKeepTheValueAlive) {
  std::vector<Interned<std::string>> held;
  {
    Interned<std::string> first(std::string("kept"));
    held.push_back(first);
    held.push_back(first);
  }
  // The original handle is gone; the copies still read the value.
  EXPECT_EQ(*held[0], "kept");
  Interned<std::string> other(std::string("other"));
  held[1] = other;
  EXPECT_EQ(*held[1], "other");
  held[0] = held[0];  // self-assignment keeps it
  EXPECT_EQ(*held[0], "kept");
  held.clear();
  // Every handle of "kept" is gone: interning it again yields a live copy.
  Interned<std::string> again(std::string("kept"));
  EXPECT_EQ(*again, "kept");
}

TEST(InternedTest, HandlesMadeOnManyThreadsAgree) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::vector<const std::string*> seen(kThreads);
  std::vector<std::thread> threads;
  Interned<std::string> anchor(std::string("shared"));
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < kRounds; ++i) {
        Interned<std::string> h(std::string("shared"));
        Interned<std::string> transient(std::string("transient"));
        seen[t] = &*h;
        if (*transient != "transient") seen[t] = nullptr;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const std::string* p : seen) EXPECT_EQ(p, &*anchor);
}

}  // namespace
}  // namespace craft
