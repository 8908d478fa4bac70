// Values printed as Go's fmt package prints them, for the log lines and
// error messages that must read as etcd-io/raft's (the interaction
// transcripts compare them byte for byte). Internal to craft: the core and
// confchange use it without depending on describe, whose public functions
// forward here.

#ifndef CRAFT_GOFMT_GOFMT_H_
#define CRAFT_GOFMT_GOFMT_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "craft/raftpb.h"

namespace craft::gofmt {

// %q of a string or []byte (strconv.Quote); see craft::QuoteData.
std::string Quote(absl::string_view data);

// %v of a []byte: its bytes in decimal, "[104 105]", "[]" when empty.
std::string Bytes(absl::string_view b);

// %v of a slice of integers: "[1 2 3]".
template <typename Ints>
std::string UintList(const Ints& ids) {
  std::string out = "[";
  bool first = true;
  for (const auto id : ids) {
    if (!first) out.push_back(' ');
    first = false;
    absl::StrAppend(&out, id);
  }
  out.push_back(']');
  return out;
}

// %v of an enum: its name, or its number when this build does not know it.
template <typename Enum>
std::string EnumValue(Enum value, absl::string_view name) {
  if (!name.empty()) return std::string(name);
  return absl::StrCat(static_cast<int>(value));
}

// %v and %+v of a raftpb.ConfState: "{[1 3] [7] [] [] false}" and
// "{Voters:[1 3] Learners:[7] VotersOutgoing:[] LearnersNext:[]
// AutoLeave:false}" (fields in declaration order).
std::string ConfState(const raftpb::ConfState& cs);
std::string ConfStateNamed(const raftpb::ConfState& cs);

// %v of a raftpb.ConfChange, "{ConfChangeAddNode 2 [] 0}", and of a
// ConfChangeV2, "{ConfChangeTransitionAuto [{ConfChangeAddNode 2}] []}".
std::string ConfChange(const raftpb::ConfChange& cc);
std::string ConfChangeV2(const raftpb::ConfChangeV2& cc);

}  // namespace craft::gofmt

#endif  // CRAFT_GOFMT_GOFMT_H_
