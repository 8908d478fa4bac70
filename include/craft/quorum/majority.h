// MajorityConfig: a set of voters that decides by simple majority.

#ifndef CRAFT_QUORUM_MAJORITY_H_
#define CRAFT_QUORUM_MAJORITY_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "craft/quorum/quorum.h"

namespace craft::quorum {

// A set of voter ids, kept sorted so that iteration is in ascending order.
// Sets of up to three voters live inline (every group holds two sets, and
// most groups have three voters); larger ones take one allocation.
class MajorityConfig {
 public:
  using const_iterator = absl::InlinedVector<uint64_t, 3>::const_iterator;

  MajorityConfig() = default;
  MajorityConfig(std::initializer_list<uint64_t> ids);

  // Insert adds `id`; it returns false if it was already present.
  bool Insert(uint64_t id);
  // Erase removes `id`; it returns false if it was absent.
  bool Erase(uint64_t id);
  bool Contains(uint64_t id) const;
  void Clear() { ids_.clear(); }

  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  const_iterator begin() const { return ids_.begin(); }
  const_iterator end() const { return ids_.end(); }
  // The voter ids in ascending order.
  absl::Span<const uint64_t> ids() const { return ids_; }

  // "(1 2 3)"; "()" when empty.
  std::string String() const;

  // Describe renders a table of every voter's acknowledged index, one row
  // per voter in ascending id order, with a bar whose length ranks the
  // voter's index among the others (equal indexes share a bare ">", an
  // unknown index shows "?"). An empty config renders as
  // "<empty majority quorum>" without a newline.
  std::string Describe(AckedIndexer acked) const;

  // CommittedIndex is the largest index acknowledged by a majority of the
  // voters; voters with no known index count as having acknowledged 0. An
  // empty config returns kInfiniteIndex. Does not allocate for up to seven
  // voters.
  uint64_t CommittedIndex(AckedIndexer acked) const;
  // The same computed from the acknowledged indexes themselves, one per
  // voter in any order (0 for an unknown one). Reorders `acked`.
  static uint64_t CommittedIndex(absl::Span<uint64_t> acked);

  // VoteResult tells whether the votes so far win, lose, or leave the
  // election open. Votes of non-members are ignored. An empty config wins.
  quorum::VoteResult VoteResult(VoteLookup votes) const;
  quorum::VoteResult VoteResult(const VoteMap& votes) const;

  friend bool operator==(const MajorityConfig&,
                         const MajorityConfig&) = default;

 private:
  // Sorted ascending, no duplicates.
  absl::InlinedVector<uint64_t, 3> ids_;
};

}  // namespace craft::quorum

#endif  // CRAFT_QUORUM_MAJORITY_H_
