// The roles a node plays, and the volatile state that names them.

#ifndef CRAFT_STATE_H_
#define CRAFT_STATE_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "craft/raftpb.h"

namespace craft {

enum class StateType : uint8_t {
  kFollower = 0,
  kCandidate = 1,
  kLeader = 2,
  kPreCandidate = 3,
};

// StateTypeName is "StateFollower", "StateCandidate", "StateLeader" or
// "StatePreCandidate".
absl::string_view StateTypeName(StateType s);

// SoftState is the volatile state a Ready reports when it changes: it need
// not be persisted.
struct SoftState {
  uint64_t lead = kNone;
  StateType raft_state = StateType::kFollower;

  friend bool operator==(const SoftState&, const SoftState&) = default;
};

}  // namespace craft

#endif  // CRAFT_STATE_H_
