// A snapshot of a node's state, for monitoring and tests.

#ifndef CRAFT_NODE_STATUS_H_
#define CRAFT_NODE_STATUS_H_

#include <cstdint>
#include <string>

#include "craft/raftpb.h"
#include "craft/state.h"
#include "craft/tracker/progress.h"
#include "craft/tracker/tracker.h"

namespace craft {

struct BasicStatus {
  uint64_t id = 0;
  HardState hard_state;
  SoftState soft_state;
  uint64_t applied = 0;
  // The node a leadership transfer is handing over to, or kNone.
  uint64_t lead_transferee = kNone;
};

struct NodeStatus {
  BasicStatus basic;
  tracker::TrackerConfig config;
  // The leader's view of every member's replication progress; empty on
  // other nodes.
  tracker::ProgressMap progress;
};

}  // namespace craft

#endif  // CRAFT_NODE_STATUS_H_
