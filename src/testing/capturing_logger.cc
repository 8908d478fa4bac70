#include "craft/testing/capturing_logger.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace craft {

bool CapturingLogger::Enabled(LogLevel level) const {
  std::lock_guard<std::mutex> lock(mu_);
  return level >= min_level_;
}

void CapturingLogger::Write(LogLevel level, absl::string_view message) {
  std::string line = absl::StrCat(LogLevelName(level), " ", message);
  // A panic's message must outlive the process it aborts (death tests
  // match it on stderr).
  if (level == LogLevel::kFatal) std::fprintf(stderr, "%s\n", line.c_str());
  std::lock_guard<std::mutex> lock(mu_);
  if (level < min_level_) return;
  lines_.push_back(std::move(line));
}

void CapturingLogger::set_min_level(LogLevel level) {
  std::lock_guard<std::mutex> lock(mu_);
  min_level_ = level;
}

std::vector<std::string> CapturingLogger::Lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

void CapturingLogger::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  lines_.clear();
}

}  // namespace craft
