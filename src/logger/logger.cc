#include "craft/logger.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace craft {

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kFatal:
      return "FATAL";
  }
  return "UNKNOWN";
}

void Logger::Panic(absl::string_view message) {
  Write(LogLevel::kFatal, message);
  Flush();
  std::abort();
}

}  // namespace craft
