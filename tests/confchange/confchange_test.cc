#include "craft/confchange/confchange.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "craft/confchange/conversions.h"
#include "gtest/gtest.h"

namespace craft::confchange {
namespace {

std::vector<raftpb::ConfChangeSingle> Changes(const std::string& s) {
  absl::StatusOr<std::vector<raftpb::ConfChangeSingle>> ccs =
      ParseConfChanges(s);
  EXPECT_TRUE(ccs.ok()) << ccs.status();
  return ccs.ok() ? *ccs : std::vector<raftpb::ConfChangeSingle>{};
}

// Applies a change to `trk` on success, as raft does.
enum class Op { kSimple, kEnterJoint, kEnterJointAuto, kLeaveJoint };

absl::Status Apply(tracker::ProgressTracker& trk, uint64_t last_index, Op op,
                   const std::string& changes = "") {
  const Changer changer(trk, last_index);
  absl::StatusOr<ChangeResult> r;
  switch (op) {
    case Op::kSimple:
      r = changer.Simple(Changes(changes));
      break;
    case Op::kEnterJoint:
      r = changer.EnterJoint(false, Changes(changes));
      break;
    case Op::kEnterJointAuto:
      r = changer.EnterJoint(true, Changes(changes));
      break;
    case Op::kLeaveJoint:
      r = changer.LeaveJoint();
      break;
  }
  if (!r.ok()) return r.status();
  trk.SetConfig(r->config, r->progress);
  return absl::OkStatus();
}

std::string State(const tracker::ProgressTracker& trk) {
  return trk.config().String() + "\n" +
         tracker::ProgressMapString(trk.progress());
}

TEST(ChangerTest, SimpleAddsAndDemotes) {
  tracker::ProgressTracker trk(10, 0);
  ASSERT_TRUE(Apply(trk, 0, Op::kSimple, "v1").ok());
  ASSERT_TRUE(Apply(trk, 5, Op::kSimple, "v2 l3").ok());
  EXPECT_EQ(State(trk),
            "voters=(1 2) learners=(3)\n"
            "1: StateProbe match=0 next=1\n"
            "2: StateProbe match=0 next=5\n"
            "3: StateProbe match=0 next=5 learner\n");
  // Demoting a voter keeps its progress.
  trk.GetProgress(2)->MaybeUpdate(4);
  ASSERT_TRUE(Apply(trk, 6, Op::kSimple, "l2").ok());
  EXPECT_EQ(State(trk),
            "voters=(1) learners=(2 3)\n"
            "1: StateProbe match=0 next=1\n"
            "2: StateProbe match=4 next=5 learner\n"
            "3: StateProbe match=0 next=5 learner\n");
  // New progress is recently active and uses the tracker's window size.
  ASSERT_TRUE(Apply(trk, 7, Op::kSimple, "v9").ok());
  EXPECT_TRUE(trk.GetProgress(9)->recent_active());
  EXPECT_EQ(trk.GetProgress(9)->inflights().limit(), 10u);
}

TEST(ChangerTest, ProtoRepeatedFieldOverloads) {
  tracker::ProgressTracker trk(10, 0);
  raftpb::ConfChangeV2 cc;
  raftpb::ConfChangeSingle* s = cc.add_changes();
  s->set_type(raftpb::ConfChangeAddNode);
  s->set_node_id(1);
  absl::StatusOr<ChangeResult> r = Changer(trk, 1).Simple(cc.changes());
  ASSERT_TRUE(r.ok()) << r.status();
  trk.SetConfig(r->config, r->progress);
  s->set_node_id(2);
  cc.add_changes()->set_node_id(3);  // type defaults to AddNode
  r = Changer(trk, 1).EnterJoint(true, cc.changes());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.String(), "voters=(1 2 3)&&(1) autoleave");
}

TEST(ChangerTest, ErrorsLeaveStateUnchanged) {
  tracker::ProgressTracker trk(10, 0);
  // Errors on the empty configuration.
  EXPECT_EQ(Apply(trk, 0, Op::kLeaveJoint).message(),
            "can't leave a non-joint config");
  EXPECT_EQ(Apply(trk, 0, Op::kEnterJoint, "v1").message(),
            "can't make a zero-voter config joint");
  EXPECT_EQ(Apply(trk, 0, Op::kSimple, "v1 v2").message(),
            "more than one voter changed without entering joint config");
  EXPECT_EQ(Apply(trk, 0, Op::kSimple, "l1").message(), "removed all voters");
  EXPECT_EQ(State(trk), "voters=()\n");

  ASSERT_TRUE(Apply(trk, 1, Op::kSimple, "v1").ok());
  ASSERT_TRUE(Apply(trk, 2, Op::kSimple, "v2").ok());
  ASSERT_TRUE(Apply(trk, 3, Op::kSimple, "l3").ok());
  const std::string plain = State(trk);
  struct Case {
    Op op;
    std::string changes;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {Op::kSimple, "r1 r2", "removed all voters"},
           {Op::kSimple, "l1 l2", "removed all voters"},
           {Op::kSimple, "r1 v4",
            "more than one voter changed without "
            "entering joint config"},
           {Op::kSimple, "v3 v4",
            "more than one voter changed without "
            "entering joint config"},
           {Op::kLeaveJoint, "", "can't leave a non-joint config"},
           {Op::kEnterJoint, "r1 r2", "removed all voters"},
       }) {
    EXPECT_EQ(Apply(trk, 4, c.op, c.changes).message(), c.error) << c.changes;
    EXPECT_EQ(State(trk), plain) << c.changes;
  }

