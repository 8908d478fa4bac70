#include "craft/confchange/conversions.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gofmt/gofmt.h"

namespace craft::confchange {
namespace {

// ParseUint64 parses a decimal uint64 the way Go's strconv.ParseUint(s, 10,
// 64) does, with its error texts: digits only (no sign, no underscores),
// scanned left to right so that overflow is reported before any later bad
// character.
absl::StatusOr<uint64_t> ParseUint64(absl::string_view s) {
  auto error = [s](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        "strconv.ParseUint: parsing ", gofmt::Quote(s), ": ", what));
  };
  if (s.empty()) return error("invalid syntax");
  constexpr uint64_t kMax = UINT64_MAX;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return error("invalid syntax");
    if (n > kMax / 10) return error("value out of range");
    n *= 10;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > kMax - d) return error("value out of range");
    n += d;
  }
  return n;
}

}  // namespace

raftpb::ConfChangeV2 AsV2(const raftpb::ConfChange& cc) {
  raftpb::ConfChangeV2 v2;
  raftpb::ConfChangeSingle* single = v2.add_changes();
  single->set_type(cc.type());
  single->set_node_id(cc.node_id());
  if (cc.has_context()) v2.set_context(cc.context());
  return v2;
}

bool EnterJoint(const raftpb::ConfChangeV2& cc, bool* auto_leave) {
  // A single change could sometimes be applied without joint consensus
  // even when it is not an addition, but telling requires the current
  // configuration; any multi-change proposal uses joint consensus.
  if (cc.transition() == raftpb::ConfChangeTransitionAuto &&
      cc.changes_size() <= 1) {
    return false;
  }
  if (auto_leave != nullptr) {
    *auto_leave = cc.transition() != raftpb::ConfChangeTransitionJointExplicit;
  }
  return true;
}

bool LeaveJoint(const raftpb::ConfChangeV2& cc) {
  return cc.transition() == raftpb::ConfChangeTransitionAuto &&
         cc.changes_size() == 0;
}

namespace {

// The white space Go's unicode.IsSpace knows: etcd trims the text with
// strings.TrimSpace, which removes these runes (UTF-8 encoded) from both
// ends.
bool IsGoSpace(uint32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// The rune UTF-8 encodes in `s` (whole), or nothing if `s` is not exactly
// one valid encoding of a rune of up to three bytes (every space is).
std::optional<uint32_t> DecodeRune(absl::string_view s) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  if (s.size() == 1 && b(0) < 0x80) return b(0);
  if (s.size() == 2 && (b(0) & 0xE0) == 0xC0 && (b(1) & 0xC0) == 0x80) {
    const uint32_t r = ((b(0) & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    if (r >= 0x80) return r;
  }
  if (s.size() == 3 && (b(0) & 0xF0) == 0xE0 && (b(1) & 0xC0) == 0x80 &&
      (b(2) & 0xC0) == 0x80) {
    const uint32_t r =
        ((b(0) & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) return r;
  }
  return std::nullopt;
}

absl::string_view TrimGoSpace(absl::string_view s) {
  for (bool trimmed = true; trimmed && !s.empty();) {
    trimmed = false;
    for (size_t n = 1; n <= 3 && n <= s.size(); ++n) {
      std::optional<uint32_t> r = DecodeRune(s.substr(0, n));
      if (r && IsGoSpace(*r)) {
        s.remove_prefix(n);
        trimmed = true;
        break;
      }
    }
  }
  for (bool trimmed = true; trimmed && !s.empty();) {
    trimmed = false;
    for (size_t n = 1; n <= 3 && n <= s.size(); ++n) {
      std::optional<uint32_t> r = DecodeRune(s.substr(s.size() - n));
      if (r && IsGoSpace(*r)) {
        s.remove_suffix(n);
        trimmed = true;
        break;
      }
    }
  }
  return s;
}

}  // namespace

absl::StatusOr<std::vector<raftpb::ConfChangeSingle>> ParseConfChanges(
    absl::string_view s) {
  std::vector<raftpb::ConfChangeSingle> changes;
  s = TrimGoSpace(s);
  if (s.empty()) return changes;
  for (absl::string_view tok : absl::StrSplit(s, ' ')) {
    if (tok.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat("unknown token ", tok));
    }
    raftpb::ConfChangeSingle cc;
    switch (tok[0]) {
      case 'v':
        cc.set_type(raftpb::ConfChangeAddNode);
        break;
      case 'l':
        cc.set_type(raftpb::ConfChangeAddLearnerNode);
        break;
      case 'r':
        cc.set_type(raftpb::ConfChangeRemoveNode);
        break;
      case 'u':
        cc.set_type(raftpb::ConfChangeUpdateNode);
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("unknown input: ", tok));
    }
    absl::StatusOr<uint64_t> id = ParseUint64(tok.substr(1));
    if (!id.ok()) return id.status();
    cc.set_node_id(*id);
    changes.push_back(std::move(cc));
  }
  return changes;
}

absl::Status Validate(const raftpb::ConfChange& cc) {
  if (!cc.unknown_fields().empty()) {
    return absl::InvalidArgumentError(
        "ConfChange carries fields or values unknown to this version");
  }
  if (IsReservedNodeId(cc.node_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("ConfChange names reserved node id ", cc.node_id()));
  }
  return absl::OkStatus();
}

absl::Status Validate(const raftpb::ConfChangeV2& cc) {
  bool unknown = !cc.unknown_fields().empty();
  for (const raftpb::ConfChangeSingle& c : cc.changes()) {
    unknown |= !c.unknown_fields().empty();
    if (IsReservedNodeId(c.node_id())) {
      return absl::InvalidArgumentError(
          absl::StrCat("ConfChangeV2 names reserved node id ", c.node_id()));
    }
  }
  if (unknown) {
    return absl::InvalidArgumentError(
        "ConfChangeV2 carries fields or values unknown to this version");
  }
  return absl::OkStatus();
}

raftpb::ConfChange Canonical(raftpb::ConfChange cc) {
  cc.set_id(cc.id());
  cc.set_type(cc.type());
  cc.set_node_id(cc.node_id());
  return cc;
}

raftpb::ConfChangeV2 Canonical(raftpb::ConfChangeV2 cc) {
  cc.set_transition(cc.transition());
  for (raftpb::ConfChangeSingle& c : *cc.mutable_changes()) {
    c.set_type(c.type());
    c.set_node_id(c.node_id());
  }
  return cc;
}

}  // namespace craft::confchange
