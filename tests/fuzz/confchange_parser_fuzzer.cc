// Arbitrary bytes as the text form of configuration changes ("v1 l2 r3 u4").
//
// The parser is compared with an independent reading of its documented
// grammar (outcome, changes, and the kind of error); a parse failure must
// carry a message. A parsed list must survive the round trip through
// DescribeConfChanges. Applied with a Changer to a few small trackers
// (empty, plain, with learners, joint), simply and as a joint change, each
// call must return a Status; it must succeed exactly when the changes are
// acceptable (no reserved id, voters left, at most one voter changed for a
// simple change, no change on a joint configuration), and a result must
// satisfy the configuration invariants, give every named node the
// membership its last change asks for, leave the others alone, survive
// Restore from its ConfState, and (joint) leave its joint configuration
// cleanly.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "craft/confchange/confchange.h"
#include "craft/confchange/conversions.h"
#include "craft/describe.h"
#include "craft/raftpb.h"
#include "craft/tracker/tracker.h"

namespace craft::fuzz {
namespace {

using Changes = std::vector<raftpb::ConfChangeSingle>;
using Ids = std::set<uint64_t>;

constexpr uint64_t kLastIndex = 7;

[[noreturn]] void Die(absl::string_view input, const std::string& what) {
  std::fprintf(stderr, "input %s: %s\n", QuoteData(input).c_str(),
               what.c_str());
  std::abort();
}

// What the parser must do, read from its contract: the error kinds are
// "unknown token", "unknown input: " and "strconv.ParseUint: ".
struct Expected {
  bool ok = true;
  Changes changes;
  std::string error_prefix;
};

Expected Oracle(absl::string_view s) {
  // Go's strings.TrimSpace: the UTF-8 encodings of unicode.IsSpace's runes.
  static const std::vector<std::string> kSpaces = [] {
    std::vector<std::string> v = {" ",
                                  "\t",
                                  "\n",
                                  "\v",
                                  "\f",
                                  "\r",
                                  "\xc2\x85",
                                  "\xc2\xa0",
                                  "\xe1\x9a\x80",
                                  "\xe2\x80\xa8",
                                  "\xe2\x80\xa9",
                                  "\xe2\x80\xaf",
                                  "\xe2\x81\x9f",
                                  "\xe3\x80\x80"};
    for (char c = '\x80'; c <= '\x8a'; ++c) {
      v.push_back(std::string("\xe2\x80") + c);
    }
    return v;
  }();
  for (bool again = true; again;) {
    again = false;
    for (const std::string& sp : kSpaces) {
      if (absl::ConsumePrefix(&s, sp) || absl::ConsumeSuffix(&s, sp)) {
        again = true;
      }
    }
  }
  Expected x;
  if (s.empty()) return x;
  auto fail = [&x](absl::string_view prefix) {
    x.ok = false;
    x.changes.clear();
    x.error_prefix = std::string(prefix);
    return x;
  };
  size_t start = 0;
  for (;;) {
    const size_t end = std::min(s.find(' ', start), s.size());
    const absl::string_view tok = s.substr(start, end - start);
    if (tok.size() < 2) return fail("unknown token");
    // The operation letters, as etcd-io/raft's ConfChangesFromString reads
    // them.
    static constexpr std::pair<char, raftpb::ConfChangeType> kOps[] = {
        {'v', raftpb::ConfChangeAddNode},
        {'l', raftpb::ConfChangeAddLearnerNode},
        {'r', raftpb::ConfChangeRemoveNode},
        {'u', raftpb::ConfChangeUpdateNode}};
    const auto* op =
        std::find_if(std::begin(kOps), std::end(kOps),
                     [&](const auto& o) { return o.first == tok[0]; });
    if (op == std::end(kOps)) return fail("unknown input: ");
    raftpb::ConfChangeSingle cc;
    cc.set_type(op->second);
    unsigned __int128 id = 0;
    for (char c : tok.substr(1)) {
      if (c < '0' || c > '9') return fail("strconv.ParseUint: ");
      id = id * 10 + static_cast<unsigned>(c - '0');
      if (id > UINT64_MAX) return fail("strconv.ParseUint: ");
    }
    cc.set_node_id(static_cast<uint64_t>(id));
    x.changes.push_back(cc);
    if (end == s.size()) return x;
    start = end + 1;
  }
}

bool Same(const Changes& a, const Changes& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].type() != b[i].type() || a[i].node_id() != b[i].node_id()) {
      return false;
    }
  }
  return true;
}

Ids ToIds(const quorum::MajorityConfig& c) { return Ids(c.begin(), c.end()); }
Ids ToIds(const tracker::IdSet& c) { return Ids(c.begin(), c.end()); }
std::string Str(const Ids& ids) { return absl::StrJoin(ids, " "); }

