// CapturingLogger keeps every line it is given, for tests that assert on
// what craft logged. A panic's line is also printed to stderr before the
// process aborts, for death tests to match. Part of the craft::testing
// library, not of craft itself.

#ifndef CRAFT_TESTING_CAPTURING_LOGGER_H_
#define CRAFT_TESTING_CAPTURING_LOGGER_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "craft/logger.h"

namespace craft {

class CapturingLogger : public Logger {
 public:
  explicit CapturingLogger(LogLevel min_level = LogLevel::kDebug)
      : min_level_(min_level) {}

  bool Enabled(LogLevel level) const override;
  void Write(LogLevel level, absl::string_view message) override;

  void set_min_level(LogLevel level);

  // Lines returns each message as "LEVEL message", oldest first.
  std::vector<std::string> Lines() const;
  void Clear();

 private:
  mutable std::mutex mu_;
  LogLevel min_level_;              // guarded by mu_
  std::vector<std::string> lines_;  // guarded by mu_
};

}  // namespace craft

#endif  // CRAFT_TESTING_CAPTURING_LOGGER_H_
