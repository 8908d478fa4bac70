// Logger is how craft reports what it does. The core formats a message only
// when the logger says the level is enabled, so a quiet logger costs little.

#ifndef CRAFT_LOGGER_H_
#define CRAFT_LOGGER_H_

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace craft {

enum class LogLevel {
  kDebug = 0,
  kInfo = 1,
  kWarning = 2,
  kError = 3,
  kFatal = 4
};

// LogLevelName is the upper-case name of `level` as log lines print it:
// DEBUG, INFO, WARN, ERROR, FATAL.
absl::string_view LogLevelName(LogLevel level);

class Logger {
 public:
  virtual ~Logger() = default;

  // Enabled reports whether messages at `level` are written. Callers skip
  // formatting when it returns false.
  virtual bool Enabled(LogLevel level) const = 0;

  // Write records one single-line message.
  virtual void Write(LogLevel level, absl::string_view message) = 0;

  // Flush makes what was written so far durable (a file logger syncs). It
  // is called before a panic aborts the process; the default does nothing.
  virtual void Flush() {}

  // Panic reports a broken contract that a node cannot continue from: an
  // invariant of the core failed, or the application broke the API's
  // contract (GetReady twice without Advance, a storage that cannot answer
  // for the entries it holds). Peer messages and arguments never lead here:
  // those get an absl::Status. Panic writes `message` at kFatal (whatever
  // Enabled says), calls Flush and aborts the process. It never returns, so
  // the core never continues from made-up state (as etcd-io/raft panics).
  [[noreturn]] void Panic(absl::string_view message);

  template <typename... Args>
  void Debugf(const absl::FormatSpec<Args...>& format, const Args&... args) {
    Logf(LogLevel::kDebug, format, args...);
  }
  template <typename... Args>
  void Infof(const absl::FormatSpec<Args...>& format, const Args&... args) {
    Logf(LogLevel::kInfo, format, args...);
  }
  template <typename... Args>
  void Warningf(const absl::FormatSpec<Args...>& format, const Args&... args) {
    Logf(LogLevel::kWarning, format, args...);
  }
  template <typename... Args>
  void Errorf(const absl::FormatSpec<Args...>& format, const Args&... args) {
    Logf(LogLevel::kError, format, args...);
  }
  template <typename... Args>
  [[noreturn]] void Panicf(const absl::FormatSpec<Args...>& format,
                           const Args&... args) {
    Panic(absl::StrFormat(format, args...));
  }

 private:
  template <typename... Args>
  void Logf(LogLevel level, const absl::FormatSpec<Args...>& format,
            const Args&... args) {
    if (Enabled(level)) Write(level, absl::StrFormat(format, args...));
  }
};

// NewSpdlogLogger returns a logger writing to stderr through spdlog under
// `name`, showing messages at `min_level` and above.
std::unique_ptr<Logger> NewSpdlogLogger(absl::string_view name = "craft",
                                        LogLevel min_level = LogLevel::kInfo);

// DefaultLogger is the process-wide spdlog-backed logger used when a Config
// names none. It is never destroyed.
Logger& DefaultLogger();

}  // namespace craft

#endif  // CRAFT_LOGGER_H_
