#include "craft/quorum/majority.h"

#include <algorithm>
#include <vector>

#include "absl/container/fixed_array.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace craft::quorum {

MajorityConfig::MajorityConfig(std::initializer_list<uint64_t> ids) {
  for (uint64_t id : ids) Insert(id);
}

bool MajorityConfig::Insert(uint64_t id) {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it != ids_.end() && *it == id) return false;
  ids_.insert(it, id);
  return true;
}

bool MajorityConfig::Erase(uint64_t id) {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) return false;
  ids_.erase(it);
  return true;
}

bool MajorityConfig::Contains(uint64_t id) const {
  return std::binary_search(ids_.begin(), ids_.end(), id);
}

std::string MajorityConfig::String() const {
  return absl::StrCat("(", absl::StrJoin(ids_, " "), ")");
}

std::string MajorityConfig::Describe(AckedIndexer acked) const {
  if (ids_.empty()) return "<empty majority quorum>";
  struct Row {
    uint64_t id;
    uint64_t index;  // 0 when unknown
    bool known;
    size_t bar = 0;
  };
  const size_t n = ids_.size();
  std::vector<Row> rows;
  rows.reserve(n);
  for (uint64_t id : ids_) {
    std::optional<uint64_t> index = acked(id);
    rows.push_back(Row{id, index.value_or(0), index.has_value()});
  }
  // Rank by index (ties broken by id); a row's bar is its rank, except that
  // a row whose index equals its predecessor's gets no bar at all.
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.index != b.index ? a.index < b.index : a.id < b.id;
  });
  for (size_t i = 1; i < n; ++i) {
    if (rows[i - 1].index < rows[i].index) rows[i].bar = i;
  }
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return a.id < b.id; });

  std::string out = absl::StrCat(std::string(n, ' '), "    idx\n");
  for (const Row& row : rows) {
    if (!row.known) {
      absl::StrAppend(&out, "?", std::string(n, ' '));
    } else {
      absl::StrAppend(&out, std::string(row.bar, 'x'), ">",
                      std::string(n - row.bar, ' '));
    }
    absl::StrAppendFormat(&out, " %5d    (id=%d)\n", row.index, row.id);
  }
  return out;
}

uint64_t MajorityConfig::CommittedIndex(AckedIndexer acked) const {
  // Inline storage for the common cluster sizes keeps this allocation-free:
  // it runs on every acknowledgement the leader receives.
  absl::FixedArray<uint64_t, 7> indexes(ids_.size());
  for (size_t i = 0; i < ids_.size(); ++i) {
    indexes[i] = acked(ids_[i]).value_or(0);
  }
  return CommittedIndex(absl::MakeSpan(indexes));
}

uint64_t MajorityConfig::CommittedIndex(absl::Span<uint64_t> acked) {
  const size_t n = acked.size();
  if (n == 0) return kInfiniteIndex;
  // In ascending order, every element from position n - (n/2 + 1) on is
  // acknowledged by at least a majority (n/2 + 1 voters).
  const size_t pos = n - (n / 2 + 1);
  if (n <= 7) {
    // Insertion sort: cheaper than nth_element for a handful of voters.
    for (size_t i = 1; i < n; ++i) {
      const uint64_t v = acked[i];
      size_t j = i;
      for (; j > 0 && acked[j - 1] > v; --j) acked[j] = acked[j - 1];
      acked[j] = v;
    }
    return acked[pos];
  }
  std::nth_element(acked.begin(), acked.begin() + pos, acked.end());
  return acked[pos];
}

VoteResult MajorityConfig::VoteResult(VoteLookup votes) const {
  if (ids_.empty()) return kVoteWon;
  size_t granted = 0;
  size_t missing = 0;
  for (uint64_t id : ids_) {
    std::optional<bool> v = votes(id);
    if (!v.has_value()) {
      ++missing;
    } else if (*v) {
      ++granted;
    }
  }
  const size_t quorum = ids_.size() / 2 + 1;
  if (granted >= quorum) return kVoteWon;
  if (granted + missing >= quorum) return kVotePending;
  return kVoteLost;
}

VoteResult MajorityConfig::VoteResult(const VoteMap& votes) const {
  return VoteResult([&votes](uint64_t id) -> std::optional<bool> {
    auto it = votes.find(id);
    if (it == votes.end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace craft::quorum
