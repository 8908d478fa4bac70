#include "craft/describe.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace craft {
namespace {

// Decodes one UTF-8 sequence at the start of `s`. Returns the rune and its
// length, or length 0 for an invalid (or truncated, overlong, surrogate)
// sequence.
std::pair<uint32_t, size_t> DecodeRune(absl::string_view s) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t c = b(0);
  if (c < 0x80) return {c, 1};
  size_t len;
  uint32_t r;
  uint32_t min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, r = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, r = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, r = c & 0x07, min = 0x10000;
  } else {
    return {0, 0};
  }
  if (s.size() < len) return {0, 0};
  for (size_t i = 1; i < len; ++i) {
    if ((b(i) & 0xC0) != 0x80) return {0, 0};
    r = (r << 6) | (b(i) & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return {0, 0};
  return {r, len};
}

#include "describe/go_isprint.inc"

// Whether `x` falls in one of the inclusive [lo, hi] pairs of the sorted
// range table `ranges`: the first entry not below `x` is either the lo or
// the hi of the only pair that can hold it.
template <typename T, size_t N>
bool InRangeTable(const T (&ranges)[N], T x) {
  static_assert(N % 2 == 0, "a range table holds [lo, hi] pairs");
  const size_t i = std::lower_bound(ranges, ranges + N, x) - ranges;
  if (i == N) return false;
  return ranges[i & ~size_t{1}] <= x && x <= ranges[i | 1];
}

template <typename T, size_t N>
bool InSortedList(const T (&list)[N], T x) {
  return std::binary_search(list, list + N, x);
}

// Go's strconv.IsPrint, by which %q decides what to escape: letters, marks,
// numbers, punctuation, symbols and the ASCII space, as Go 1.22's Unicode
// 15.0.0 tables (go_isprint.inc) list them. Code points that later Unicode
// versions assign stay escaped, as etcd's Go build escapes them.
bool IsPrintRune(uint32_t r) {
  if (r <= 0xFF) {
    // Latin-1 needs no table: ASCII space to '~', and U+00A1 to U+00FF
    // except the soft hyphen.
    return (r >= 0x20 && r <= 0x7E) || (r >= 0xA1 && r != 0xAD);
  }
  if (r < 0x10000) {
    const auto x = static_cast<uint16_t>(r);
    return InRangeTable(kGoIsPrint16, x) && !InSortedList(kGoIsNotPrint16, x);
  }
  if (!InRangeTable(kGoIsPrint32, r)) return false;
  // The exceptions above the BMP all lie in plane 1, stored less 0x10000.
  if (r >= 0x20000) return true;
  return !InSortedList(kGoIsNotPrint32, static_cast<uint16_t>(r - 0x10000));
}

std::string EndpointList(const google::protobuf::RepeatedField<uint64_t>& ids) {
  return absl::StrCat("[", absl::StrJoin(ids, " "), "]");
}

}  // namespace

std::string QuoteData(absl::string_view data) {
  std::string out;
  out.reserve(data.size() + 2);
  out.push_back('"');
  while (!data.empty()) {
    auto [r, len] = DecodeRune(data);
    if (len == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<uint8_t>(data[0]));
      data.remove_prefix(1);
      continue;
    }
    switch (r) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (IsPrintRune(r)) {
          out.append(data.data(), len);
        } else if (r < 0x20 || r == 0x7F) {
          absl::StrAppendFormat(&out, "\\x%02x", r);
        } else if (r < 0x10000) {
          absl::StrAppendFormat(&out, "\\u%04x", r);
        } else {
          absl::StrAppendFormat(&out, "\\U%08x", r);
        }
    }
    data.remove_prefix(len);
  }
  out.push_back('"');
  return out;
}

std::string DescribeNodeId(uint64_t id) {
  switch (id) {
    case kNone:
      return "None";
    case kLocalAppendThread:
      return "AppendThread";
    case kLocalApplyThread:
      return "ApplyThread";
    default:
      return absl::StrFormat("%x", id);
  }
}

absl::string_view MessageTypeName(raftpb::MessageType t) {
  const std::string& name = raftpb::MessageType_Name(t);
  return name;
}

absl::string_view EntryTypeName(raftpb::EntryType t) {
  const std::string& name = raftpb::EntryType_Name(t);
  return name;
}

namespace {

// Enum names, or the number for values this build does not know (as Go
// prints them).
template <typename Enum>
std::string EnumName(Enum value, absl::string_view name) {
  if (!name.empty()) return std::string(name);
  return absl::StrCat(static_cast<int>(value));
}

}  // namespace

