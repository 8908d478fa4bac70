// The "interaction" datadriven suite: etcd-io/raft's interaction test
// language over craft's RawNode.

#ifndef CRAFT_TESTS_INTERACTION_INTERACTION_SUITE_H_
#define CRAFT_TESTS_INTERACTION_INTERACTION_SUITE_H_

#include "datadriven/cli.h"
#include "datadriven/runner.h"

namespace craft::interaction {

// A fresh environment per file.
datadriven::HandlerFactory InteractionSuite();

void RegisterInteractionSuite(datadriven::SuiteRegistry* registry);

}  // namespace craft::interaction

#endif  // CRAFT_TESTS_INTERACTION_INTERACTION_SUITE_H_
