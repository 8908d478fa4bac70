#include "craft/tracker/tracker.h"

#include <vector>

#include "gtest/gtest.h"

namespace craft::tracker {
namespace {

using quorum::MajorityConfig;

// A tracker with the given voters (incoming, outgoing) and learners, each
// with a progress whose match is `match(id)`.
ProgressTracker MakeTracker(MajorityConfig incoming, MajorityConfig outgoing,
                            std::vector<uint64_t> learners = {}) {
  ProgressTracker trk(8, 0);
  TrackerConfig cfg;
  cfg.voters = quorum::JointConfig(incoming, outgoing);
  ProgressMap progress;
  for (uint64_t id : cfg.voters.Ids()) {
    progress.insert_or_assign(id, Progress(0, 1, Inflights(8, 0)));
  }
  for (uint64_t id : learners) {
    cfg.learners.insert(id);
    progress.insert_or_assign(id, Progress(0, 1, Inflights(8, 0), true));
  }
  trk.SetConfig(cfg, progress);
  return trk;
}

TEST(TrackerConfigTest, String) {
  TrackerConfig cfg;
  EXPECT_EQ(cfg.String(), "voters=()");
  cfg.voters =
      quorum::JointConfig(MajorityConfig({1, 2, 3}), MajorityConfig({1, 2, 4}));
  EXPECT_EQ(cfg.String(), "voters=(1 2 3)&&(1 2 4)");
  cfg.learners = {6, 5};
  cfg.learners_next = {4};
  cfg.auto_leave = true;
  EXPECT_EQ(cfg.String(),
            "voters=(1 2 3)&&(1 2 4) learners=(5 6) learners_next=(4) "
            "autoleave");
}

TEST(ProgressTrackerTest, ConfStateAndNodes) {
  ProgressTracker trk =
      MakeTracker(MajorityConfig({3, 1, 2}), MajorityConfig({2, 4}), {7, 5});
  raftpb::ConfState cs = trk.ConfState();
  EXPECT_EQ(std::vector<uint64_t>(cs.voters().begin(), cs.voters().end()),
            (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(std::vector<uint64_t>(cs.voters_outgoing().begin(),
                                  cs.voters_outgoing().end()),
            (std::vector<uint64_t>{2, 4}));
  EXPECT_EQ(std::vector<uint64_t>(cs.learners().begin(), cs.learners().end()),
            (std::vector<uint64_t>{5, 7}));
  EXPECT_TRUE(cs.learners_next().empty());
  EXPECT_TRUE(cs.has_auto_leave());
  EXPECT_FALSE(cs.auto_leave());
  EXPECT_EQ(trk.VoterNodes(), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(trk.LearnerNodes(), (std::vector<uint64_t>{5, 7}));
}

TEST(ProgressTrackerTest, IsSingleton) {
  EXPECT_TRUE(MakeTracker(MajorityConfig({1}), MajorityConfig()).IsSingleton());
  EXPECT_TRUE(
      MakeTracker(MajorityConfig({1}), MajorityConfig(), {2}).IsSingleton());
  EXPECT_FALSE(
      MakeTracker(MajorityConfig({1, 2}), MajorityConfig()).IsSingleton());
  EXPECT_FALSE(
      MakeTracker(MajorityConfig({1}), MajorityConfig({1})).IsSingleton());
  EXPECT_FALSE(MakeTracker(MajorityConfig(), MajorityConfig()).IsSingleton());
}

TEST(ProgressTrackerTest, CommittedUsesVotersMatch) {
  ProgressTracker trk =
      MakeTracker(MajorityConfig({1, 2, 3}), MajorityConfig(), {4});
  trk.GetProgress(1)->MaybeUpdate(10);
  trk.GetProgress(2)->MaybeUpdate(7);
  trk.GetProgress(4)->MaybeUpdate(50);  // learners do not count
  EXPECT_EQ(trk.Committed(), 7u);
  trk.GetProgress(3)->MaybeUpdate(12);
  EXPECT_EQ(trk.Committed(), 10u);

  ProgressTracker joint =
      MakeTracker(MajorityConfig({1, 2, 3}), MajorityConfig({3, 4, 5}));
  for (uint64_t id : {1, 2, 3}) joint.GetProgress(id)->MaybeUpdate(20);
  EXPECT_EQ(joint.Committed(), 0u);
  joint.GetProgress(4)->MaybeUpdate(15);
  EXPECT_EQ(joint.Committed(), 15u);

  EXPECT_EQ(ProgressTracker(1, 0).Committed(), quorum::kInfiniteIndex);
}

TEST(ProgressTrackerTest, VisitInAscendingOrder) {
  ProgressTracker trk =
      MakeTracker(MajorityConfig({9, 3, 7}), MajorityConfig({1}), {5});
  std::vector<uint64_t> seen;
  trk.Visit([&](uint64_t id, Progress& pr) {
    seen.push_back(id);
    pr.set_recent_active(true);
  });
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 3, 5, 7, 9}));
  const ProgressTracker& ctrk = trk;
  seen.clear();
  ctrk.Visit([&](uint64_t id, const Progress& pr) {
    EXPECT_TRUE(pr.recent_active());
    seen.push_back(id);
  });
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(trk.GetProgress(2), nullptr);
}

TEST(ProgressTrackerTest, QuorumActive) {
  ProgressTracker trk =
      MakeTracker(MajorityConfig({1, 2, 3}), MajorityConfig(), {4, 5});
  EXPECT_FALSE(trk.QuorumActive());
  trk.GetProgress(1)->set_recent_active(true);
  // Active learners do not make a quorum.
  trk.GetProgress(4)->set_recent_active(true);
  trk.GetProgress(5)->set_recent_active(true);
  EXPECT_FALSE(trk.QuorumActive());
  trk.GetProgress(3)->set_recent_active(true);
  EXPECT_TRUE(trk.QuorumActive());

  // Joint: both halves need a quorum.
  ProgressTracker joint =
      MakeTracker(MajorityConfig({1, 2, 3}), MajorityConfig({4, 5, 6}));
  for (uint64_t id : {1, 2, 3, 4}) {
    joint.GetProgress(id)->set_recent_active(true);
  }
  EXPECT_FALSE(joint.QuorumActive());
  joint.GetProgress(6)->set_recent_active(true);
  EXPECT_TRUE(joint.QuorumActive());
}

TEST(ProgressTrackerTest, Votes) {
  ProgressTracker trk =
      MakeTracker(MajorityConfig({1, 2, 3, 4, 5}), MajorityConfig(), {6});
  trk.RecordVote(1, true);
  trk.RecordVote(2, false);
  trk.RecordVote(2, true);  // only the first vote counts
  trk.RecordVote(6, true);  // a learner: recorded but not counted
  trk.RecordVote(9, true);  // not a member
  VoteTally t = trk.TallyVotes();
  EXPECT_EQ(t.granted, 1u);
  EXPECT_EQ(t.rejected, 1u);
  EXPECT_EQ(t.result, quorum::kVotePending);
  trk.RecordVote(3, true);
  trk.RecordVote(4, true);
  t = trk.TallyVotes();
  EXPECT_EQ(t.granted, 3u);
  EXPECT_EQ(t.result, quorum::kVoteWon);

  trk.ResetVotes();
  EXPECT_TRUE(trk.votes().empty());
  for (uint64_t id : {1, 2, 3}) trk.RecordVote(id, false);
  t = trk.TallyVotes();
  EXPECT_EQ(t.granted, 0u);
  EXPECT_EQ(t.rejected, 3u);
  EXPECT_EQ(t.result, quorum::kVoteLost);
}

}  // namespace
}  // namespace craft::tracker
