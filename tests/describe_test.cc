#include "craft/describe.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "support/entries.h"

namespace craft {
namespace {

using ::craft::testing::DataEntry;
using ::craft::testing::Msg;

Entry ConfChangeV2Entry(uint64_t index, uint64_t term,
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
  Entry e = MakeEntry(index, term, raftpb::EntryConfChangeV2);
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

// UTF-8 of one code point (surrogates included: the tests need to build
// their invalid encodings too).
std::string Utf8(uint32_t r) {
  std::string out;
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (r >> 6)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (r >> 12)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (r >> 18)));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
  return out;
}

// What %q prints for a lone rune `r` >= U+0080: itself when Go calls it
// printable, else its \u / \U escape.
std::string Quoted(uint32_t r, bool printable) {
  if (printable) return "\"" + Utf8(r) + "\"";
  if (r < 0x10000) return absl::StrFormat("\"\\u%04x\"", r);
  return absl::StrFormat("\"\\U%08x\"", r);
}

TEST(QuoteDataTest, EscapesWhatGoCallsNonPrintable) {
  // Format characters (category Cf) and separators.
  EXPECT_EQ(QuoteData(Utf8(0xAD)), R"("\u00ad")");    // soft hyphen
  EXPECT_EQ(QuoteData(Utf8(0x600)), R"("\u0600")");   // Arabic number sign
  EXPECT_EQ(QuoteData(Utf8(0x200B)), R"("\u200b")");  // zero width space
  EXPECT_EQ(QuoteData(Utf8(0x2028)), R"("\u2028")");  // line separator
  EXPECT_EQ(QuoteData(Utf8(0x2029)), R"("\u2029")");  // paragraph separator
  EXPECT_EQ(QuoteData(Utf8(0x3000)), R"("\u3000")");  // ideographic space
  // Tag characters: format characters beyond the BMP.
  EXPECT_EQ(QuoteData(Utf8(0xE0001)), R"("\U000e0001")");
  EXPECT_EQ(QuoteData(Utf8(0xE0041)), R"("\U000e0041")");
  EXPECT_EQ(QuoteData(Utf8(0xE007F)), R"("\U000e007f")");
  // Unassigned code points, in and beyond the BMP.
  EXPECT_EQ(QuoteData(Utf8(0x378)), R"("\u0378")");
  EXPECT_EQ(QuoteData(Utf8(0x38B)), R"("\u038b")");
  EXPECT_EQ(QuoteData(Utf8(0x1F6D8)), R"("\U0001f6d8")");
  EXPECT_EQ(QuoteData(Utf8(0x2FFFD)), R"("\U0002fffd")");
  // Private use.
  EXPECT_EQ(QuoteData(Utf8(0xE000)), R"("\ue000")");
  EXPECT_EQ(QuoteData(Utf8(0xF8FF)), R"("\uf8ff")");
  EXPECT_EQ(QuoteData(Utf8(0xF0000)), R"("\U000f0000")");
  EXPECT_EQ(QuoteData(Utf8(0x10FFFD)), R"("\U0010fffd")");
  // Noncharacters.
  EXPECT_EQ(QuoteData(Utf8(0xFDD0)), R"("\ufdd0")");
  EXPECT_EQ(QuoteData(Utf8(0xFFFE)), R"("\ufffe")");
  EXPECT_EQ(QuoteData(Utf8(0xFFFF)), R"("\uffff")");
  EXPECT_EQ(QuoteData(Utf8(0x1FFFF)), R"("\U0001ffff")");
  EXPECT_EQ(QuoteData(Utf8(0x10FFFF)), R"("\U0010ffff")");
  // Controls: C0 and DEL as \x, C1 as \u.
  EXPECT_EQ(QuoteData("\x1b[0m"), R"("\x1b[0m")");
  EXPECT_EQ(QuoteData(Utf8(0x7F)), R"("\x7f")");
  EXPECT_EQ(QuoteData(Utf8(0x85)), R"("\u0085")");
  EXPECT_EQ(QuoteData(Utf8(0x9F)), R"("\u009f")");
}

TEST(QuoteDataTest, KeepsWhatGoCallsPrintable) {
  for (uint32_t r : {0xA1u, 0xE9u, 0xFFu, 0x301u, 0x4E2Du, 0xFDCFu, 0xFFFCu,
                     0x1F600u, 0x1F6DCu, 0x20000u, 0x323AFu, 0xE0100u}) {
    EXPECT_EQ(QuoteData(Utf8(r)), Quoted(r, true)) << absl::StrFormat("%x", r);
  }
  EXPECT_EQ(QuoteData("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"");
  // A combining mark stays attached to what precedes it.
  EXPECT_EQ(QuoteData("e\xcc\x81"), "\"e\xcc\x81\"");
}

TEST(QuoteDataTest, InvalidUtf8ByteByByte) {
  // Surrogates are not runes in UTF-8: each byte of their encoding is shown.
  EXPECT_EQ(QuoteData(Utf8(0xD800)), R"("\xed\xa0\x80")");
  EXPECT_EQ(QuoteData(Utf8(0xDFFF)), R"("\xed\xbf\xbf")");
  // Beyond U+10FFFF, overlong, truncated, stray continuation bytes.
  EXPECT_EQ(QuoteData("\xf4\x90\x80\x80"), R"("\xf4\x90\x80\x80")");
  EXPECT_EQ(QuoteData("\xe0\x80\xaf"), R"("\xe0\x80\xaf")");
  EXPECT_EQ(QuoteData("\xf0\x9f\x98"), R"("\xf0\x9f\x98")");
  EXPECT_EQ(QuoteData("\xe4\xb8"
                      "a"),
            R"("\xe4\xb8a")");
  EXPECT_EQ(QuoteData("\x80\xbf"), R"("\x80\xbf")");
  EXPECT_EQ(QuoteData("\xf8\x88\x80\x80\x80"), R"("\xf8\x88\x80\x80\x80")");
  // U+FFFD written out is a printable rune; invalid bytes are not U+FFFD.
  EXPECT_EQ(QuoteData("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");
  EXPECT_EQ(QuoteData("\xef\xbf\xbd\xff"), "\"\xef\xbf\xbd\\xff\"");
}

// Boundary entries read off the Go 1.22 tables (src/gofmt/go_isprint.inc,
// Unicode 15.0.0): each side of a few ranges of isPrint16 / isPrint32 and of
// a few exceptions listed in isNotPrint16 / isNotPrint32.
TEST(QuoteDataTest, GoTableBoundaries) {
  struct Case {
    uint32_t rune;
    bool printable;
  };
  const Case cases[] = {
      // isPrint16 {0x00a1, 0x0377}, {0x037a, 0x037f}.
      {0x0377, true},
      {0x0378, false},
      {0x0379, false},
      {0x037A, true},
      // isNotPrint16 0x038b, 0x038d inside {0x0384, 0x0556}.
      {0x038A, true},
      {0x038B, false},
      {0x038C, true},
      {0x038D, false},
      // isNotPrint16 0x061c (Arabic letter mark) inside {0x0606, 0x070d}.
      {0x061B, true},
      {0x061C, false},
      {0x061D, true},
      // isPrint16 {0x0ce6, 0x0cf3} (U+0CF3 is new in Unicode 15.0), with
      // isNotPrint16 0x0cf0.
      {0x0CEF, true},
      {0x0CF0, false},
      {0x0CF3, true},
      {0x0CF4, false},
      // isNotPrint16 0x180e (Mongolian vowel separator).
      {0x180E, false},
      // isPrint16 {0x2010, 0x2027}, {0x2030, 0x205e}.
      {0x200F, false},
      {0x2010, true},
      {0x2027, true},
      {0x202F, false},
      {0x2030, true},
      {0x205E, true},
      {0x205F, false},
      // isPrint16 {0x2ff0, 0x2ffb}, {0x3105, 0x31e3}, {0x31f0, 0xa48c}:
      // U+2FFC and U+31EF arrived with Unicode 15.1, after these tables.
      {0x2FFB, true},
      {0x2FFC, false},
      {0x31E3, true},
      {0x31EF, false},
      {0x31F0, true},
      // isPrint16 {0xfdcf, 0xfdcf}, {0xfdf0, 0xfe19}.
      {0xFDCF, true},
      {0xFDD0, false},
      {0xFDEF, false},
      {0xFDF0, true},
      // The last BMP range, {0xfffc, 0xfffd}.
      {0xFFFB, false},
      {0xFFFC, true},
      {0xFFFD, true},
      // isPrint32 {0x010000, 0x01004d} with isNotPrint32 0x000c.
      {0x10000, true},
      {0x1000B, true},
      {0x1000C, false},
      {0x1000D, true},
      {0x1004D, true},
      {0x1004E, false},
      // isPrint32 {0x01f300, 0x01f6d7}, {0x01f6dc, 0x01f6ec}.
      {0x1F6D7, true},
      {0x1F6D8, false},
      {0x1F6DB, false},
      {0x1F6DC, true},
      // isNotPrint32 0xfb93 (U+1FB93).
      {0x1FB92, true},
      {0x1FB93, false},
      {0x1FB94, true},
      // Above 0x20000 there are no exceptions: {0x02f800, 0x02fa1d},
      // {0x030000, 0x03134a}, {0x031350, 0x0323af}, {0x0e0100, 0x0e01ef}.
      {0x2FA1D, true},
      {0x2FA1E, false},
      {0x2FFFF, false},
      {0x30000, true},
      {0x3134A, true},
      {0x3134B, false},
      {0x31350, true},
      {0x323AF, true},
      {0x323B0, false},
      {0xE00FF, false},
      {0xE0100, true},
      {0xE01EF, true},
      {0xE01F0, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(QuoteData(Utf8(c.rune)), Quoted(c.rune, c.printable))
        << absl::StrFormat("U+%04X", c.rune);
  }
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
  Entry e = MakeEntry(21, 4, raftpb::EntryConfChange);
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
  Message m = Msg(raftpb::MsgAppResp, 2, 1, 4);
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
  Message m = Msg(raftpb::MsgApp, 1, 3, 4);
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
  Message m = Msg(raftpb::MsgStorageAppend, 1, kLocalAppendThread, 5);
  m.set_commit(16);
  m.set_vote(1);
  *m.add_responses() = Msg(raftpb::MsgVoteResp, 1, 1, 5);
  EXPECT_EQ(DescribeMessage(m),
            "1->AppendThread MsgStorageAppend Term:5 Log:0/0 Commit:16 Vote:1 "
            "Responses:[\n"
            "  1->1 MsgVoteResp Term:5 Log:0/0\n"
            "]");

  Message apply = Msg(raftpb::MsgStorageApply, 1, kLocalApplyThread, 0);
  *apply.add_entries() = DataEntry(16, 4, "a");
  *apply.add_entries() = DataEntry(17, 4, "b");
  Message resp = Msg(raftpb::MsgStorageApplyResp, kLocalApplyThread, 1, 0);
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
  Message m = Msg(raftpb::MsgStorageAppend, 2, kLocalAppendThread, 4);
  m.set_commit(20);
  *m.mutable_snapshot() = Snap(20, 4);
  Message r1 = Msg(raftpb::MsgAppResp, 2, 1, 4);
  r1.set_index(20);
  Message r2 = Msg(raftpb::MsgStorageAppendResp, kLocalAppendThread, 2, 4);
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
  Message snap = Msg(raftpb::MsgSnap, 1, 3, 2);
  snap.mutable_snapshot();
  EXPECT_EQ(DescribeMessage(snap), "1->3 MsgSnap Term:2 Log:0/0");
}

TEST(DescribeTest, States) {
  HardState hs;
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

TEST(DescribeTest, GoFormatConfState) {
  raftpb::ConfState cs;
  EXPECT_EQ(GoFormatConfState(cs), "{[] [] [] [] false}");
  for (uint64_t v : {1, 3, 5}) cs.add_voters(v);
  cs.add_learners(7);
  EXPECT_EQ(GoFormatConfState(cs), "{[1 3 5] [7] [] [] false}");
  // Joint: fields in Go's declaration order, ids in decimal.
  cs.add_voters_outgoing(1);
  cs.add_voters_outgoing(12);
  cs.add_learners_next(12);
  cs.set_auto_leave(true);
  EXPECT_EQ(GoFormatConfState(cs), "{[1 3 5] [7] [1 12] [12] true}");
}

TEST(DescribeTest, GoFormatConfStateWithNames) {
  raftpb::ConfState cs;
  EXPECT_EQ(GoFormatConfStateWithNames(cs),
            "{Voters:[] Learners:[] VotersOutgoing:[] LearnersNext:[] "
            "AutoLeave:false}");
  cs.add_voters(1);
  cs.add_voters(2);
  cs.add_learners(3);
  cs.add_voters_outgoing(1);
  cs.add_learners_next(4);
  cs.set_auto_leave(true);
  EXPECT_EQ(GoFormatConfStateWithNames(cs),
            "{Voters:[1 2] Learners:[3] VotersOutgoing:[1] LearnersNext:[4] "
            "AutoLeave:true}");
}

TEST(DescribeTest, GoFormatConfChanges) {
  raftpb::ConfChange v1;
  EXPECT_EQ(GoFormatConfChange(v1), "{ConfChangeAddNode 0 [] 0}");
  v1.set_type(raftpb::ConfChangeRemoveNode);
  v1.set_node_id(12);
  v1.set_context("hi");
  v1.set_id(7);
  EXPECT_EQ(GoFormatConfChange(v1), "{ConfChangeRemoveNode 12 [104 105] 7}");

  raftpb::ConfChangeV2 v2;
  // The form etcd logs for a proposal to leave a joint configuration.
  EXPECT_EQ(GoFormatConfChangeV2(v2), "{ConfChangeTransitionAuto [] []}");
  raftpb::ConfChangeSingle* c = v2.add_changes();
  c->set_type(raftpb::ConfChangeAddNode);
  c->set_node_id(2);
  c = v2.add_changes();
  c->set_type(raftpb::ConfChangeAddLearnerNode);
  c->set_node_id(3);
  v2.set_transition(raftpb::ConfChangeTransitionJointExplicit);
  v2.set_context(std::string("\0\xff", 2));
  EXPECT_EQ(GoFormatConfChangeV2(v2),
            "{ConfChangeTransitionJointExplicit [{ConfChangeAddNode 2} "
            "{ConfChangeAddLearnerNode 3}] [0 255]}");

  EXPECT_EQ(GoFormatBytes(""), "[]");
  EXPECT_EQ(GoFormatBytes("ctx"), "[99 116 120]");
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
  Message m = Msg(raftpb::MsgAppResp, 3, 2, 5);
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
