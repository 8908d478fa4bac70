#include "craft/tracker/progress.h"

#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"

namespace craft::tracker {
namespace {

Progress NewProgress(uint64_t match, uint64_t next, size_t max_inflight = 4) {
  Progress pr(match, next, Inflights(max_inflight, 0));
  pr.set_recent_active(true);
  return pr;
}

TEST(ProgressTest, StateNames) {
  EXPECT_EQ(ProgressStateName(ProgressState::kProbe), "StateProbe");
  EXPECT_EQ(ProgressStateName(ProgressState::kReplicate), "StateReplicate");
  EXPECT_EQ(ProgressStateName(ProgressState::kSnapshot), "StateSnapshot");
}

TEST(ProgressTest, String) {
  Progress pr = NewProgress(21, 22);
  pr.BecomeReplicate();
  EXPECT_EQ(pr.String(), "StateReplicate match=21 next=22");

  // The examples of INTERACTION.md 4.8.
  Progress full = NewProgress(17, 18);
  full.BecomeReplicate();
  full.SentEntries(1, 10);
  full.SentEntries(1, 10);
  full.SentEntries(1, 10);
  full.SentEntries(1, 10);
  EXPECT_EQ(full.String(),
            "StateReplicate match=17 next=22 paused inflight=4[full]");

  Progress probe(0, 18, Inflights(4, 0));
  probe.set_msg_app_flow_paused(true);
  EXPECT_EQ(probe.String(), "StateProbe match=0 next=18 paused inactive");

  Progress snap = NewProgress(0, 1);
  snap.BecomeSnapshot(21);
  EXPECT_EQ(snap.String(),
            "StateSnapshot match=0 next=22 paused pendingSnap=21");

  Progress learner(10, 11, Inflights(4, 0), /*is_learner=*/true);
  learner.set_recent_active(true);
  EXPECT_EQ(learner.String(), "StateProbe match=10 next=11 learner");

  Progress partial = NewProgress(5, 6);
  partial.BecomeReplicate();
  partial.SentEntries(2, 10);
  EXPECT_EQ(partial.String(), "StateReplicate match=5 next=8 inflight=1");
}

TEST(ProgressTest, MapString) {
  ProgressMap m;
  m.insert_or_assign(3, NewProgress(0, 5));
  m.insert_or_assign(1, NewProgress(4, 5));
  EXPECT_EQ(ProgressMapString(m),
            "1: StateProbe match=4 next=5\n"
            "3: StateProbe match=0 next=5\n");
  EXPECT_EQ(ProgressMapString(ProgressMap()), "");
}

TEST(ProgressTest, MapKeepsIdsSortedAndUnique) {
  ProgressMap m;
  for (uint64_t id : {5, 2, 9, 2}) m.insert_or_assign(id, NewProgress(id, 10));
  std::vector<uint64_t> ids;
  for (const auto& [id, pr] : m) ids.push_back(id);
  EXPECT_EQ(ids, (std::vector<uint64_t>{2, 5, 9}));
  EXPECT_EQ(m.at(2).match(), 2u) << "the second insert replaced the first";
  EXPECT_EQ(m.erase(5), 1u);
  EXPECT_EQ(m.erase(5), 0u);
  EXPECT_FALSE(m.contains(5));
  EXPECT_EQ(m.find(7), m.end());
  EXPECT_THROW(m.at(7), std::out_of_range);
}

TEST(ProgressTest, ResetStateClearsFlowControl) {
  Progress pr = NewProgress(1, 2);
  pr.BecomeReplicate();
  pr.SentEntries(1, 1);
  pr.set_msg_app_flow_paused(true);
  pr.ResetState(ProgressState::kProbe);
  EXPECT_EQ(pr.state(), ProgressState::kProbe);
  EXPECT_FALSE(pr.msg_app_flow_paused());
  EXPECT_EQ(pr.pending_snapshot(), 0u);
  EXPECT_EQ(pr.inflights().count(), 0u);
}

TEST(ProgressTest, BecomeProbe) {
  // From replicate: next goes back to match + 1.
  Progress pr = NewProgress(1, 5);
  pr.BecomeReplicate();
  pr.set_next(5);
  pr.BecomeProbe();
  EXPECT_EQ(pr.state(), ProgressState::kProbe);
  EXPECT_EQ(pr.next(), 2u);

  // From a snapshot: right after the snapshot, or match + 1 if larger.
  Progress snap = NewProgress(1, 5);
  snap.BecomeSnapshot(10);
  snap.BecomeProbe();
  EXPECT_EQ(snap.next(), 11u);
  EXPECT_EQ(snap.pending_snapshot(), 0u);

  Progress ahead = NewProgress(1, 5);
  ahead.BecomeSnapshot(10);
  ahead.set_match(15);
  ahead.BecomeProbe();
  EXPECT_EQ(ahead.next(), 16u);
}

TEST(ProgressTest, BecomeReplicateAndSnapshot) {
  Progress pr = NewProgress(1, 5);
  pr.BecomeReplicate();
  EXPECT_EQ(pr.state(), ProgressState::kReplicate);
  EXPECT_EQ(pr.next(), 2u);

  pr.BecomeSnapshot(10);
  EXPECT_EQ(pr.state(), ProgressState::kSnapshot);
  EXPECT_EQ(pr.match(), 1u);
  EXPECT_EQ(pr.next(), 11u);
  EXPECT_EQ(pr.pending_snapshot(), 10u);
  EXPECT_EQ(pr.sent_commit(), 10u);
  EXPECT_TRUE(pr.IsPaused());
}

TEST(ProgressTest, SentEntries) {
  Progress pr = NewProgress(0, 1, /*max_inflight=*/2);
  // Probe: a non-empty append pauses; an empty one does not.
  pr.SentEntries(0, 0);
  EXPECT_FALSE(pr.IsPaused());
  pr.SentEntries(3, 30);
  EXPECT_TRUE(pr.IsPaused());
  EXPECT_EQ(pr.next(), 1u);  // probing does not advance next
  EXPECT_EQ(pr.inflights().count(), 0u);

  // Replicate: next advances, the window fills, full pauses.
  pr.BecomeReplicate();
  pr.SentEntries(3, 30);
  EXPECT_EQ(pr.next(), 4u);
  EXPECT_EQ(pr.inflights().count(), 1u);
  EXPECT_FALSE(pr.IsPaused());
  pr.SentEntries(2, 20);
  EXPECT_EQ(pr.next(), 6u);
  EXPECT_TRUE(pr.inflights().Full());
  EXPECT_TRUE(pr.IsPaused());
  // An empty append to a full window keeps it paused.
  pr.SentEntries(0, 0);
  EXPECT_TRUE(pr.IsPaused());

  // Snapshot: ignored.
  pr.BecomeSnapshot(9);
  pr.SentEntries(5, 5);
  EXPECT_EQ(pr.next(), 10u);
}

TEST(ProgressTest, MaybeUpdate) {
  Progress pr = NewProgress(3, 6);
  pr.set_msg_app_flow_paused(true);
  EXPECT_FALSE(pr.MaybeUpdate(2));  // stale
  EXPECT_FALSE(pr.MaybeUpdate(3));  // stale
  EXPECT_TRUE(pr.msg_app_flow_paused());
  EXPECT_TRUE(pr.MaybeUpdate(4));
  EXPECT_EQ(pr.match(), 4u);
  EXPECT_EQ(pr.next(), 6u);  // next does not go back
  EXPECT_FALSE(pr.msg_app_flow_paused());
  EXPECT_TRUE(pr.MaybeUpdate(8));
  EXPECT_EQ(pr.match(), 8u);
  EXPECT_EQ(pr.next(), 9u);  // match < next
}

TEST(ProgressTest, MaybeDecrToInReplicate) {
  Progress pr = NewProgress(5, 6);
  pr.BecomeReplicate();
  pr.SentEntries(4, 4);  // next = 10
  pr.SentCommit(8);
  EXPECT_FALSE(pr.MaybeDecrTo(5, 5));  // at or below match: stale
  EXPECT_FALSE(pr.MaybeDecrTo(4, 4));
  EXPECT_EQ(pr.next(), 10u);
  EXPECT_TRUE(pr.MaybeDecrTo(9, 7));
  EXPECT_EQ(pr.next(), 6u);  // back to match + 1, whatever the hint
  EXPECT_EQ(pr.sent_commit(), 5u);
}

TEST(ProgressTest, MaybeDecrToInProbe) {
  Progress pr = NewProgress(0, 10);
  pr.set_msg_app_flow_paused(true);
  // Only a rejection of next - 1 counts.
  EXPECT_FALSE(pr.MaybeDecrTo(5, 0));
  EXPECT_EQ(pr.next(), 10u);
  EXPECT_TRUE(pr.msg_app_flow_paused());
  // Lowered to the hint + 1...
  EXPECT_TRUE(pr.MaybeDecrTo(9, 3));
  EXPECT_EQ(pr.next(), 4u);
  EXPECT_FALSE(pr.msg_app_flow_paused());
  // ...never above the rejected index...
  EXPECT_TRUE(pr.MaybeDecrTo(3, 100));
  EXPECT_EQ(pr.next(), 3u);
  // ...and never to or below match.
  pr.set_match(1);
  EXPECT_TRUE(pr.MaybeDecrTo(2, 0));
  EXPECT_EQ(pr.next(), 2u);
}

TEST(ProgressTest, IsPaused) {
  Progress pr = NewProgress(0, 1);
  EXPECT_FALSE(pr.IsPaused());
  pr.set_msg_app_flow_paused(true);
  EXPECT_TRUE(pr.IsPaused());
  pr.BecomeReplicate();
  EXPECT_FALSE(pr.IsPaused());
  pr.set_msg_app_flow_paused(true);
  EXPECT_TRUE(pr.IsPaused());
  pr.BecomeSnapshot(5);
  EXPECT_FALSE(pr.msg_app_flow_paused());
  EXPECT_TRUE(pr.IsPaused());
}

TEST(ProgressTest, CommitTracking) {
  Progress pr = NewProgress(5, 10);
  EXPECT_TRUE(pr.CanBumpCommit(3));
  pr.SentCommit(7);
  EXPECT_FALSE(pr.CanBumpCommit(7));  // already sent
  EXPECT_TRUE(pr.CanBumpCommit(8));
  pr.SentCommit(9);
  // The follower cannot commit past next - 1 = 9 anyway.
  EXPECT_FALSE(pr.CanBumpCommit(20));
  // Probing from match + 1 regresses what counts as sent.
  pr.BecomeProbe();
  EXPECT_EQ(pr.next(), 6u);
  EXPECT_EQ(pr.sent_commit(), 5u);
  EXPECT_FALSE(pr.CanBumpCommit(20));
}

}  // namespace
}  // namespace craft::tracker
