#include "gofmt/gofmt.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/strings/str_format.h"

namespace craft::gofmt {
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

#include "gofmt/go_isprint.inc"

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

}  // namespace

std::string Quote(absl::string_view data) {
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

std::string Bytes(absl::string_view b) {
  std::string out = "[";
  for (size_t i = 0; i < b.size(); ++i) {
    if (i > 0) out.push_back(' ');
    absl::StrAppend(&out, static_cast<uint8_t>(b[i]));
  }
  out.push_back(']');
  return out;
}

std::string ConfState(const raftpb::ConfState& cs) {
  return absl::StrCat("{", UintList(cs.voters()), " ", UintList(cs.learners()),
                      " ", UintList(cs.voters_outgoing()), " ",
                      UintList(cs.learners_next()), " ",
                      cs.auto_leave() ? "true" : "false", "}");
}

std::string ConfStateNamed(const raftpb::ConfState& cs) {
  return absl::StrCat("{Voters:", UintList(cs.voters()),
                      " Learners:", UintList(cs.learners()),
                      " VotersOutgoing:", UintList(cs.voters_outgoing()),
                      " LearnersNext:", UintList(cs.learners_next()),
                      " AutoLeave:", cs.auto_leave() ? "true" : "false", "}");
}

std::string ConfChange(const raftpb::ConfChange& cc) {
  return absl::StrCat(
      "{", EnumValue(cc.type(), raftpb::ConfChangeType_Name(cc.type())), " ",
      cc.node_id(), " ", Bytes(cc.context()), " ", cc.id(), "}");
}

std::string ConfChangeV2(const raftpb::ConfChangeV2& cc) {
  std::string changes;
  for (const raftpb::ConfChangeSingle& c : cc.changes()) {
    if (!changes.empty()) changes.push_back(' ');
    absl::StrAppend(&changes, "{",
                    EnumValue(c.type(), raftpb::ConfChangeType_Name(c.type())),
                    " ", c.node_id(), "}");
  }
  return absl::StrCat(
      "{",
      EnumValue(cc.transition(),
                raftpb::ConfChangeTransition_Name(cc.transition())),
      " [", changes, "] ", Bytes(cc.context()), "}");
}

}  // namespace craft::gofmt
