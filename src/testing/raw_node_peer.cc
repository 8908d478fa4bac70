#include "craft/testing/raw_node_peer.h"

#include "raft/raft.h"

namespace craft::testing {

void RawNodePeer::SetRandomizedElectionTimeout(RawNode& node, int ticks) {
  node.raft_->set_randomized_election_timeout(ticks);
}

}  // namespace craft::testing
