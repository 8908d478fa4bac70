#include "sim/event.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace craft::sim {
namespace {

constexpr std::pair<EventType, absl::string_view> kNames[] = {
    {EventType::kTick, "tick"},
    {EventType::kDeliver, "deliver"},
    {EventType::kDuplicate, "duplicate"},
    {EventType::kDrop, "drop"},
    {EventType::kReplay, "replay"},
    {EventType::kPut, "put"},
    {EventType::kDelete, "delete"},
    {EventType::kCas, "cas"},
    {EventType::kGet, "get"},
    {EventType::kConfChange, "confchange"},
    {EventType::kLeaveJoint, "leave-joint"},
    {EventType::kTransfer, "transfer"},
    {EventType::kCompact, "compact"},
    {EventType::kForgetLeader, "forget-leader"},
    {EventType::kCrash, "crash"},
    {EventType::kRestart, "restart"},
    {EventType::kPartition, "partition"},
    {EventType::kCut, "cut"},
    {EventType::kHeal, "heal"},
    {EventType::kStall, "stall"},
    {EventType::kUnstall, "unstall"},
    {EventType::kDiskWrite, "disk-write"},
    {EventType::kDiskApply, "disk-apply"},
    {EventType::kHostile, "hostile"},
    {EventType::kRaw, "raw"},
    {EventType::kStable, "stable"},
};

}  // namespace

std::string FormatEvent(const Event& e) {
  absl::string_view name = "?";
  for (const auto& [t, n] : kNames) {
    if (t == e.type) name = n;
  }
  std::string out = absl::StrCat(e.time, " ", name);
  if (e.node != 0) absl::StrAppend(&out, " node=", e.node);
  if (e.to != 0) absl::StrAppend(&out, " to=", e.to);
  if (e.n != 0) absl::StrAppend(&out, " n=", e.n);
  if (e.arg != 0) absl::StrAppend(&out, " arg=", e.arg);
  if (!e.key.empty()) absl::StrAppend(&out, " key=", e.key);
  if (!e.value.empty()) absl::StrAppend(&out, " value=", e.value);
  // Last: the text runs to the end of the line.
  if (!e.text.empty()) absl::StrAppend(&out, " text=", e.text);
  return out;
}

absl::StatusOr<Event> ParseEvent(absl::string_view line) {
  Event e;
  absl::string_view rest = absl::StripAsciiWhitespace(line);
  std::string text;
  if (size_t t = rest.find(" text="); t != absl::string_view::npos) {
    text = std::string(rest.substr(t + 6));
    rest = rest.substr(0, t);
  }
  std::vector<absl::string_view> f =
      absl::StrSplit(rest, ' ', absl::SkipEmpty());
  if (f.size() < 2 || !absl::SimpleAtoi(f[0], &e.time)) {
    return absl::InvalidArgumentError(absl::StrCat("bad event: ", line));
  }
  bool known = false;
  for (const auto& [t, n] : kNames) {
    if (n == f[1]) {
      e.type = t;
      known = true;
    }
  }
  if (!known) {
    return absl::InvalidArgumentError(absl::StrCat("unknown event: ", f[1]));
  }
  for (size_t i = 2; i < f.size(); ++i) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(f[i], absl::MaxSplits('=', 1));
    uint64_t* num = nullptr;
    if (kv.first == "node") num = &e.node;
    if (kv.first == "to") num = &e.to;
    if (kv.first == "n") num = &e.n;
    if (kv.first == "arg") num = &e.arg;
    if (num != nullptr) {
      if (!absl::SimpleAtoi(kv.second, num)) {
        return absl::InvalidArgumentError(absl::StrCat("bad number: ", f[i]));
      }
    } else if (kv.first == "key") {
      e.key = std::string(kv.second);
    } else if (kv.first == "value") {
      e.value = std::string(kv.second);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown field: ", f[i]));
    }
  }
  e.text = std::move(text);
  return e;
}

absl::StatusOr<std::vector<Event>> ParseEvents(absl::string_view text) {
  std::vector<Event> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    absl::StatusOr<Event> e = ParseEvent(line);
    if (!e.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": ", e.status().message()));
    }
    out.push_back(*std::move(e));
  }
  return out;
}

}  // namespace craft::sim
