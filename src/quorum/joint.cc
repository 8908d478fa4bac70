#include "craft/quorum/joint.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace craft::quorum {

MajorityConfig JointConfig::Ids() const {
  MajorityConfig ids = incoming_;
  for (uint64_t id : outgoing_) ids.Insert(id);
  return ids;
}

std::string JointConfig::String() const {
  if (outgoing_.empty()) return incoming_.String();
  return absl::StrCat(incoming_.String(), "&&", outgoing_.String());
}

std::string JointConfig::Describe(AckedIndexer acked) const {
  return Ids().Describe(acked);
}

uint64_t JointConfig::CommittedIndex(AckedIndexer acked) const {
  return std::min(incoming_.CommittedIndex(acked),
                  outgoing_.CommittedIndex(acked));
}

VoteResult JointConfig::VoteResult(VoteLookup votes) const {
  const quorum::VoteResult in = incoming_.VoteResult(votes);
  const quorum::VoteResult out = outgoing_.VoteResult(votes);
  if (in == out) return in;
  if (in == kVoteLost || out == kVoteLost) return kVoteLost;
  // One half won, the other is still open.
  return kVotePending;
}

VoteResult JointConfig::VoteResult(const VoteMap& votes) const {
  return VoteResult([&votes](uint64_t id) -> std::optional<bool> {
    auto it = votes.find(id);
    if (it == votes.end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace craft::quorum
