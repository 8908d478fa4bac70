// Hooks into a RawNode for tests and simulations. Part of the craft::testing
// library, not of craft itself.

#ifndef CRAFT_TESTING_RAW_NODE_PEER_H_
#define CRAFT_TESTING_RAW_NODE_PEER_H_

#include "craft/raw_node.h"

namespace craft::testing {

class RawNodePeer {
 public:
  // Overrides the node's randomized election timeout until its next reset,
  // for a fixed schedule.
  static void SetRandomizedElectionTimeout(RawNode& node, int ticks);
};

}  // namespace craft::testing

#endif  // CRAFT_TESTING_RAW_NODE_PEER_H_