  ASSERT_TRUE(Apply(trk, 5, Op::kEnterJointAuto, "r1 v4 l2").ok());
  const std::string joint = State(trk);
  EXPECT_EQ(joint,
            "voters=(4)&&(1 2) learners=(3) learners_next=(2) autoleave\n"
            "1: StateProbe match=0 next=1\n"
            "2: StateProbe match=0 next=2\n"
            "3: StateProbe match=0 next=3 learner\n"
            "4: StateProbe match=0 next=5\n");
  for (const Case& c : std::vector<Case>{
           {Op::kSimple, "v5",
            "can't apply simple config change in joint "
            "config"},
           {Op::kEnterJoint, "", "config is already joint"},
           {Op::kEnterJointAuto, "v6", "config is already joint"},
       }) {
    EXPECT_EQ(Apply(trk, 6, c.op, c.changes).message(), c.error) << c.changes;
    EXPECT_EQ(State(trk), joint) << c.changes;
  }

  // Leaving turns staged learners into learners and drops members that
  // were only in the outgoing half.
  ASSERT_TRUE(Apply(trk, 7, Op::kLeaveJoint).ok());
  EXPECT_EQ(State(trk),
            "voters=(4) learners=(2 3)\n"
            "2: StateProbe match=0 next=2 learner\n"
            "3: StateProbe match=0 next=3 learner\n"
            "4: StateProbe match=0 next=5\n");
}

TEST(ChangerTest, RejectsTrackerBreakingInvariants) {
  tracker::ProgressTracker trk(10, 0);
  tracker::TrackerConfig cfg;
  cfg.voters.mutable_incoming()->Insert(1);
  cfg.voters.mutable_incoming()->Insert(3);
  tracker::ProgressMap progress;
  progress.insert_or_assign(1,
                            tracker::Progress(0, 1, tracker::Inflights(1, 0)));
  trk.SetConfig(cfg, progress);
  absl::StatusOr<ChangeResult> r = Changer(trk, 0).Simple(Changes(""));
  EXPECT_EQ(r.status().message(), "no progress for 3");

  // A learner that is also a voter.
  progress.insert_or_assign(3, tracker::Progress(0, 1, tracker::Inflights(1, 0),
                                                 /*is_learner=*/true));
  cfg.learners.insert(3);
  trk.SetConfig(cfg, progress);
  r = Changer(trk, 0).Simple(Changes(""));
  EXPECT_EQ(r.status().message(), "3 is in Learners and Voters[0]");

  // A learner whose progress is not marked as one.
  cfg.voters.mutable_incoming()->Erase(3);
  progress.insert_or_assign(3,
                            tracker::Progress(0, 1, tracker::Inflights(1, 0)));
  trk.SetConfig(cfg, progress);
  r = Changer(trk, 0).Simple(Changes(""));
  EXPECT_EQ(r.status().message(),
            "3 is in Learners, but is not marked as learner");

  // A staged learner outside a joint configuration.
  cfg.learners.clear();
  cfg.learners_next.insert(3);
  trk.SetConfig(cfg, progress);
  r = Changer(trk, 0).Simple(Changes(""));
  EXPECT_EQ(r.status().message(), "3 is in LearnersNext, but not Voters[1]");

  // Auto-leave outside a joint configuration.
  cfg.learners_next.clear();
  cfg.auto_leave = true;
  trk.SetConfig(cfg, progress);
  r = Changer(trk, 0).Simple(Changes(""));
  EXPECT_EQ(r.status().message(), "AutoLeave must be false when not joint");
}

TEST(ChangerTest, NodeZeroAndUpdatesAreIgnored) {
  tracker::ProgressTracker trk(10, 0);
  ASSERT_TRUE(Apply(trk, 0, Op::kSimple, "v0 v1 l0 r0 u0 u1 u7").ok());
  EXPECT_EQ(State(trk), "voters=(1)\n1: StateProbe match=0 next=1\n");
}

TEST(ChangerTest, RemovingAnOutgoingVoterKeepsItsProgressUntilLeave) {
  tracker::ProgressTracker trk(10, 0);
  ASSERT_TRUE(Apply(trk, 0, Op::kSimple, "v1").ok());
  ASSERT_TRUE(Apply(trk, 0, Op::kSimple, "v2").ok());
  trk.GetProgress(2)->MaybeUpdate(9);
  ASSERT_TRUE(Apply(trk, 10, Op::kEnterJoint, "r2 v3").ok());
  ASSERT_NE(trk.GetProgress(2), nullptr);
  EXPECT_EQ(trk.GetProgress(2)->match(), 9u);
  // Re-adding it while joint reuses that progress.
  ASSERT_TRUE(Apply(trk, 0, Op::kLeaveJoint).ok());
  EXPECT_EQ(trk.GetProgress(2), nullptr);
  EXPECT_EQ(trk.config().String(), "voters=(1 3)");
}

}  // namespace
}  // namespace craft::confchange
