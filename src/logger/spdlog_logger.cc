// The spdlog-backed Logger. spdlog stays an implementation detail: no public
// header mentions it.

#include <memory>
#include <string>

#include "craft/logger.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace craft {
namespace {

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarning:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kFatal:
      return spdlog::level::critical;
  }
  return spdlog::level::info;
}

class SpdlogLogger : public Logger {
 public:
  SpdlogLogger(absl::string_view name, LogLevel min_level)
      : logger_(std::make_shared<spdlog::logger>(
            std::string(name),
            std::make_shared<spdlog::sinks::stderr_color_sink_mt>())) {
    logger_->set_level(ToSpdlog(min_level));
  }

  bool Enabled(LogLevel level) const override {
    return logger_->should_log(ToSpdlog(level));
  }

  void Write(LogLevel level, absl::string_view message) override {
    logger_->log(ToSpdlog(level), "{}",
                 fmt::string_view(message.data(), message.size()));
  }

  void Flush() override { logger_->flush(); }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace

std::unique_ptr<Logger> NewSpdlogLogger(absl::string_view name,
                                        LogLevel min_level) {
  return std::make_unique<SpdlogLogger>(name, min_level);
}

Logger& DefaultLogger() {
  static Logger* const logger = NewSpdlogLogger().release();
  return *logger;
}

}  // namespace craft
