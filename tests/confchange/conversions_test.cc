#include "craft/confchange/conversions.h"

#include <string>

#include "craft/describe.h"
#include "gtest/gtest.h"

namespace craft::confchange {
namespace {

raftpb::ConfChangeV2 V2(raftpb::ConfChangeTransition transition, int changes) {
  raftpb::ConfChangeV2 cc;
  cc.set_transition(transition);
  for (int i = 0; i < changes; ++i) {
    raftpb::ConfChangeSingle* s = cc.add_changes();
    s->set_type(raftpb::ConfChangeAddNode);
    s->set_node_id(i + 1);
  }
  return cc;
}

TEST(ConversionsTest, AsV2) {
  raftpb::ConfChange v1;
  v1.set_type(raftpb::ConfChangeAddLearnerNode);
  v1.set_node_id(7);
  v1.set_context("ctx");
  v1.set_id(99);
  raftpb::ConfChangeV2 v2 = AsV2(v1);
  EXPECT_EQ(v2.transition(), raftpb::ConfChangeTransitionAuto);
  ASSERT_EQ(v2.changes_size(), 1);
  EXPECT_EQ(v2.changes(0).type(), raftpb::ConfChangeAddLearnerNode);
  EXPECT_EQ(v2.changes(0).node_id(), 7u);
  EXPECT_EQ(v2.context(), "ctx");
  EXPECT_FALSE(EnterJoint(v2));
  EXPECT_FALSE(LeaveJoint(v2));

  raftpb::ConfChange bare;
  EXPECT_FALSE(AsV2(bare).has_context());
}

TEST(ConversionsTest, EnterAndLeaveJoint) {
  bool auto_leave = false;
  // Auto: joint only with several changes, then left automatically.
  EXPECT_FALSE(EnterJoint(V2(raftpb::ConfChangeTransitionAuto, 0)));
  EXPECT_FALSE(EnterJoint(V2(raftpb::ConfChangeTransitionAuto, 1)));
  EXPECT_TRUE(EnterJoint(V2(raftpb::ConfChangeTransitionAuto, 2), &auto_leave));
  EXPECT_TRUE(auto_leave);
  // Implicit and explicit transitions always enter a joint configuration.
  EXPECT_TRUE(EnterJoint(V2(raftpb::ConfChangeTransitionJointImplicit, 1),
                         &auto_leave));
  EXPECT_TRUE(auto_leave);
  EXPECT_TRUE(EnterJoint(V2(raftpb::ConfChangeTransitionJointExplicit, 0),
                         &auto_leave));
  EXPECT_FALSE(auto_leave);

  raftpb::ConfChangeV2 leave = V2(raftpb::ConfChangeTransitionAuto, 0);
  EXPECT_TRUE(LeaveJoint(leave));
  leave.set_context("anything");
  EXPECT_TRUE(LeaveJoint(leave));
  EXPECT_FALSE(LeaveJoint(V2(raftpb::ConfChangeTransitionAuto, 1)));
  EXPECT_FALSE(LeaveJoint(V2(raftpb::ConfChangeTransitionJointExplicit, 0)));
}

TEST(ConversionsTest, ParseConfChanges) {
  absl::StatusOr<std::vector<raftpb::ConfChangeSingle>> ccs =
      ParseConfChanges("  v1 l2 r3 u4 v18446744073709551615\n");
  ASSERT_TRUE(ccs.ok()) << ccs.status();
  ASSERT_EQ(ccs->size(), 5u);
  EXPECT_EQ((*ccs)[0].type(), raftpb::ConfChangeAddNode);
  EXPECT_EQ((*ccs)[1].type(), raftpb::ConfChangeAddLearnerNode);
  EXPECT_EQ((*ccs)[2].type(), raftpb::ConfChangeRemoveNode);
  EXPECT_EQ((*ccs)[3].type(), raftpb::ConfChangeUpdateNode);
  EXPECT_EQ((*ccs)[4].node_id(), UINT64_MAX);
  EXPECT_EQ(DescribeConfChanges(*ccs), "v1 l2 r3 u4 v18446744073709551615");

  ccs = ParseConfChanges(" \t ");
  ASSERT_TRUE(ccs.ok());
  EXPECT_TRUE(ccs->empty());

  // Like Go's strings.TrimSpace, the ends lose Unicode white space too (no-
  // break space, ideographic space, NEL...), but nothing else.
  ccs = ParseConfChanges("\u3000v1 l2\u00a0\u0085\u2009");
  ASSERT_TRUE(ccs.ok()) << ccs.status();
  EXPECT_EQ(DescribeConfChanges(*ccs), "v1 l2");
  EXPECT_FALSE(ParseConfChanges("v1\u200b").ok());  // zero width: not space
  EXPECT_FALSE(ParseConfChanges("v1\xa0").ok());    // a stray byte
}

TEST(ConversionsTest, ParseErrors) {
  auto error = [](const std::string& s) {
    return std::string(ParseConfChanges(s).status().message());
  };
  EXPECT_EQ(error("v"), "unknown token v");
  EXPECT_EQ(error("v1  v2"), "unknown token ");
  EXPECT_EQ(error("x1"), "unknown input: x1");
  EXPECT_EQ(error("V1"), "unknown input: V1");
  EXPECT_EQ(error("vx"), "strconv.ParseUint: parsing \"x\": invalid syntax");
  EXPECT_EQ(error("v+1"), "strconv.ParseUint: parsing \"+1\": invalid syntax");
  EXPECT_EQ(error("v1_0"),
            "strconv.ParseUint: parsing \"1_0\": invalid syntax");
  EXPECT_EQ(error("v18446744073709551616"),
            "strconv.ParseUint: parsing \"18446744073709551616\": value out "
            "of range");
  // Overflow is found before a later bad character, as in Go.
  EXPECT_EQ(error("v99999999999999999999x"),
            "strconv.ParseUint: parsing \"99999999999999999999x\": value out "
            "of range");
  // Only single spaces separate: other whitespace stays in the token.
  EXPECT_EQ(error("v1\nv2"),
            "strconv.ParseUint: parsing \"1\\nv2\": invalid syntax");
  // The first bad token is reported.
  EXPECT_EQ(error("v1 q2 v"), "unknown input: q2");
}

}  // namespace
}  // namespace craft::confchange
