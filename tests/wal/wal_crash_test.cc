// A process appending to a WAL is killed (SIGKILL) at random moments; every
// index it reported as durably saved must be there when the WAL reopens.

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "craft/wal/wal.h"
#include "gtest/gtest.h"
#include "wal/wal_test_util.h"

namespace craft {
namespace {

using wal_test::E;
using wal_test::PayloadFor;
using wal_test::ScratchDir;

constexpr uint64_t kSegmentBytes = 32 << 10;

// The child: appends batches of entries with a sync each, reporting the last
// index of each acknowledged batch on `fd`; every 40 batches it records a
// snapshot marker and releases the segments before it. Runs until killed
// (or for a bounded number of batches). Never returns.
[[noreturn]] void Child(const std::string& dir, uint64_t seed, int fd) {
  WalOptions opts;
  opts.segment_bytes = kSegmentBytes;
  WalContents c;
  absl::StatusOr<std::unique_ptr<Wal>> wal = Wal::Open(dir, opts, &c);
  if (!wal.ok()) _exit(10);
  std::mt19937_64 rng(seed);
  uint64_t next = (*wal)->LastIndex() + 1;
  for (int batch = 1; batch <= 20000; ++batch) {
    const uint64_t n = 1 + rng() % 24;
    std::vector<Entry> ents;
    for (uint64_t i = next; i < next + n; ++i) {
      ents.push_back(E(i, 1, PayloadFor(i, 0, 300)));
    }
    HardState hs;
    hs.set_term(1);
    hs.set_commit(next + n - 1);
    if (!(*wal)->Save(&hs, ents, true).ok()) _exit(11);
    next += n;
    const uint64_t acked = next - 1;
    if (write(fd, &acked, sizeof(acked)) != sizeof(acked)) _exit(12);
    if (batch % 40 == 0) {
      SnapshotMarker m;
      m.index = acked - 10;
      m.term = 1;
      if (!(*wal)->SaveSnapshotMarker(m).ok()) _exit(13);
      if (!(*wal)->ReleaseTo(m.index).ok()) _exit(14);
    }
  }
  _exit(0);
}

TEST(WalCrashTest, KilledWriterLosesNothingAcknowledged) {
  const uint64_t base_seed = std::random_device{}();
  constexpr int kRounds = 24;
  for (int round = 0; round < kRounds; ++round) {
    const uint64_t seed = base_seed + static_cast<uint64_t>(round);
    SCOPED_TRACE(absl::StrCat("seed ", seed, " (round ", round, ")"));
    std::mt19937_64 rng(seed);
    ScratchDir dir;
    // Some rounds restart a writer on a WAL a killed writer left behind.
    const int lives = 1 + static_cast<int>(rng() % 2);
    uint64_t reported = 0;
    for (int life = 0; life < lives; ++life) {
      int fds[2];
      ASSERT_EQ(pipe(fds), 0);
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(fds[0]);
        Child(dir.path(), rng(), fds[1]);
      }
      close(fds[1]);
      const auto delay = std::chrono::microseconds(2000 + rng() % 100000);
      std::this_thread::sleep_for(delay);
      kill(pid, SIGKILL);
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFSIGNALED(status) ||
                  (WIFEXITED(status) && WEXITSTATUS(status) == 0))
          << "the writer failed on its own: exit status "
          << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      uint64_t v;
      while (read(fds[0], &v, sizeof(v)) == sizeof(v)) reported = v;
      close(fds[0]);
    }

    WalOptions opts;
    opts.segment_bytes = kSegmentBytes;
    WalContents c;
    absl::StatusOr<std::unique_ptr<Wal>> wal = Wal::Open(dir.path(), opts, &c);
    ASSERT_TRUE(wal.ok()) << wal.status();
    const uint64_t last = (*wal)->LastIndex();
    EXPECT_GE(last, reported);
    EXPECT_GE(c.hard_state.commit(), reported);
    EXPECT_LE(c.hard_state.commit(), last);
    // The log is contiguous after the marker, every entry as written.
    uint64_t want = c.snapshot.index + 1;
    for (const Entry& e : c.entries) {
      ASSERT_EQ(e.index(), want);
      ASSERT_EQ(e.data().view(), PayloadFor(want, 0, 300));
      ++want;
    }
    EXPECT_EQ(want - 1, last);
  }
}

}  // namespace
}  // namespace craft
