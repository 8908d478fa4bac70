// Logging inside craft: CRAFT_DEBUGF(logger, format, args...) and its
// siblings write through a Logger only when it enables the level, and then
// alone evaluate their arguments. Much of what the core logs is costly to
// render (a progress's String(), a configuration, a message type's name) and
// sits on paths every message takes; with the level off it costs a virtual
// call and nothing else. (Logger::Debugf and the others, for applications,
// evaluate their arguments first.)

#ifndef CRAFT_LOGGER_LOG_H_
#define CRAFT_LOGGER_LOG_H_

#include "absl/strings/str_format.h"
#include "craft/logger.h"

#define CRAFT_LOGF_AT_(logger, level, ...)                            \
  do {                                                                \
    ::craft::Logger& craft_log_target_ = (logger);                    \
    if (craft_log_target_.Enabled(level)) {                           \
      craft_log_target_.Write(level, ::absl::StrFormat(__VA_ARGS__)); \
    }                                                                 \
  } while (false)

#define CRAFT_DEBUGF(logger, ...) \
  CRAFT_LOGF_AT_(logger, ::craft::LogLevel::kDebug, __VA_ARGS__)
#define CRAFT_INFOF(logger, ...) \
  CRAFT_LOGF_AT_(logger, ::craft::LogLevel::kInfo, __VA_ARGS__)
#define CRAFT_WARNINGF(logger, ...) \
  CRAFT_LOGF_AT_(logger, ::craft::LogLevel::kWarning, __VA_ARGS__)
#define CRAFT_ERRORF(logger, ...) \
  CRAFT_LOGF_AT_(logger, ::craft::LogLevel::kError, __VA_ARGS__)

#endif  // CRAFT_LOGGER_LOG_H_
