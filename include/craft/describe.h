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

// QuoteData renders bytes as Go's %q does: a double-quoted string with
// escapes for quotes, backslashes, control characters, non-printable runes
// and invalid UTF-8.
std::string QuoteData(absl::string_view data);

// DescribeNodeId renders a message endpoint: "None" for 0, "AppendThread" /
// "ApplyThread" for the local storage threads, else the id in hex.
std::string DescribeNodeId(uint64_t id);

// "3/17 EntryNormal \"data\"", "4/20 EntryConfChangeV2 v4 l5 r2".
std::string DescribeEntry(const raftpb::Entry& e);
// One entry per line, each followed by a newline.
std::string DescribeEntries(absl::Span<const raftpb::Entry> ents);

// "v4 l5 r2 u1": the changes of a ConfChangeV2.
std::string DescribeConfChanges(
    absl::Span<const raftpb::ConfChangeSingle> changes);
std::string DescribeConfChanges(
    const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>&
        changes);

// "1->2 MsgApp Term:4 Log:4/15 Commit:15 Entries:[...]"; no trailing
// newline. Multi-line parts are indented by `indent` plus two spaces.
std::string DescribeMessage(const raftpb::Message& m,
                            absl::string_view indent = "");

// "Term:4 Vote:2 Commit:17" (Vote omitted when 0).
std::string DescribeHardState(const raftpb::HardState& hs);
// "Lead:1 State:StateLeader".
std::string DescribeSoftState(const SoftState& ss);
// "Voters:[1 2 3] VotersOutgoing:[] Learners:[] LearnersNext:[]
// AutoLeave:false".
std::string DescribeConfState(const raftpb::ConfState& cs);
// "Index:4 Term:1 ConfState:..." (data is never shown).
std::string DescribeSnapshot(const raftpb::Snapshot& s);
// "[{12 [1 2 3]} {13 []}]": indexes with their context bytes in decimal.
std::string DescribeReadStates(absl::Span<const ReadState> rs);
// "Ready MustSync=true:\n" followed by one section per non-empty part, or
// "<empty Ready>" (no newline) when there is nothing.
std::string DescribeReady(const Ready& rd);

absl::string_view MessageTypeName(raftpb::MessageType t);
absl::string_view EntryTypeName(raftpb::EntryType t);

}  // namespace craft

#endif  // CRAFT_DESCRIBE_H_