namespace {

template <typename Changes>
std::string ConfChangesString(const Changes& changes) {
  std::string out;
  for (const raftpb::ConfChangeSingle& cc : changes) {
    if (!out.empty()) out.push_back(' ');
    switch (cc.type()) {
      case raftpb::ConfChangeAddNode:
        out.push_back('v');
        break;
      case raftpb::ConfChangeAddLearnerNode:
        out.push_back('l');
        break;
      case raftpb::ConfChangeRemoveNode:
        out.push_back('r');
        break;
      case raftpb::ConfChangeUpdateNode:
        out.push_back('u');
        break;
      default:
        out += "unknown";
    }
    absl::StrAppend(&out, cc.node_id());
  }
  return out;
}

}  // namespace

std::string DescribeConfChanges(
    absl::Span<const raftpb::ConfChangeSingle> changes) {
  return ConfChangesString(changes);
}

std::string DescribeConfChanges(
    const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>&
        changes) {
  return ConfChangesString(changes);
}

std::string DescribeEntry(const Entry& e) {
  std::string payload;
  switch (e.type()) {
    case raftpb::EntryNormal:
      payload = QuoteData(e.data());
      break;
    case raftpb::EntryConfChange: {
      raftpb::ConfChange cc;
      if (!cc.ParseFromArray(e.data().data(),
                             static_cast<int>(e.data().size()))) {
        payload = "<malformed ConfChange>";
        break;
      }
      raftpb::ConfChangeSingle single;
      single.set_type(cc.type());
      single.set_node_id(cc.node_id());
      payload = DescribeConfChanges({&single, 1});
      break;
    }
    case raftpb::EntryConfChangeV2: {
      raftpb::ConfChangeV2 cc;
      if (!cc.ParseFromArray(e.data().data(),
                             static_cast<int>(e.data().size()))) {
        payload = "<malformed ConfChangeV2>";
        break;
      }
      payload = DescribeConfChanges(cc.changes());
      break;
    }
    default:
      payload = QuoteData(e.data());
  }
  std::string out = absl::StrCat(e.term(), "/", e.index(), " ",
                                 EnumName(e.type(), EntryTypeName(e.type())));
  if (!payload.empty()) absl::StrAppend(&out, " ", payload);
  return out;
}

std::string DescribeEntries(absl::Span<const Entry> ents) {
  std::string out;
  for (const Entry& e : ents) absl::StrAppend(&out, DescribeEntry(e), "\n");
  return out;
}

std::string DescribeMessage(const Message& m, absl::string_view indent) {
  std::string out = absl::StrCat(
      indent, DescribeNodeId(m.from()), "->", DescribeNodeId(m.to()), " ",
      EnumName(m.type(), MessageTypeName(m.type())), " Term:", m.term(),
      " Log:", m.log_term(), "/", m.index());
  if (m.reject())
    absl::StrAppend(&out, " Rejected (Hint: ", m.reject_hint(), ")");
  if (m.commit() != 0) absl::StrAppend(&out, " Commit:", m.commit());
  if (m.vote() != 0) absl::StrAppend(&out, " Vote:", m.vote());
  if (m.entries_size() == 1) {
    absl::StrAppend(&out, " Entries:[", DescribeEntry(m.entries(0)), "]");
  } else if (m.entries_size() > 1) {
    out += " Entries:[";
    for (const Entry& e : m.entries()) {
      absl::StrAppend(&out, "\n", indent, "  ", DescribeEntry(e));
    }
    absl::StrAppend(&out, "\n", indent, "]");
  }
  if (m.has_snapshot() && !IsEmptySnapshot(m.snapshot())) {
    absl::StrAppend(&out, "\n", indent,
                    "  Snapshot: ", DescribeSnapshot(m.snapshot()));
  }
  if (m.responses_size() > 0) {
    out += " Responses:[";
    const std::string inner = absl::StrCat(indent, "  ");
    for (const Message& r : m.responses()) {
      absl::StrAppend(&out, "\n", DescribeMessage(r, inner));
    }
    absl::StrAppend(&out, "\n", indent, "]");
  }
  return out;
}

std::string DescribeHardState(const HardState& hs) {
  std::string out = absl::StrCat("Term:", hs.term());
  if (hs.vote() != 0) absl::StrAppend(&out, " Vote:", hs.vote());
  absl::StrAppend(&out, " Commit:", hs.commit());
  return out;
}

std::string DescribeSoftState(const SoftState& ss) {
  return absl::StrCat("Lead:", ss.lead,
                      " State:", StateTypeName(ss.raft_state));
}

std::string DescribeConfState(const raftpb::ConfState& cs) {
  return absl::StrCat("Voters:", EndpointList(cs.voters()),
                      " VotersOutgoing:", EndpointList(cs.voters_outgoing()),
                      " Learners:", EndpointList(cs.learners()),
                      " LearnersNext:", EndpointList(cs.learners_next()),
                      " AutoLeave:", cs.auto_leave() ? "true" : "false");
}

