// JointConfig: two majority configurations that must both agree, the shape
// of a configuration while it moves from one voter set to another.

#ifndef CRAFT_QUORUM_JOINT_H_
#define CRAFT_QUORUM_JOINT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "craft/quorum/majority.h"
#include "craft/quorum/quorum.h"

namespace craft::quorum {

// The incoming half holds the voters being moved to (the only half outside
// of a joint configuration); the outgoing half is empty unless the
// configuration is joint. The halves may overlap.
//
// (The outgoing half takes a pointer until it is used: every group has a
// configuration, and few are joint.)
class JointConfig {
 public:
  JointConfig() = default;
  JointConfig(MajorityConfig incoming, MajorityConfig outgoing);
  JointConfig(const JointConfig& other);
  JointConfig& operator=(const JointConfig& other);
  JointConfig(JointConfig&&) noexcept = default;
  JointConfig& operator=(JointConfig&&) noexcept = default;

  const MajorityConfig& incoming() const { return incoming_; }
  const MajorityConfig& outgoing() const {
    return outgoing_ ? *outgoing_ : Empty();
  }
  MajorityConfig* mutable_incoming() { return &incoming_; }
  MajorityConfig* mutable_outgoing();

  // Whether the outgoing half is in use.
  bool IsJoint() const { return outgoing_ && !outgoing_->empty(); }

  // The union of both halves.
  MajorityConfig Ids() const;
  bool Contains(uint64_t id) const {
    return incoming_.Contains(id) || (outgoing_ && outgoing_->Contains(id));
  }

  // "(1 2 3)", or "(1 2 3)&&(1 2)" when the outgoing half is non-empty.
  std::string String() const;

  // The acknowledged-index table of MajorityConfig::Describe, over the
  // union of both halves.
  std::string Describe(AckedIndexer acked) const;

  // The largest index committed in both halves: the minimum of their
  // committed indexes. Does not allocate for halves of up to seven voters.
  uint64_t CommittedIndex(AckedIndexer acked) const;

  // Won only if both halves win; lost as soon as either half loses.
  quorum::VoteResult VoteResult(VoteLookup votes) const;
  quorum::VoteResult VoteResult(const VoteMap& votes) const;

  friend bool operator==(const JointConfig& a, const JointConfig& b) {
    return a.incoming_ == b.incoming_ && a.outgoing() == b.outgoing();
  }

 private:
  static const MajorityConfig& Empty();

  MajorityConfig incoming_;
  std::unique_ptr<MajorityConfig> outgoing_;  // null: empty
};

}  // namespace craft::quorum

#endif  // CRAFT_QUORUM_JOINT_H_
