// craft-datadriven: runs datadriven test files through one of craft's
// suites. See datadriven/cli.h for the usage.

#include <iostream>
#include <string>
#include <vector>

#include "datadriven/cli.h"
#include "datadriven/suites.h"
#include "interaction/interaction_suite.h"

int main(int argc, char** argv) {
  craft::datadriven::SuiteRegistry registry;
  craft::datadriven::RegisterPureLayerSuites(&registry);
  craft::interaction::RegisterInteractionSuite(&registry);
  std::vector<std::string> args(argv + 1, argv + argc);
  return craft::datadriven::RunCli(args, registry, std::cout, std::cerr);
}
