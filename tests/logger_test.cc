#include "craft/logger.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "craft/testing/capturing_logger.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "logger/log.h"

namespace craft {
namespace {

using ::testing::ElementsAre;

TEST(LoggerTest, LevelNames) {
  EXPECT_EQ(LogLevelName(LogLevel::kDebug), "DEBUG");
  EXPECT_EQ(LogLevelName(LogLevel::kInfo), "INFO");
  EXPECT_EQ(LogLevelName(LogLevel::kWarning), "WARN");
  EXPECT_EQ(LogLevelName(LogLevel::kError), "ERROR");
  EXPECT_EQ(LogLevelName(LogLevel::kFatal), "FATAL");
}

TEST(LoggerTest, CapturingLoggerFiltersByLevel) {
  CapturingLogger log(LogLevel::kInfo);
  log.Debugf("hidden %d", 1);
  log.Infof("%d became leader at term %d", 1, 2);
  log.Warningf("w");
  log.Errorf("e %s", "x");
  EXPECT_THAT(log.Lines(), ElementsAre("INFO 1 became leader at term 2",
                                       "WARN w", "ERROR e x"));
  log.set_min_level(LogLevel::kDebug);
  log.Debugf("shown");
  EXPECT_EQ(log.Lines().back(), "DEBUG shown");
  log.Clear();
  EXPECT_TRUE(log.Lines().empty());
}

// The core's logging macros evaluate their arguments only when the level is
// on: what they render is often costly and on every message's path.
TEST(LoggerTest, MacrosEvaluateArgumentsOnlyWhenTheLevelIsOn) {
  CapturingLogger log(LogLevel::kInfo);
  int renders = 0;
  auto render = [&renders] {
    ++renders;
    return std::string("progress");
  };
  CRAFT_DEBUGF(log, "%s", render());
  EXPECT_EQ(renders, 0);
  EXPECT_TRUE(log.Lines().empty());
  CRAFT_INFOF(log, "%s", render());
  CRAFT_WARNINGF(log, "%d", 7);
  CRAFT_ERRORF(log, "%s and %d", render(), 8);
  EXPECT_EQ(renders, 2);
  EXPECT_THAT(log.Lines(),
              ElementsAre("INFO progress", "WARN 7", "ERROR progress and 8"));
  // One statement, as a function call is: safe under an unbraced if/else.
  if (renders == 0)
    CRAFT_INFOF(log, "no");
  else
    CRAFT_INFOF(log, "yes");
  EXPECT_EQ(log.Lines().back(), "INFO yes");
}

// Records what Panic writes and flushes, in a pipe: the death test's child
// writes, the parent reads after it died.
class FlushRecordingLogger : public Logger {
 public:
  explicit FlushRecordingLogger(int fd) : fd_(fd) {}
  bool Enabled(LogLevel) const override { return false; }
  void Write(LogLevel level, absl::string_view message) override {
    Send(absl::StrCat(LogLevelName(level), " ", message, ";"));
  }
  void Flush() override { Send("flushed;"); }

 private:
  void Send(const std::string& s) {
    ASSERT_EQ(write(fd_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  int fd_;
};

// Panic never returns: it writes its message at kFatal even when the level
// is off, flushes, and aborts.
TEST(LoggerDeathTest, PanicWritesFlushesAndAborts) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FlushRecordingLogger log(fds[1]);
  EXPECT_DEATH(log.Panicf("applied(%d) is out of range", 7), "");
  close(fds[1]);
  char buf[256];
  const ssize_t n = read(fds[0], buf, sizeof(buf));
  close(fds[0]);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)),
            "FATAL applied(7) is out of range;flushed;");
}

TEST(LoggerDeathTest, CapturingLoggerPrintsPanicsToStderr) {
  CapturingLogger log(LogLevel::kError);
  EXPECT_DEATH(log.Panicf("applied(%d) is out of range", 7),
               "FATAL applied\\(7\\) is out of range");
}

// Counts the messages it is asked to write; every level is disabled.
class SilentLogger : public Logger {
 public:
  bool Enabled(LogLevel) const override { return false; }
  void Write(LogLevel, absl::string_view) override { ++writes; }
  int writes = 0;
};

TEST(LoggerTest, DisabledLevelsAreNotFormattedOrWritten) {
  SilentLogger log;
  log.Infof("%s", "x");
  log.Errorf("%d", 1);
  EXPECT_EQ(log.writes, 0);
}

TEST(LoggerTest, DefaultPanicAborts) {
  SilentLogger log;
  EXPECT_DEATH(log.Panicf("broken %d", 1), "");
}

TEST(LoggerTest, SpdlogLoggerRespectsMinLevel) {
  std::unique_ptr<Logger> log = NewSpdlogLogger("test", LogLevel::kWarning);
  EXPECT_FALSE(log->Enabled(LogLevel::kInfo));
  EXPECT_TRUE(log->Enabled(LogLevel::kWarning));
  log->Warningf("spdlog logger works: %d", 42);
  EXPECT_TRUE(DefaultLogger().Enabled(LogLevel::kInfo));
}

}  // namespace
}  // namespace craft