// The configuration invariants, checked independently of confchange's own.
std::string Invariants(const confchange::ChangeResult& r) {
  const tracker::TrackerConfig& c = r.config;
  const Ids in = ToIds(c.voters.incoming());
  const Ids out = ToIds(c.voters.outgoing());
  const Ids learners = ToIds(c.learners);
  const Ids next = ToIds(c.learners_next);
  if (in.empty()) return "no incoming voters";
  Ids members = learners;
  for (uint64_t id : learners) {
    if (in.contains(id) || out.contains(id)) {
      return absl::StrCat(id, " is a learner and a voter");
    }
  }
  for (uint64_t id : next) {
    if (!out.contains(id)) {
      return absl::StrCat(id, " is staged but not an outgoing voter");
    }
  }
  if (out.empty() && (!next.empty() || c.auto_leave)) {
    return "staged learners or auto-leave outside a joint configuration";
  }
  members.insert(in.begin(), in.end());
  members.insert(out.begin(), out.end());
  Ids with_progress;
  for (const auto& [id, pr] : r.progress) {
    with_progress.insert(id);
    if (pr.is_learner() != learners.contains(id)) {
      return absl::StrCat("progress of ", id, " has the wrong learner flag");
    }
  }
  if (with_progress != members) {
    return absl::StrCat("progress for (", Str(with_progress), ") but members (",
                        Str(members), ")");
  }
  return "";
}

// Restoring from the result's ConfState gives the same configuration.
std::string RestoresTo(const confchange::ChangeResult& r) {
  tracker::ProgressTracker trk(8, 0);
  trk.SetConfig(r.config, r.progress);
  const raftpb::ConfState cs = trk.ConfState();
  tracker::ProgressTracker fresh(8, 0);
  absl::StatusOr<confchange::ChangeResult> back =
      confchange::Restore(confchange::Changer(fresh, kLastIndex), cs);
  if (!back.ok()) {
    return absl::StrCat("Restore(", DescribeConfState(cs),
                        ") fails: ", back.status().message());
  }
  if (!(back->config == r.config)) {
    return absl::StrCat("Restore(", DescribeConfState(cs), ") gives ",
                        back->config.String(), " instead of ",
                        r.config.String());
  }
  return "";
}

// Checks one Changer call on `trk` (simple when `joint` is false).
std::string CheckChange(const tracker::ProgressTracker& trk,
                        const Changes& changes, bool joint, bool auto_leave) {
  const tracker::TrackerConfig before = trk.config();
  const Ids in_before = ToIds(before.voters.incoming());
  const confchange::Changer changer(trk, kLastIndex);
  absl::StatusOr<confchange::ChangeResult> r =
      joint ? changer.EnterJoint(auto_leave, changes) : changer.Simple(changes);
  const std::string what = absl::StrCat(
      joint ? (auto_leave ? "EnterJoint(auto) on " : "EnterJoint on ")
            : "Simple on ",
      before.String(), ": ");
  if (!(trk.config() == before)) return what + "changed the tracker";

  // Whether the change is acceptable, and the membership it asks for.
  bool acceptable = !before.voters.IsJoint();
  if (joint && in_before.empty()) acceptable = false;
  Ids in = in_before;
  // id -> the last change naming it (UpdateNode changes nothing).
  std::map<uint64_t, raftpb::ConfChangeType> last;
  for (const raftpb::ConfChangeSingle& cc : changes) {
    if (cc.node_id() == 0) continue;
    if (IsReservedNodeId(cc.node_id())) acceptable = false;
    if (cc.type() == raftpb::ConfChangeUpdateNode) continue;
    last[cc.node_id()] = cc.type();
    if (cc.type() == raftpb::ConfChangeAddNode) {
      in.insert(cc.node_id());
    } else {
      in.erase(cc.node_id());
    }
  }
  if (in.empty()) acceptable = false;
  if (!joint) {
    size_t diff = 0;
    for (uint64_t id : in) diff += in_before.contains(id) ? 0 : 1;
    for (uint64_t id : in_before) diff += in.contains(id) ? 0 : 1;
    if (diff > 1) acceptable = false;
  }

  if (!r.ok()) {
    if (r.status().message().empty()) return what + "an error without text";
    if (acceptable) {
      return absl::StrCat(what, "refused: ", r.status().message());
    }
    return "";
  }
  if (!acceptable) return absl::StrCat(what, "accepted ", r->config.String());
  if (std::string bad = Invariants(*r); !bad.empty()) {
    return absl::StrCat(what, r->config.String(), ": ", bad);
  }
  const tracker::TrackerConfig& c = r->config;
  const Ids out = ToIds(c.voters.outgoing());
  if (joint ? out != in_before || c.auto_leave != auto_leave : !out.empty()) {
    return absl::StrCat(what, "wrong outgoing half: ", c.String());
  }
  if (ToIds(c.voters.incoming()) != in) {
    return absl::StrCat(what, "incoming voters ", c.String(), ", expected (",
                        Str(in), ")");
  }
  const Ids learners_before = ToIds(before.learners);
  Ids everyone = learners_before;
  everyone.insert(in_before.begin(), in_before.end());
  for (const auto& [id, t] : last) everyone.insert(id);
  for (uint64_t id : everyone) {
    const bool learner = c.learners.contains(id);
    const bool staged = c.learners_next.contains(id);
    bool want_learner = learners_before.contains(id);
    bool want_staged = false;
    if (auto it = last.find(id); it != last.end()) {
      const bool to_learner = it->second == raftpb::ConfChangeAddLearnerNode;
      want_staged = to_learner && out.contains(id);
      want_learner = to_learner && !want_staged;
    }
    if (learner != want_learner || staged != want_staged) {
      return absl::StrCat(what, "node ", id, " ends as ", c.String());
    }
  }
  for (const auto& [id, pr] : r->progress) {
    if (trk.progress().contains(id)) continue;
    if (pr.match() != 0 || pr.next() != kLastIndex) {
      return absl::StrCat(what, "new progress of ", id, " is ", pr.String());
    }
  }
  if (std::string bad = RestoresTo(*r); !bad.empty()) return what + bad;

  if (joint) {
    tracker::ProgressTracker entered(8, 0);
    entered.SetConfig(r->config, r->progress);
    absl::StatusOr<confchange::ChangeResult> left =
        confchange::Changer(entered, kLastIndex).LeaveJoint();
    if (!left.ok()) {
      return absl::StrCat(what, "cannot leave ", c.String(), ": ",
                          left.status().message());
    }
    Ids learners = ToIds(c.learners);
    learners.insert(c.learners_next.begin(), c.learners_next.end());
    if (std::string bad = Invariants(*left); !bad.empty()) {
      return absl::StrCat(what, "leaving gives ", left->config.String(), ": ",
                          bad);
    }
    if (left->config.voters.IsJoint() ||
        ToIds(left->config.learners) != learners ||
        ToIds(left->config.voters.incoming()) != in) {
      return absl::StrCat(what, "leaving ", c.String(), " gives ",
                          left->config.String());
    }
  }
  return "";
}

