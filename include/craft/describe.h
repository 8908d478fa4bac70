// One text form for every craft type, used by logs, tests and the
// interaction harness. The forms are those of etcd-io/raft's describe
// functions, so that transcripts compare byte for byte.

#ifndef CRAFT_DESCRIBE_H_
#define CRAFT_DESCRIBE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "craft/raftpb.h"
#include "craft/read_state.h"
#include "craft/ready.h"
#include "craft/state.h"

namespace craft {

// QuoteData renders bytes exactly as Go's %q (strconv.Quote) does: a
// double-quoted string where '"' and '\\' are backslashed, runes that Go's
// strconv.IsPrint accepts are kept as UTF-8, \a \b \f \n \r \t \v are
// escaped by name, the other runes below U+0020, U+007F and each byte of
// invalid UTF-8 print as \xNN, and the other non-printable runes as \uNNNN
// or \UNNNNNNNN (lowercase hex). Printability is Go's strconv.IsPrint with
// the Unicode 15.0.0 tables that Go 1.22 and 1.23 ship.
std::string QuoteData(absl::string_view data);

// DescribeNodeId renders a message endpoint: "None" for 0, "AppendThread" /
// "ApplyThread" for the local storage threads, else the id in hex.
std::string DescribeNodeId(uint64_t id);

// "3/17 EntryNormal \"data\"", "4/20 EntryConfChangeV2 v4 l5 r2".
std::string DescribeEntry(const Entry& e);
// One entry per line, each followed by a newline.
std::string DescribeEntries(absl::Span<const Entry> ents);

// "v4 l5 r2 u1": the changes of a ConfChangeV2.
std::string DescribeConfChanges(
    absl::Span<const raftpb::ConfChangeSingle> changes);
std::string DescribeConfChanges(
    const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>&
        changes);

// "1->2 MsgApp Term:4 Log:4/15 Commit:15 Entries:[...]"; no trailing
// newline. Multi-line parts are indented by `indent` plus two spaces.
std::string DescribeMessage(const Message& m, absl::string_view indent = "");

// "Term:4 Vote:2 Commit:17" (Vote omitted when 0).
std::string DescribeHardState(const HardState& hs);
// "Lead:1 State:StateLeader".
std::string DescribeSoftState(const SoftState& ss);
// "Voters:[1 2 3] VotersOutgoing:[] Learners:[] LearnersNext:[]
// AutoLeave:false".
std::string DescribeConfState(const raftpb::ConfState& cs);
// The GoFormat functions print values as Go's fmt prints etcd-io/raft's
// gogoproto structs in its log lines (a struct value is printed field by
// field; enums print their names, or the number when unknown; byte slices
// print their bytes in decimal, "[]" when empty).

// GoFormatConfState renders `cs` as Go's %v prints a raftpb.ConfState value:
// "{[1 3 5] [7] [] [] false}", the fields in declaration order voters,
// learners, voters_outgoing, learners_next, auto_leave.
std::string GoFormatConfState(const raftpb::ConfState& cs);
// Go's %+v of the same: "{Voters:[1 3 5] Learners:[7] VotersOutgoing:[]
// LearnersNext:[] AutoLeave:false}".
std::string GoFormatConfStateWithNames(const raftpb::ConfState& cs);
// Go's %v of a raftpb.ConfChange value: "{ConfChangeAddNode 2 [] 0}" (type,
// node id, context, id).
std::string GoFormatConfChange(const raftpb::ConfChange& cc);
// Go's %v of a raftpb.ConfChangeV2 value: "{ConfChangeTransitionAuto
// [{ConfChangeAddNode 2} {ConfChangeRemoveNode 3}] []}" (transition,
// changes, context).
std::string GoFormatConfChangeV2(const raftpb::ConfChangeV2& cc);
// Go's %v of a []byte: "[104 105]".
std::string GoFormatBytes(absl::string_view b);
// "Index:4 Term:1 ConfState:..." (data is never shown).
std::string DescribeSnapshot(const raftpb::Snapshot& s);
// "[{12 [1 2 3]} {13 []}]": indexes with their context bytes in decimal.
std::string DescribeReadStates(absl::Span<const ReadState> rs);
// "Ready MustSync=true:\n" followed by one section per non-empty part, or
// "<empty Ready>" (no newline) when there is nothing.
std::string DescribeReady(const Ready& rd);

}  // namespace craft

#endif  // CRAFT_DESCRIBE_H_