std::string GoFormatConfState(const raftpb::ConfState& cs) {
  return absl::StrCat(
      "{", EndpointList(cs.voters()), " ", EndpointList(cs.learners()), " ",
      EndpointList(cs.voters_outgoing()), " ", EndpointList(cs.learners_next()),
      " ", cs.auto_leave() ? "true" : "false", "}");
}

std::string GoFormatConfStateWithNames(const raftpb::ConfState& cs) {
  return absl::StrCat("{Voters:", EndpointList(cs.voters()),
                      " Learners:", EndpointList(cs.learners()),
                      " VotersOutgoing:", EndpointList(cs.voters_outgoing()),
                      " LearnersNext:", EndpointList(cs.learners_next()),
                      " AutoLeave:", cs.auto_leave() ? "true" : "false", "}");
}

std::string GoFormatConfChange(const raftpb::ConfChange& cc) {
  return absl::StrCat(
      "{", EnumName(cc.type(), raftpb::ConfChangeType_Name(cc.type())), " ",
      cc.node_id(), " ", GoFormatBytes(cc.context()), " ", cc.id(), "}");
}

std::string GoFormatConfChangeV2(const raftpb::ConfChangeV2& cc) {
  std::string changes;
  for (const raftpb::ConfChangeSingle& c : cc.changes()) {
    if (!changes.empty()) changes.push_back(' ');
    absl::StrAppend(&changes, "{",
                    EnumName(c.type(), raftpb::ConfChangeType_Name(c.type())),
                    " ", c.node_id(), "}");
  }
  return absl::StrCat(
      "{",
      EnumName(cc.transition(),
               raftpb::ConfChangeTransition_Name(cc.transition())),
      " [", changes, "] ", GoFormatBytes(cc.context()), "}");
}

std::string GoFormatBytes(absl::string_view b) {
  std::string out = "[";
  for (size_t i = 0; i < b.size(); ++i) {
    if (i > 0) out.push_back(' ');
    absl::StrAppend(&out, static_cast<uint8_t>(b[i]));
  }
  out.push_back(']');
  return out;
}

std::string DescribeSnapshot(const raftpb::Snapshot& s) {
  const raftpb::SnapshotMetadata& m = s.metadata();
  return absl::StrCat("Index:", m.index(), " Term:", m.term(),
                      " ConfState:", DescribeConfState(m.conf_state()));
}

std::string DescribeReadStates(absl::Span<const ReadState> rs) {
  std::string out = "[";
  for (size_t i = 0; i < rs.size(); ++i) {
    if (i > 0) out.push_back(' ');
    absl::StrAppend(&out, "{", rs[i].index, " [");
    for (size_t j = 0; j < rs[i].request_ctx.size(); ++j) {
      if (j > 0) out.push_back(' ');
      absl::StrAppend(&out, static_cast<uint8_t>(rs[i].request_ctx[j]));
    }
    out += "]}";
  }
  out += "]";
  return out;
}

std::string DescribeReady(const Ready& rd) {
  std::string out;
  if (rd.soft_state)
    absl::StrAppend(&out, DescribeSoftState(*rd.soft_state), "\n");
  if (!IsEmptyHardState(rd.hard_state)) {
    absl::StrAppend(&out, "HardState ", DescribeHardState(rd.hard_state), "\n");
  }
  if (!rd.read_states.empty()) {
    absl::StrAppend(&out, "ReadStates ", DescribeReadStates(rd.read_states),
                    "\n");
  }
  if (!rd.entries.empty()) {
    absl::StrAppend(&out, "Entries:\n", DescribeEntries(rd.entries));
  }
  if (!IsEmptySnapshot(rd.snapshot)) {
    absl::StrAppend(&out, "Snapshot ", DescribeSnapshot(rd.snapshot), "\n");
  }
  if (!rd.committed_entries.empty()) {
    absl::StrAppend(&out, "CommittedEntries:\n",
                    DescribeEntries(rd.committed_entries));
  }
  if (!rd.messages.empty()) {
    out += "Messages:\n";
    for (const Message& m : rd.messages) {
      absl::StrAppend(&out, DescribeMessage(m), "\n");
    }
  }
  if (out.empty()) return "<empty Ready>";
  return absl::StrCat("Ready MustSync=", rd.must_sync ? "true" : "false", ":\n",
                      out);
}

absl::string_view StateTypeName(StateType s) {
  switch (s) {
    case StateType::kFollower:
      return "StateFollower";
    case StateType::kCandidate:
      return "StateCandidate";
    case StateType::kLeader:
      return "StateLeader";
    case StateType::kPreCandidate:
      return "StatePreCandidate";
  }
  return "StateUnknown";
}

}  // namespace craft
