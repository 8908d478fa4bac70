// The craft-datadriven command line: suites register under a name, and
// RunCli runs one of them over files and directories.
//
//   craft-datadriven --suite NAME [--rewrite] [--ignore-log-lines] PATH...
//
// prints "PASS <file>" or "FAIL <file>" and the failure (a unified diff of
// the first failing case) per file, then "N passed, M failed"; the exit
// status is 0 only if every file passed. With --rewrite the expected
// outputs are regenerated in place ("REWROTE <file>" when a file changed).

#ifndef CRAFT_TESTS_DATADRIVEN_CLI_H_
#define CRAFT_TESTS_DATADRIVEN_CLI_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "datadriven/runner.h"

namespace craft::datadriven {

// Suites by name. Adding a language to the CLI is one Register call in the
// CLI's main().
class SuiteRegistry {
 public:
  // Register adds (or replaces) the suite `name`.
  void Register(std::string name, HandlerFactory factory);
  // The suite `name`, or nullptr.
  const HandlerFactory* Find(absl::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, HandlerFactory, std::less<>> suites_;
};

// RunCli parses `args` (without the program name) and runs the chosen
// suite. Returns the process exit status: 0 all passed, 1 some failed, 2
// usage error.
int RunCli(const std::vector<std::string>& args, const SuiteRegistry& registry,
           std::ostream& out, std::ostream& err);

}  // namespace craft::datadriven

#endif  // CRAFT_TESTS_DATADRIVEN_CLI_H_
