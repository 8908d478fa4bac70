// The datadriven languages of the pure layers (INTERACTION.md sections 9
// and 10): etcd-io/raft's quorum and confchange test files run unmodified.

#ifndef CRAFT_TESTS_DATADRIVEN_SUITES_H_
#define CRAFT_TESTS_DATADRIVEN_SUITES_H_

#include "datadriven/cli.h"
#include "datadriven/runner.h"

namespace craft::datadriven {

// `committed` and `vote` over majority and joint configurations;
// stateless.
HandlerFactory QuorumSuite();

// `simple`, `enter-joint [autoleave=B]` and `leave-joint` over a progress
// tracker (max inflight 10, no byte limit) that lives for one file, with a
// last index that counts the file's directives.
HandlerFactory ConfChangeSuite();

// RegisterPureLayerSuites registers "quorum" and "confchange".
void RegisterPureLayerSuites(SuiteRegistry* registry);

}  // namespace craft::datadriven

#endif  // CRAFT_TESTS_DATADRIVEN_SUITES_H_
