#include "craft/quorum/quorum.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <vector>

#include "absl/container/btree_map.h"
#include "craft/quorum/joint.h"
#include "craft/quorum/majority.h"
#include "gtest/gtest.h"

namespace craft::quorum {

// Readable failure messages.
void PrintTo(VoteResult r, std::ostream* os) { *os << VoteResultName(r); }

namespace {

using Acks = absl::btree_map<uint64_t, uint64_t>;

// An AckedIndexer over a map (absent = unknown).
auto Lookup(const Acks& acks) {
  return [&acks](uint64_t id) -> std::optional<uint64_t> {
    auto it = acks.find(id);
    if (it == acks.end()) return std::nullopt;
    return it->second;
  };
}

TEST(MajorityConfigTest, SetOperationsKeepIdsSorted) {
  MajorityConfig c;
  EXPECT_TRUE(c.empty());
  EXPECT_TRUE(c.Insert(5));
  EXPECT_TRUE(c.Insert(1));
  EXPECT_TRUE(c.Insert(3));
  EXPECT_FALSE(c.Insert(3));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(std::vector<uint64_t>(c.begin(), c.end()),
            (std::vector<uint64_t>{1, 3, 5}));
  EXPECT_TRUE(c.Contains(3));
  EXPECT_FALSE(c.Contains(4));
  EXPECT_TRUE(c.Erase(3));
  EXPECT_FALSE(c.Erase(3));
  EXPECT_EQ(c.String(), "(1 5)");
  EXPECT_EQ(MajorityConfig().String(), "()");
  EXPECT_EQ(MajorityConfig({9, 2, 2}), MajorityConfig({2, 9}));
}

TEST(MajorityConfigTest, CommittedIndex) {
  EXPECT_EQ(MajorityConfig().CommittedIndex(Lookup({})), kInfiniteIndex);
  EXPECT_EQ(MajorityConfig({1}).CommittedIndex(Lookup({})), 0u);
  EXPECT_EQ(MajorityConfig({1}).CommittedIndex(Lookup({{1, 8}})), 8u);
  // Two voters: both must have it.
  EXPECT_EQ(MajorityConfig({1, 2}).CommittedIndex(Lookup({{1, 8}})), 0u);
  EXPECT_EQ(MajorityConfig({1, 2}).CommittedIndex(Lookup({{1, 8}, {2, 6}})),
            6u);
  // Three voters: the median.
  EXPECT_EQ(MajorityConfig({1, 2, 3}).CommittedIndex(Lookup({{1, 8}, {2, 6}})),
            6u);
  EXPECT_EQ(MajorityConfig({1, 2, 3}).CommittedIndex(
                Lookup({{1, 8}, {2, 6}, {3, 7}})),
            7u);
  // Acknowledgements of non-members do not count.
  EXPECT_EQ(MajorityConfig({1, 2, 3}).CommittedIndex(
                Lookup({{1, 8}, {4, 9}, {5, 9}})),
            0u);
}

TEST(MajorityConfigTest, CommittedIndexOfAckedIndexesIsTheLargestAMajorityHas) {
  std::mt19937_64 rng(7);
  for (size_t n = 1; n <= 11; ++n) {  // both the small and the general path
    for (int round = 0; round < 200; ++round) {
      std::vector<uint64_t> acked(n);
      for (uint64_t& a : acked) a = rng() % 6;
      // By definition: the largest index at least n/2 + 1 voters reached.
      uint64_t want = 0;
      for (uint64_t i = 0; i < 6; ++i) {
        const size_t reached = static_cast<size_t>(std::count_if(
            acked.begin(), acked.end(), [i](uint64_t a) { return a >= i; }));
        if (reached >= n / 2 + 1) want = i;
      }
      EXPECT_EQ(MajorityConfig::CommittedIndex(absl::MakeSpan(acked)), want);
    }
  }
  EXPECT_EQ(MajorityConfig::CommittedIndex(absl::Span<uint64_t>()),
            kInfiniteIndex);
}

TEST(MajorityConfigTest, Describe) {
  EXPECT_EQ(MajorityConfig().Describe(Lookup({})), "<empty majority quorum>");
  // Example of INTERACTION.md 9.2.
  EXPECT_EQ(MajorityConfig({1, 2, 3}).Describe(Lookup({{1, 7}, {3, 9}})),
            "       idx\n"
            "x>       7    (id=1)\n"
            "?        0    (id=2)\n"
            "xx>      9    (id=3)\n");
  // Equal indexes share a bare bar, whatever their rank.
  EXPECT_EQ(MajorityConfig({1, 2, 3, 4})
                .Describe(Lookup({{1, 5}, {2, 5}, {3, 123456}, {4, 3}})),
            "        idx\n"
            "x>        5    (id=1)\n"
            ">         5    (id=2)\n"
            "xxx>  123456    (id=3)\n"
            ">         3    (id=4)\n");
}

TEST(MajorityConfigTest, VoteResult) {
  EXPECT_EQ(MajorityConfig().VoteResult(VoteMap{}), kVoteWon);
  const MajorityConfig c({1, 2, 3});
  EXPECT_EQ(c.VoteResult(VoteMap{}), kVotePending);
  EXPECT_EQ(c.VoteResult(VoteMap{{1, true}}), kVotePending);
  EXPECT_EQ(c.VoteResult(VoteMap{{1, true}, {2, false}}), kVotePending);
  EXPECT_EQ(c.VoteResult(VoteMap{{1, true}, {2, true}}), kVoteWon);
  EXPECT_EQ(c.VoteResult(VoteMap{{1, false}, {2, false}}), kVoteLost);
  // Votes of non-members are ignored.
  EXPECT_EQ(c.VoteResult(VoteMap{{1, true}, {7, true}, {8, true}}),
            kVotePending);
}

TEST(QuorumTest, Names) {
  EXPECT_EQ(VoteResultName(kVotePending), "VotePending");
  EXPECT_EQ(VoteResultName(kVoteLost), "VoteLost");
  EXPECT_EQ(VoteResultName(kVoteWon), "VoteWon");
  EXPECT_EQ(IndexString(12), "12");
  EXPECT_EQ(IndexString(kInfiniteIndex), "\xE2\x88\x9E");
}

TEST(JointConfigTest, StringAndIds) {
  EXPECT_EQ(JointConfig().String(), "()");
  EXPECT_EQ(JointConfig(MajorityConfig({1, 2, 3}), MajorityConfig()).String(),
            "(1 2 3)");
  const JointConfig j(MajorityConfig({1, 2, 3}), MajorityConfig({1, 2}));
  EXPECT_EQ(j.String(), "(1 2 3)&&(1 2)");
  EXPECT_TRUE(j.IsJoint());
  EXPECT_EQ(JointConfig(MajorityConfig({1}), MajorityConfig({4, 2})).Ids(),
            MajorityConfig({1, 2, 4}));
  EXPECT_TRUE(j.Contains(3));
  EXPECT_FALSE(j.Contains(4));
}

TEST(JointConfigTest, CommittedIsMinimumOfHalves) {
  const Acks acks = {{1, 10}, {2, 20}, {3, 30}, {4, 5}};
  // An empty half behaves like the other half.
  EXPECT_EQ(JointConfig(MajorityConfig({1, 2, 3}), MajorityConfig())
                .CommittedIndex(Lookup(acks)),
            20u);
  EXPECT_EQ(JointConfig(MajorityConfig(), MajorityConfig({1, 2, 3}))
                .CommittedIndex(Lookup(acks)),
            20u);
  EXPECT_EQ(JointConfig(MajorityConfig({1, 2, 3}), MajorityConfig({3, 4}))
                .CommittedIndex(Lookup(acks)),
            5u);
  EXPECT_EQ(JointConfig().CommittedIndex(Lookup(acks)), kInfiniteIndex);
}

TEST(JointConfigTest, VoteResult) {
  const JointConfig j(MajorityConfig({1, 2}), MajorityConfig({3}));
  EXPECT_EQ(j.VoteResult(VoteMap{}), kVotePending);
  EXPECT_EQ(j.VoteResult(VoteMap{{1, true}, {2, true}}), kVotePending);
  EXPECT_EQ(j.VoteResult(VoteMap{{1, true}, {2, true}, {3, true}}), kVoteWon);
  EXPECT_EQ(j.VoteResult(VoteMap{{3, false}}), kVoteLost);
  EXPECT_EQ(j.VoteResult(VoteMap{{1, false}, {3, true}}), kVoteLost);
  EXPECT_EQ(JointConfig().VoteResult(VoteMap{}), kVoteWon);
}

// The committed index by definition: sort the acknowledged indexes (0 for
// unknown) in decreasing order; the (n/2+1)-th is on a majority.
uint64_t NaiveCommitted(const MajorityConfig& c, const Acks& acks) {
  if (c.empty()) return kInfiniteIndex;
  std::vector<uint64_t> v;
  for (uint64_t id : c) {
    auto it = acks.find(id);
    v.push_back(it == acks.end() ? 0 : it->second);
  }
  std::sort(v.begin(), v.end(), std::greater<>());
  return v[c.size() / 2];
}

// The vote result by counting.
VoteResult NaiveVote(const MajorityConfig& c, const VoteMap& votes) {
  // By convention an empty configuration wins any election (so that a
  // joint configuration with an empty half behaves like the other half).
  if (c.empty()) return kVoteWon;
  size_t yes = 0;
  size_t no = 0;
  for (uint64_t id : c) {
    auto it = votes.find(id);
    if (it == votes.end()) continue;
    (it->second ? yes : no)++;
  }
  const size_t majority = c.size() / 2 + 1;
  if (yes >= majority) return kVoteWon;
  if (no > c.size() - majority) return kVoteLost;
  return kVotePending;
}

// A random configuration of up to `max_size` voters drawn from ids 1..16
// (so that halves of a joint configuration overlap often).
MajorityConfig RandomConfig(std::mt19937_64& rng, size_t max_size) {
  MajorityConfig c;
  const size_t n = std::uniform_int_distribution<size_t>(0, max_size)(rng);
  while (c.size() < n) {
    c.Insert(std::uniform_int_distribution<uint64_t>(1, 16)(rng));
  }
  return c;
}

Acks RandomAcks(std::mt19937_64& rng) {
  Acks acks;
  // Small index ranges produce many ties.
  const uint64_t max_index = std::bernoulli_distribution(0.5)(rng) ? 5 : 1000;
  for (uint64_t id = 1; id <= 16; ++id) {
    if (std::bernoulli_distribution(0.8)(rng)) {
      acks[id] = std::uniform_int_distribution<uint64_t>(0, max_index)(rng);
    }
  }
  return acks;
}

TEST(QuorumRandomizedTest, CommittedIndexMatchesSortDefinition) {
  std::mt19937_64 rng(20190621);
  for (int iter = 0; iter < 20000; ++iter) {
    const MajorityConfig c = RandomConfig(rng, 11);
    const MajorityConfig o = RandomConfig(rng, 11);
    const Acks acks = RandomAcks(rng);
    ASSERT_EQ(c.CommittedIndex(Lookup(acks)), NaiveCommitted(c, acks))
        << "iteration " << iter << " config " << c.String();
    ASSERT_EQ(JointConfig(c, o).CommittedIndex(Lookup(acks)),
              std::min(NaiveCommitted(c, acks), NaiveCommitted(o, acks)))
        << "iteration " << iter << " config " << c.String() << "&&"
        << o.String();
  }
}

TEST(QuorumRandomizedTest, VoteResultMatchesCounting) {
  std::mt19937_64 rng(42);
  for (int iter = 0; iter < 20000; ++iter) {
    const MajorityConfig c = RandomConfig(rng, 11);
    const MajorityConfig o = RandomConfig(rng, 11);
    VoteMap votes;
    for (uint64_t id = 1; id <= 16; ++id) {
      switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
        case 0:
          votes[id] = true;
          break;
        case 1:
          votes[id] = false;
          break;
        default:
          break;  // no vote
      }
    }
    const VoteResult in = NaiveVote(c, votes);
    const VoteResult out = NaiveVote(o, votes);
    ASSERT_EQ(c.VoteResult(votes), in)
        << "iteration " << iter << " config " << c.String();
    VoteResult want = kVotePending;
    if (in == kVoteWon && out == kVoteWon) want = kVoteWon;
    if (in == kVoteLost || out == kVoteLost) want = kVoteLost;
    ASSERT_EQ(JointConfig(c, o).VoteResult(votes), want)
        << "iteration " << iter << " config " << c.String() << "&&"
        << o.String();
  }
}

}  // namespace
}  // namespace craft::quorum
