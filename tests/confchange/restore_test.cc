#include <algorithm>
#include <random>
#include <vector>

#include "craft/confchange/confchange.h"
#include "craft/describe.h"
#include "gtest/gtest.h"

namespace craft::confchange {
namespace {

raftpb::ConfState MakeConfState(std::vector<uint64_t> voters,
                                std::vector<uint64_t> learners,
                                std::vector<uint64_t> outgoing,
                                std::vector<uint64_t> learners_next,
                                bool auto_leave) {
  raftpb::ConfState cs;
  for (uint64_t id : voters) cs.add_voters(id);
  for (uint64_t id : learners) cs.add_learners(id);
  for (uint64_t id : outgoing) cs.add_voters_outgoing(id);
  for (uint64_t id : learners_next) cs.add_learners_next(id);
  cs.set_auto_leave(auto_leave);
  return cs;
}

// The ConfState with every list sorted, as a tracker reports it.
raftpb::ConfState Sorted(raftpb::ConfState cs) {
  for (auto* list :
       {cs.mutable_voters(), cs.mutable_learners(),
        cs.mutable_voters_outgoing(), cs.mutable_learners_next()}) {
    std::sort(list->begin(), list->end());
  }
  cs.set_auto_leave(cs.auto_leave());
  return cs;
}

absl::StatusOr<ChangeResult> RestoreFresh(const raftpb::ConfState& cs,
                                          uint64_t last_index = 10) {
  tracker::ProgressTracker trk(20, 0);
  return Restore(Changer(trk, last_index), cs);
}

TEST(RestoreTest, EmptyConfState) {
  absl::StatusOr<ChangeResult> r = RestoreFresh(raftpb::ConfState());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.String(), "voters=()");
  EXPECT_TRUE(r->progress.empty());
}

TEST(RestoreTest, PlainConfiguration) {
  absl::StatusOr<ChangeResult> r =
      RestoreFresh(MakeConfState({3, 1, 2}, {5, 4}, {}, {}, false));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.String(), "voters=(1 2 3) learners=(4 5)");
  EXPECT_EQ(tracker::ProgressMapString(r->progress),
            "1: StateProbe match=0 next=10\n"
            "2: StateProbe match=0 next=10\n"
            "3: StateProbe match=0 next=10\n"
            "4: StateProbe match=0 next=10 learner\n"
            "5: StateProbe match=0 next=10 learner\n");
}

TEST(RestoreTest, JointConfiguration) {
  // 1 and 2 stay, 3 joins, 4 and 6 leave, and 4 is demoted (staged); 5 is a
  // plain learner.
  const raftpb::ConfState cs =
      MakeConfState({1, 2, 3}, {5}, {1, 2, 4, 6}, {4}, true);
  absl::StatusOr<ChangeResult> r = RestoreFresh(cs);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.String(),
            "voters=(1 2 3)&&(1 2 4 6) learners=(5) learners_next=(4) "
            "autoleave");
  EXPECT_EQ(r->progress.size(), 6u);
  EXPECT_FALSE(r->progress.at(4).is_learner());
  EXPECT_TRUE(r->progress.at(5).is_learner());

  tracker::ProgressTracker trk(20, 0);
  trk.SetConfig(r->config, r->progress);
  EXPECT_EQ(DescribeConfState(trk.ConfState()), DescribeConfState(Sorted(cs)));
}

TEST(RestoreTest, LaterEntriesWin) {
  // Restore replays the lists as changes, in order: an id listed both as a
  // voter and as a learner ends up a learner (a demotion), as in etcd.
  absl::StatusOr<ChangeResult> r =
      RestoreFresh(MakeConfState({1, 2}, {2}, {}, {}, false));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.String(), "voters=(1) learners=(2)");
}

TEST(RestoreTest, InvalidConfStates) {
  // Learners but no voters.
  EXPECT_FALSE(RestoreFresh(MakeConfState({}, {2}, {}, {}, false)).ok());
  // A joint configuration without incoming voters.
  EXPECT_EQ(
      RestoreFresh(MakeConfState({}, {}, {1}, {}, false)).status().message(),
      "removed all voters");
}

// A random valid ConfState: voters, learners and demoted voters drawn from
// disjoint ids; the outgoing half keeps some voters and adds the demoted
// ones; some of those are staged as learners.
raftpb::ConfState RandomConfState(std::mt19937_64& rng) {
  auto uniform = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const int n_voters = uniform(1, 6);
  const int n_learners = uniform(0, 4);
  const int n_removed = uniform(0, 3);
  std::vector<uint64_t> ids(2 * (n_voters + n_learners + n_removed));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = i + 1;
  std::shuffle(ids.begin(), ids.end(), rng);
  auto take = [&ids](int n) {
    std::vector<uint64_t> out(ids.begin(), ids.begin() + n);
    ids.erase(ids.begin(), ids.begin() + n);
    return out;
  };
  const std::vector<uint64_t> voters = take(n_voters);
  const std::vector<uint64_t> learners = take(n_learners);
  const std::vector<uint64_t> removed = take(n_removed);
  std::vector<uint64_t> outgoing;
  std::vector<uint64_t> learners_next;
  const int retained = uniform(0, n_voters);
  if (retained > 0 || n_removed > 0) {
    outgoing.assign(voters.begin(), voters.begin() + retained);
    outgoing.insert(outgoing.end(), removed.begin(), removed.end());
    learners_next.assign(removed.begin(),
                         removed.begin() + uniform(0, n_removed));
  }
  const bool auto_leave = !outgoing.empty() && uniform(0, 1) == 1;
  return MakeConfState(voters, learners, outgoing, learners_next, auto_leave);
}

TEST(RestoreRandomizedTest, RoundTrips) {
  std::mt19937_64 rng(0x5eed);
  for (int iter = 0; iter < 5000; ++iter) {
    const raftpb::ConfState cs = RandomConfState(rng);
    const uint64_t last_index =
        std::uniform_int_distribution<uint64_t>(0, 100)(rng);
    absl::StatusOr<ChangeResult> r = RestoreFresh(cs, last_index);
    ASSERT_TRUE(r.ok()) << r.status() << " for " << DescribeConfState(cs);

    tracker::ProgressTracker trk(20, 0);
    trk.SetConfig(r->config, r->progress);
    ASSERT_EQ(DescribeConfState(trk.ConfState()), DescribeConfState(Sorted(cs)))
        << "iteration " << iter;
    // Every member has a progress, marked as learner exactly for learners.
    size_t members = 0;
    for (const auto& [id, pr] : trk.progress()) {
      const bool learner = trk.config().learners.contains(id);
      ASSERT_EQ(pr.is_learner(), learner) << "id " << id;
      ASSERT_EQ(pr.next(), std::max<uint64_t>(last_index, 1));
      ++members;
    }
    ASSERT_EQ(members, trk.VoterNodes().size() + trk.LearnerNodes().size());

    // Restoring the tracker's own ConfState gives the same configuration.
    absl::StatusOr<ChangeResult> again = RestoreFresh(trk.ConfState());
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_EQ(again->config, trk.config());
  }
}

}  // namespace
}  // namespace craft::confchange
