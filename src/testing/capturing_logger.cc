#include "craft/testing/capturing_logger.h"

#include "absl/strings/str_cat.h"

namespace craft {

bool CapturingLogger::Enabled(LogLevel level) const {
  std::lock_guard<std::mutex> lock(mu_);
  return level >= min_level_;
}

void CapturingLogger::Write(LogLevel level, absl::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (level < min_level_) return;
  lines_.push_back(absl::StrCat(LogLevelName(level), " ", message));
}

void CapturingLogger::Panic(absl::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  lines_.push_back(absl::StrCat(LogLevelName(LogLevel::kFatal), " ", message));
  ++panics_;
}

void CapturingLogger::set_min_level(LogLevel level) {
  std::lock_guard<std::mutex> lock(mu_);
  min_level_ = level;
}

std::vector<std::string> CapturingLogger::Lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

int CapturingLogger::panics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return panics_;
}

void CapturingLogger::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  lines_.clear();
  panics_ = 0;
}

}  // namespace craft
