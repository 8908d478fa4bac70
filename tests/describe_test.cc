#include "craft/describe.h"

#include <string>

#include "gtest/gtest.h"
#include "support/entries.h"

namespace craft {
namespace {

using ::craft::testing::DataEntry;
using ::craft::testing::Msg;

raftpb::Entry ConfChangeV2Entry(uint64_t index, uint64_t term,
                                const std::string& changes_spec) {
  raftpb::ConfChangeV2 cc;
  for (size_t i = 0; i + 1 < changes_spec.size(); i += 2) {
    raftpb::ConfChangeSingle* c = cc.add_changes();
    switch (changes_spec[i]) {
      case 'v':
        c->set_type(raftpb::ConfChangeAddNode);
        break;
      case 'l':
        c->set_type(raftpb::ConfChangeAddLearnerNode);
        break;
      case 'r':
        c->set_type(raftpb::ConfChangeRemoveNode);
        break;
      default:
        c->set_type(raftpb::ConfChangeUpdateNode);
    }
    c->set_node_id(changes_spec[i + 1] - '0');
  }
  raftpb::Entry e = MakeEntry(index, term, raftpb::EntryConfChangeV2);
  e.set_data(cc.SerializeAsString());
  return e;
}

raftpb::Snapshot Snap(uint64_t index, uint64_t term) {
  raftpb::Snapshot s;
  s.mutable_metadata()->set_index(index);
  s.mutable_metadata()->set_term(term);
  for (uint64_t v : {1, 2, 3}) {
    s.mutable_metadata()->mutable_conf_state()->add_voters(v);
  }
  return s;
}

TEST(QuoteDataTest, GoQuoting) {
  EXPECT_EQ(QuoteData(""), R"("")");
  EXPECT_EQ(QuoteData("foo"), R"("foo")");
  EXPECT_EQ(QuoteData("\"foo\""), R"("\"foo\"")");
  EXPECT_EQ(QuoteData("a\\b"), R"("a\\b")");
  EXPECT_EQ(QuoteData("a\nb\tc\r\a\b\f\v"), R"("a\nb\tc\r\a\b\f\v")");
  EXPECT_EQ(QuoteData(std::string("\x01\xff", 2)), R"("\x01\xff")");
  EXPECT_EQ(QuoteData(std::string("\0", 1)), R"("\x00")");
  EXPECT_EQ(QuoteData("\x7f"), R"("\x7f")");
  EXPECT_EQ(QuoteData("h\xc3\xa9llo \xe2\x88\x9e"),
            "\"h\xc3\xa9llo \xe2\x88\x9e\"");
  EXPECT_EQ(QuoteData("\xc2\x80"), R"("\u0080")");      // C1 control
  EXPECT_EQ(QuoteData("\xc2\xa0"), R"("\u00a0")");      // no-break space
  EXPECT_EQ(QuoteData("\xef\xbb\xbf"), R"("\ufeff")");  // BOM
  EXPECT_EQ(QuoteData("\xf3\xb0\x80\x80"), R"("\U000f0000")");  // private use
  // Invalid UTF-8: truncated, overlong and surrogate sequences.
  EXPECT_EQ(QuoteData("\xe2\x88"), R"("\xe2\x88")");
  EXPECT_EQ(QuoteData("\xc0\xaf"), R"("\xc0\xaf")");
  EXPECT_EQ(QuoteData("\xed\xa0\x80"), R"("\xed\xa0\x80")");
}

TEST(DescribeTest, NodeIds) {
  EXPECT_EQ(DescribeNodeId(0), "None");
  EXPECT_EQ(DescribeNodeId(9), "9");
  EXPECT_EQ(DescribeNodeId(10), "a");
  EXPECT_EQ(DescribeNodeId(16), "10");
  EXPECT_EQ(DescribeNodeId(kLocalAppendThread), "AppendThread");
  EXPECT_EQ(DescribeNodeId(kLocalApplyThread), "ApplyThread");
}

TEST(DescribeTest, Entries) {
  EXPECT_EQ(DescribeEntry(DataEntry(17, 4, "k1")), R"(4/17 EntryNormal "k1")");
  EXPECT_EQ(DescribeEntry(MakeEntry(18, 4)), R"(4/18 EntryNormal "")");
  EXPECT_EQ(DescribeEntry(ConfChangeV2Entry(19, 4, "v4l5r2u1")),
            "4/19 EntryConfChangeV2 v4 l5 r2 u1");
  EXPECT_EQ(DescribeEntry(ConfChangeV2Entry(20, 4, "")),
            "4/20 EntryConfChangeV2");

  raftpb::ConfChange v1;
  v1.set_type(raftpb::ConfChangeRemoveNode);
  v1.set_node_id(3);
  raftpb::Entry e = MakeEntry(21, 4, raftpb::EntryConfChange);
  e.set_data(v1.SerializeAsString());
  EXPECT_EQ(DescribeEntry(e), "4/21 EntryConfChange r3");

  // Undecodable conf changes are described, not fatal.
  e.set_data("\xff\xff");
  EXPECT_EQ(DescribeEntry(e), "4/21 EntryConfChange <malformed ConfChange>");

  EXPECT_EQ(DescribeEntries({DataEntry(1, 1, "a"), MakeEntry(2, 1)}),
            "1/1 EntryNormal \"a\"\n1/2 EntryNormal \"\"\n");
  EXPECT_EQ(DescribeEntries({}), "");
}

TEST(DescribeTest, SimpleMessages) {
  raftpb::Message m = Msg(raftpb::MsgAppResp, 2, 1, 4);
  m.set_index(17);
  EXPECT_EQ(DescribeMessage(m), "2->1 MsgAppResp Term:4 Log:0/17");

  m = Msg(raftpb::MsgAppResp, 3, 1, 4);
  m.set_log_term(3);
  m.set_index(20);
  m.set_reject(true);
  m.set_reject_hint(16);
  EXPECT_EQ(DescribeMessage(m),
            "3->1 MsgAppResp Term:4 Log:3/20 Rejected (Hint: 16)");

  m = Msg(raftpb::MsgHeartbeat, 1, 2, 4);
  m.set_commit(15);
  EXPECT_EQ(DescribeMessage(m), "1->2 MsgHeartbeat Term:4 Log:0/0 Commit:15");

  m = Msg(raftpb::MsgApp, 10, 11, 7);
  m.set_log_term(7);
  m.set_index(40);
  m.set_commit(39);
  *m.add_entries() = DataEntry(41, 7, "z");
  EXPECT_EQ(
      DescribeMessage(m),
      R"(a->b MsgApp Term:7 Log:7/40 Commit:39 Entries:[7/41 EntryNormal "z"])");

  // Commit comes before Vote, the reverse of HardState.
  m = Msg(raftpb::MsgVote, 1, 2, 5);
  m.set_commit(3);
  m.set_vote(1);
  EXPECT_EQ(DescribeMessage(m), "1->2 MsgVote Term:5 Log:0/0 Commit:3 Vote:1");
}

TEST(DescribeTest, MultiEntryMessage) {
  raftpb::Message m = Msg(raftpb::MsgApp, 1, 3, 4);
  m.set_log_term(4);
  m.set_index(15);
  m.set_commit(15);
  *m.add_entries() = DataEntry(16, 4, "a");
  *m.add_entries() = DataEntry(17, 4, "b");
  EXPECT_EQ(DescribeMessage(m),
            "1->3 MsgApp Term:4 Log:4/15 Commit:15 Entries:[\n"
            "  4/16 EntryNormal \"a\"\n"
            "  4/17 EntryNormal \"b\"\n"
            "]");
}

TEST(DescribeTest, MessagesWithResponses) {
  raftpb::Message m = Msg(raftpb::MsgStorageAppend, 1, kLocalAppendThread, 5);
  m.set_commit(16);
  m.set_vote(1);
  *m.add_responses() = Msg(raftpb::MsgVoteResp, 1, 1, 5);
  EXPECT_EQ(DescribeMessage(m),
            "1->AppendThread MsgStorageAppend Term:5 Log:0/0 Commit:16 Vote:1 "
            "Responses:[\n"
            "  1->1 MsgVoteResp Term:5 Log:0/0\n"
            "]");

  raftpb::Message apply = Msg(raftpb::MsgStorageApply, 1, kLocalApplyThread, 0);
  *apply.add_entries() = DataEntry(16, 4, "a");
  *apply.add_entries() = DataEntry(17, 4, "b");
  raftpb::Message resp =
      Msg(raftpb::MsgStorageApplyResp, kLocalApplyThread, 1, 0);
  *resp.mutable_entries() = apply.entries();
  *apply.add_responses() = resp;
  EXPECT_EQ(DescribeMessage(apply),
            "1->ApplyThread MsgStorageApply Term:0 Log:0/0 Entries:[\n"
            "  4/16 EntryNormal \"a\"\n"
            "  4/17 EntryNormal \"b\"\n"
            "] Responses:[\n"
            "  ApplyThread->1 MsgStorageApplyResp Term:0 Log:0/0 Entries:[\n"
            "    4/16 EntryNormal \"a\"\n"
            "    4/17 EntryNormal \"b\"\n"
            "  ]\n"
            "]");
}

TEST(DescribeTest, MessagesWithSnapshots) {
  raftpb::Message m = Msg(raftpb::MsgStorageAppend, 2, kLocalAppendThread, 4);
  m.set_commit(20);
  *m.mutable_snapshot() = Snap(20, 4);
  raftpb::Message r1 = Msg(raftpb::MsgAppResp, 2, 1, 4);
  r1.set_index(20);
  raftpb::Message r2 =
      Msg(raftpb::MsgStorageAppendResp, kLocalAppendThread, 2, 4);
  *r2.mutable_snapshot() = Snap(20, 4);
  *m.add_responses() = r1;
  *m.add_responses() = r2;
  const std::string cs =
      "ConfState:Voters:[1 2 3] VotersOutgoing:[] Learners:[] LearnersNext:[] "
      "AutoLeave:false";
  EXPECT_EQ(DescribeMessage(m),
            "2->AppendThread MsgStorageAppend Term:4 Log:0/0 Commit:20\n"
            "  Snapshot: Index:20 Term:4 " +
                cs +
                " Responses:[\n"
                "  2->1 MsgAppResp Term:4 Log:0/20\n"
                "  AppendThread->2 MsgStorageAppendResp Term:4 Log:0/0\n"
                "    Snapshot: Index:20 Term:4 " +
                cs +
                "\n"
                "]");

  // An empty snapshot (index 0) is not shown.
  raftpb::Message snap = Msg(raftpb::MsgSnap, 1, 3, 2);
  snap.mutable_snapshot();
  EXPECT_EQ(DescribeMessage(snap), "1->3 MsgSnap Term:2 Log:0/0");
}

TEST(DescribeTest, States) {
  raftpb::HardState hs;
  hs.set_term(4);
  hs.set_vote(2);
  hs.set_commit(17);
  EXPECT_EQ(DescribeHardState(hs), "Term:4 Vote:2 Commit:17");
  hs.set_vote(0);
  hs.set_commit(0);
  EXPECT_EQ(DescribeHardState(hs), "Term:4 Commit:0");

  EXPECT_EQ(DescribeSoftState({.lead = 0, .raft_state = StateType::kCandidate}),
            "Lead:0 State:StateCandidate");
  EXPECT_EQ(
      DescribeSoftState({.lead = 3, .raft_state = StateType::kPreCandidate}),
      "Lead:3 State:StatePreCandidate");

  raftpb::ConfState cs;
  cs.add_voters(1);
  cs.add_voters(2);
  cs.add_voters_outgoing(1);
  cs.set_auto_leave(true);
  EXPECT_EQ(DescribeConfState(cs),
            "Voters:[1 2] VotersOutgoing:[1] Learners:[] LearnersNext:[] "
            "AutoLeave:true");
  raftpb::Snapshot s;
  s.mutable_metadata()->set_index(4);
  s.mutable_metadata()->set_term(1);
  *s.mutable_metadata()->mutable_conf_state() = cs;
  s.set_data("never shown");
  EXPECT_EQ(DescribeSnapshot(s),
            "Index:4 Term:1 ConfState:Voters:[1 2] VotersOutgoing:[1] "
            "Learners:[] LearnersNext:[] AutoLeave:true");

  EXPECT_EQ(DescribeReadStates({{12, "\x01\x02\x03"}, {13, ""}}),
            "[{12 [1 2 3]} {13 []}]");
}

TEST(DescribeTest, Ready) {
  Ready rd;
  EXPECT_EQ(DescribeReady(rd), "<empty Ready>");

  rd.must_sync = true;
  EXPECT_EQ(DescribeReady(rd), "<empty Ready>")
      << "MustSync alone does not make a Ready non-empty";

  rd.soft_state = SoftState{.lead = 2, .raft_state = StateType::kFollower};
  rd.hard_state.set_term(5);
  rd.hard_state.set_commit(17);
  rd.read_states.push_back({7, "a"});
  rd.entries.push_back(MakeEntry(18, 5));
  *rd.snapshot.mutable_metadata() = Snap(16, 4).metadata();
  rd.committed_entries.push_back(DataEntry(17, 4, "x"));
  raftpb::Message m = Msg(raftpb::MsgAppResp, 3, 2, 5);
  m.set_index(18);
  rd.messages.push_back(m);
  EXPECT_EQ(DescribeReady(rd),
            "Ready MustSync=true:\n"
            "Lead:2 State:StateFollower\n"
            "HardState Term:5 Commit:17\n"
            "ReadStates [{7 [97]}]\n"
            "Entries:\n"
            "5/18 EntryNormal \"\"\n"
            "Snapshot Index:16 Term:4 ConfState:Voters:[1 2 3] "
            "VotersOutgoing:[] Learners:[] LearnersNext:[] AutoLeave:false\n"
            "CommittedEntries:\n"
            "4/17 EntryNormal \"x\"\n"
            "Messages:\n"
            "3->2 MsgAppResp Term:5 Log:0/18\n");

  Ready only_commit;
  only_commit.hard_state.set_term(1);
  only_commit.hard_state.set_vote(1);
  only_commit.hard_state.set_commit(6);
  EXPECT_EQ(DescribeReady(only_commit),
            "Ready MustSync=false:\nHardState Term:1 Vote:1 Commit:6\n");
}

TEST(DescribeTest, TypeNames) {
  EXPECT_EQ(MessageTypeName(raftpb::MsgHup), "MsgHup");
  EXPECT_EQ(MessageTypeName(raftpb::MsgForgetLeader), "MsgForgetLeader");
  EXPECT_EQ(EntryTypeName(raftpb::EntryConfChangeV2), "EntryConfChangeV2");
  EXPECT_EQ(StateTypeName(StateType::kLeader), "StateLeader");
}

}  // namespace
}  // namespace craft
