#include "craft/quorum/quorum.h"

#include "absl/strings/str_cat.h"

namespace craft::quorum {

std::string IndexString(uint64_t index) {
  if (index == kInfiniteIndex) return "\xE2\x88\x9E";  // U+221E INFINITY
  return absl::StrCat(index);
}

absl::string_view VoteResultName(VoteResult r) {
  switch (r) {
    case kVotePending:
      return "VotePending";
    case kVoteLost:
      return "VoteLost";
    case kVoteWon:
      return "VoteWon";
  }
  return "VoteResult(?)";
}

}  // namespace craft::quorum
