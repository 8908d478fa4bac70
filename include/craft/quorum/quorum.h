// The vocabulary shared by majority and joint configurations: how a caller
// tells a configuration what each voter acknowledged or voted, and what a
// vote count can conclude.

#ifndef CRAFT_QUORUM_QUORUM_H_
#define CRAFT_QUORUM_QUORUM_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace craft::quorum {

// kInfiniteIndex is the committed index of an empty configuration. It lets a
// joint configuration with an empty half behave exactly like its other half
// (the joint index is the minimum of the two).
inline constexpr uint64_t kInfiniteIndex = std::numeric_limits<uint64_t>::max();

// IndexString renders an index in decimal, or "∞" for kInfiniteIndex.
std::string IndexString(uint64_t index);

// AckedIndexer reports the log index a voter has acknowledged, or nullopt if
// nothing is known about that voter. Implementations must not allocate if
// callers need CommittedIndex to stay allocation-free.
using AckedIndexer = absl::FunctionRef<std::optional<uint64_t>(uint64_t id)>;

// VoteLookup reports a voter's vote: true if granted, false if rejected,
// nullopt if the voter has not answered.
using VoteLookup = absl::FunctionRef<std::optional<bool>(uint64_t id)>;

// VoteMap holds recorded votes by voter id (true = granted).
using VoteMap = absl::flat_hash_map<uint64_t, bool>;

// The state of an election as far as a configuration can tell from the
// votes so far.
enum VoteResult : uint8_t {
  // Neither a winning nor a losing quorum has been reached yet.
  kVotePending = 1,
  // Enough rejections arrived that the vote can no longer be won.
  kVoteLost = 2,
  // A quorum granted the vote.
  kVoteWon = 3,
};

// VoteResultName is "VotePending", "VoteLost" or "VoteWon".
absl::string_view VoteResultName(VoteResult r);

}  // namespace craft::quorum

#endif  // CRAFT_QUORUM_QUORUM_H_
