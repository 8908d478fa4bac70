// The quorum language: `committed` and `vote` with cfg=(ids) [cfgj=(ids) |
// cfgj=zero] and idx=(...) or votes=(...), one value per distinct voter in
// order of first appearance. Besides the answer, the handler cross-checks
// it against other computations that must agree (symmetry of joint
// configurations, a majority joined with nothing or with itself, lowering
// indexes that cannot matter) and prints any disagreement.

#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "craft/quorum/joint.h"
#include "craft/quorum/majority.h"
#include "craft/quorum/quorum.h"
#include "datadriven/suites.h"

namespace craft::datadriven {
namespace {

using quorum::JointConfig;
using quorum::MajorityConfig;

// Known values by voter id; absent = nothing known.
using Lookup = absl::btree_map<uint64_t, uint64_t>;

std::optional<uint64_t> Find(const Lookup& l, uint64_t id) {
  auto it = l.find(id);
  if (it == l.end()) return std::nullopt;
  return it->second;
}

// MakeLookup assigns values[k] to the k-th distinct id of cfg then cfgj;
// a value of 0 stands for "_" and leaves the voter unknown.
Lookup MakeLookup(const std::vector<uint64_t>& values,
                  const std::vector<uint64_t>& ids,
                  const std::vector<uint64_t>& idsj) {
  Lookup assigned;
  size_t next = 0;
  std::vector<uint64_t> all = ids;
  all.insert(all.end(), idsj.begin(), idsj.end());
  for (uint64_t id : all) {
    if (assigned.contains(id) || next >= values.size()) continue;
    assigned[id] = values[next++];
  }
  Lookup l;
  for (const auto& [id, v] : assigned) {
    if (v != 0) l[id] = v;
  }
  return l;
}

// The committed index by a second definition: the largest acknowledged
// index (or 0) that at least a majority has reached.
uint64_t AlternativeCommitted(const MajorityConfig& c, const Lookup& l) {
  if (c.empty()) return quorum::kInfiniteIndex;
  std::vector<uint64_t> indexes;
  for (uint64_t id : c) indexes.push_back(Find(l, id).value_or(0));
  const size_t quorum = c.size() / 2 + 1;
  uint64_t best = 0;
  for (uint64_t candidate : indexes) {
    size_t reached = 0;
    for (uint64_t v : indexes) reached += v >= candidate ? 1 : 0;
    if (reached >= quorum) best = std::max(best, candidate);
  }
  return best;
}

std::string Committed(const MajorityConfig& c, const MajorityConfig& cj,
                      bool joint, const Lookup& l) {
  auto acked = [&l](uint64_t id) { return Find(l, id); };
  std::string out;
  if (!joint) {
    const uint64_t idx = c.CommittedIndex(acked);
    out = c.Describe(acked);
    auto check = [&](uint64_t alt, absl::string_view via) {
      if (alt != idx) {
        absl::StrAppend(&out, quorum::IndexString(alt), " <-- via ", via, "\n");
      }
    };
    check(AlternativeCommitted(c, l), "alternative computation");
    check(JointConfig(c, MajorityConfig()).CommittedIndex(acked),
          "zero-joint quorum");
    check(JointConfig(c, c).CommittedIndex(acked), "self-joint quorum");
    // Lowering a voter's index that is already below the committed one
    // must not change the result.
    auto overlay = [&](uint64_t who, uint64_t value) {
      Lookup ll;
      for (uint64_t id : c) {
        if (id == who) {
          ll[id] = value;
        } else if (auto v = Find(l, id)) {
          ll[id] = *v;
        }
      }
      return c.CommittedIndex([&ll](uint64_t id) { return Find(ll, id); });
    };
    for (uint64_t id : c) {
      const uint64_t iidx = Find(l, id).value_or(0);
      if (idx > iidx && iidx > 0) {
        if (uint64_t alt = overlay(id, iidx - 1); alt != idx) {
          absl::StrAppend(&out, quorum::IndexString(alt), " <-- overlaying ",
                          id, "->", iidx);
        }
        if (uint64_t alt = overlay(id, 0); alt != idx) {
          absl::StrAppend(&out, quorum::IndexString(alt), " <-- overlaying ",
                          id, "->0");
        }
      }
    }
    absl::StrAppend(&out, quorum::IndexString(idx), "\n");
    return out;
  }
  const JointConfig cc(c, cj);
  out = cc.Describe(acked);
  const uint64_t idx = cc.CommittedIndex(acked);
  if (uint64_t alt = JointConfig(cj, c).CommittedIndex(acked); alt != idx) {
    absl::StrAppend(&out, quorum::IndexString(alt), " <-- via symmetry\n");
  }
  absl::StrAppend(&out, quorum::IndexString(idx), "\n");
  return out;
}

std::string Vote(const MajorityConfig& c, const MajorityConfig& cj, bool joint,
                 const Lookup& l) {
  // 1 = rejected, 2 = granted.
  auto votes = [&l](uint64_t id) -> std::optional<bool> {
    std::optional<uint64_t> v = Find(l, id);
    if (!v.has_value()) return std::nullopt;
    return *v != 1;
  };
  if (!joint)
    return absl::StrCat(quorum::VoteResultName(c.VoteResult(votes)), "\n");
  std::string out;
  const quorum::VoteResult r = JointConfig(c, cj).VoteResult(votes);
  if (quorum::VoteResult alt = JointConfig(cj, c).VoteResult(votes); alt != r) {
    absl::StrAppend(&out, quorum::VoteResultName(alt), " <-- via symmetry\n");
  }
  absl::StrAppend(&out, quorum::VoteResultName(r), "\n");
  return out;
}

absl::StatusOr<std::string> RunQuorum(const TestData& d) {
  bool joint = false;
  std::vector<uint64_t> ids;
  std::vector<uint64_t> idsj;
  std::vector<uint64_t> idxs;
  std::vector<uint64_t> votes;
  for (const CmdArg& arg : d.cmd_args) {
    for (size_t i = 0; i < arg.vals.size(); ++i) {
      const std::string& val = arg.vals[i];
      if (arg.key == "cfg") {
        uint64_t n;
        if (absl::Status s = arg.Scan(i, &n); !s.ok()) return s;
        ids.push_back(n);
      } else if (arg.key == "cfgj") {
        joint = true;
        if (val == "zero") {
          if (arg.vals.size() != 1) {
            return absl::InvalidArgumentError(
                "cannot mix 'zero' into configuration");
          }
        } else {
          uint64_t n;
          if (absl::Status s = arg.Scan(i, &n); !s.ok()) return s;
          idsj.push_back(n);
        }
      } else if (arg.key == "idx") {
        uint64_t n = 0;
        if (val != "_") {
          if (absl::Status s = arg.Scan(i, &n); !s.ok()) return s;
          // 0 is how "_" is represented.
          if (n == 0) return absl::InvalidArgumentError("cannot use 0 as idx");
        }
        idxs.push_back(n);
      } else if (arg.key == "votes") {
        if (val == "y") {
          votes.push_back(2);
        } else if (val == "n") {
          votes.push_back(1);
        } else if (val == "_") {
          votes.push_back(0);
        } else {
          return absl::InvalidArgumentError(
              absl::StrCat("unknown vote: ", val));
        }
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown arg ", arg.key));
      }
    }
  }
  MajorityConfig c;
  for (uint64_t id : ids) c.Insert(id);
  MajorityConfig cj;
  for (uint64_t id : idsj) cj.Insert(id);

  const std::vector<uint64_t>& input = d.cmd == "vote" ? votes : idxs;
  const MajorityConfig voters = JointConfig(c, cj).Ids();
  if (voters.size() != input.size()) {
    std::vector<std::string> members;
    for (uint64_t id : voters) members.push_back(absl::StrCat(id, ":{}"));
    std::vector<std::string> values;
    for (uint64_t v : input) values.push_back(quorum::IndexString(v));
    return absl::StrCat(
        "error: mismatched input (explicit or _) for voters map[",
        absl::StrJoin(members, " "), "]: [", absl::StrJoin(values, " "), "]");
  }

  if (d.cmd == "committed") {
    return Committed(c, cj, joint, MakeLookup(idxs, ids, idsj));
  }
  if (d.cmd == "vote") return Vote(c, cj, joint, MakeLookup(votes, ids, idsj));
  return absl::InvalidArgumentError(absl::StrCat("unknown command: ", d.cmd));
}

}  // namespace

HandlerFactory QuorumSuite() {
  return [] { return Handler(RunQuorum); };
}

}  // namespace craft::datadriven
