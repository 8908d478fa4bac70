#include "interaction/interaction_suite.h"

#include <memory>

#include "interaction/interaction_env.h"

namespace craft::interaction {

datadriven::HandlerFactory InteractionSuite() {
  return [] {
    auto env = std::make_shared<InteractionEnv>();
    return [env](const datadriven::TestData& d) { return env->Handle(d); };
  };
}

void RegisterInteractionSuite(datadriven::SuiteRegistry* registry) {
  registry->Register("interaction", InteractionSuite());
}

}  // namespace craft::interaction