// The trackers the changes are applied to.
std::vector<raftpb::ConfState> Starts() {
  std::vector<raftpb::ConfState> out(4);
  for (uint64_t id : {1, 2, 3}) {
    out[1].add_voters(id);
    out[2].add_voters(id);
  }
  out[2].add_learners(4);
  for (uint64_t id : {1, 2, 4}) out[3].add_voters(id);
  for (uint64_t id : {1, 2, 3}) out[3].add_voters_outgoing(id);
  out[3].add_learners(5);
  out[3].add_learners_next(3);
  return out;
}

}  // namespace
}  // namespace craft::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using craft::fuzz::Die;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<craft::fuzz::Changes> parsed =
      craft::confchange::ParseConfChanges(text);
  const craft::fuzz::Expected want = craft::fuzz::Oracle(text);
  if (!parsed.ok()) {
    if (want.ok) {
      Die(text, absl::StrCat("refused: ", parsed.status().message()));
    }
    if (!absl::StartsWith(parsed.status().message(), want.error_prefix)) {
      Die(text, absl::StrCat("error \"", parsed.status().message(),
                             "\", expected one starting \"", want.error_prefix,
                             "\""));
    }
    return 0;
  }
  if (!want.ok) {
    Die(text, absl::StrCat("accepted; expected an error \"", want.error_prefix,
                           "...\""));
  }
  const std::string described = craft::DescribeConfChanges(*parsed);
  if (!craft::fuzz::Same(*parsed, want.changes)) {
    Die(text, absl::StrCat("parsed as \"", described, "\", expected \"",
                           craft::DescribeConfChanges(want.changes), "\""));
  }
  const absl::StatusOr<craft::fuzz::Changes> again =
      craft::confchange::ParseConfChanges(described);
  if (!again.ok() || !craft::fuzz::Same(*parsed, *again)) {
    Die(text, absl::StrCat("\"", described, "\" does not parse back: ",
                           again.ok() ? craft::DescribeConfChanges(*again)
                                      : std::string(again.status().message())));
  }

  static const std::vector<craft::raftpb::ConfState> starts =
      craft::fuzz::Starts();
  for (const craft::raftpb::ConfState& cs : starts) {
    craft::tracker::ProgressTracker trk(8, 0);
    absl::StatusOr<craft::confchange::ChangeResult> start =
        craft::confchange::Restore(craft::confchange::Changer(trk, 1), cs);
    if (!start.ok()) Die(text, "cannot build a start tracker");
    trk.SetConfig(start->config, start->progress);
    for (int mode = 0; mode < 3; ++mode) {
      const std::string bad =
          craft::fuzz::CheckChange(trk, *parsed, mode > 0, mode == 2);
      if (!bad.empty()) Die(text, bad);
    }
  }
  return 0;
}
