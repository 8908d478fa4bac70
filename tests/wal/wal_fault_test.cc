// craft::Wal under injected I/O faults: a failed write or sync is reported,
// the WAL refuses further writes, and reopening after a simulated crash
// finds everything that was acknowledged.

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "craft/wal/wal.h"
#include "gtest/gtest.h"
#include "wal/fault_env.h"
#include "wal/wal_test_util.h"

namespace craft {
namespace {

using testing::FaultEnv;
using wal_test::Entries;
using wal_test::HS;
using wal_test::SameEntries;
using wal_test::ScratchDir;

absl::StatusOr<std::unique_ptr<Wal>> OpenWal(const std::string& dir, Env* env,
                                             WalContents* out,
                                             uint64_t segment_bytes = 2048) {
  WalOptions opts;
  opts.segment_bytes = segment_bytes;
  opts.env = env;
  return Wal::Open(dir, opts, out);
}

// What a test acknowledged: the log and hard state of the Saves that
// returned OK with sync.
struct Acked {
  std::vector<Entry> entries;
  HardState hs;
};

// Saves `n` synced batches of 5 entries after the acknowledged log.
void SaveBatches(Wal* wal, int n, Acked* acked) {
  for (int b = 0; b < n; ++b) {
    const uint64_t next =
        acked->entries.empty() ? 1 : acked->entries.back().index() + 1;
    std::vector<Entry> ents = Entries(next, 5, 1);
    HardState hs = HS(1, next + 4);
    ASSERT_TRUE(wal->Save(&hs, ents, true).ok());
    acked->entries.insert(acked->entries.end(), ents.begin(), ents.end());
    acked->hs = hs;
  }
}

// After the failure: the WAL refuses everything, without touching the
// disk again (a failed sync is never retried).
void ExpectRefusing(Wal* wal, FaultEnv* env) {
  EXPECT_FALSE(wal->status().ok());
  const int writes = env->writes();
  const int syncs = env->syncs();
  HardState hs = HS(9, 0);
  const uint64_t next = wal->LastIndex() + 1;
  for (absl::Status s :
       {wal->Save(&hs, Entries(next, 1, 9), true), wal->Sync(),
        wal->Save(nullptr, {}, true), wal->SaveSnapshotMarker({})}) {
    EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "WAL failed earlier")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "reopen")) << s;
  }
  EXPECT_EQ(env->writes(), writes);
  EXPECT_EQ(env->syncs(), syncs);
}

// Reopens (after a crash if `crash`) and checks that the acknowledged log
// is there, followed by at most a prefix of the failed batch.
void ExpectRecovered(const std::string& dir, FaultEnv* env, bool crash,
                     const Acked& acked, const std::vector<Entry>& failed) {
  if (crash) {
    {
      absl::Status ds = env->DropUnsyncedData();
      ASSERT_TRUE(ds.ok()) << ds;
    }
  }
  env->ClearFaults();
  WalContents c;
  auto wal = OpenWal(dir, env, &c);
  ASSERT_TRUE(wal.ok()) << wal.status();
  ASSERT_GE(c.entries.size(), acked.entries.size());
  std::vector<Entry> head(c.entries.begin(),
                          c.entries.begin() + acked.entries.size());
  EXPECT_TRUE(SameEntries(head, acked.entries));
  std::vector<Entry> extra(c.entries.begin() + acked.entries.size(),
                           c.entries.end());
  ASSERT_LE(extra.size(), failed.size());
  EXPECT_TRUE(SameEntries(
      extra,
      std::vector<Entry>(failed.begin(), failed.begin() + extra.size())));
  EXPECT_GE(c.hard_state.commit(), acked.hs.commit());
  // The reopened WAL works.
  const uint64_t next = c.entries.empty() ? 1 : c.entries.back().index() + 1;
  EXPECT_TRUE((*wal)->Save(nullptr, Entries(next, 3, 2), true).ok());
}

enum class Fault { kWrite, kShortWrite, kNoSpace, kSync };

std::string Name(Fault f) {
  switch (f) {
    case Fault::kWrite:
      return "write";
    case Fault::kShortWrite:
      return "short write";
    case Fault::kNoSpace:
      return "ENOSPC";
    case Fault::kSync:
      return "sync";
  }
  return "";
}

void Arm(FaultEnv* env, Fault f, int n) {
  switch (f) {
    case Fault::kWrite:
      env->FailWrite(n, EIO);
      break;
    case Fault::kShortWrite:
      env->FailWrite(n, EIO, 37);
      break;
    case Fault::kNoSpace:
      env->FailWrite(n, ENOSPC, 5);
      break;
    case Fault::kSync:
      env->FailSync(n);
      break;
  }
}

TEST(WalFaultTest, FailedSaveIsReportedAndRefusedUntilReopened) {
  for (Fault f :
       {Fault::kWrite, Fault::kShortWrite, Fault::kNoSpace, Fault::kSync}) {
    for (bool crash : {false, true}) {
      SCOPED_TRACE(absl::StrCat(Name(f), crash ? ", then a crash" : ""));
      ScratchDir dir;
      FaultEnv env;
      Acked acked;
      auto wal = OpenWal(dir.path(), &env, nullptr, 64 << 10);
      ASSERT_TRUE(wal.ok()) << wal.status();
      SaveBatches(wal->get(), 4, &acked);
      Arm(&env, f, 1);
      const std::vector<Entry> failed =
          Entries(acked.entries.back().index() + 1, 5, 1);
      HardState hs = HS(1, failed.back().index());
      absl::Status s = (*wal)->Save(&hs, failed, true);
      ASSERT_FALSE(s.ok());
      if (f == Fault::kNoSpace) {
        EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
      }
      EXPECT_TRUE(absl::StrContains(s.message(), dir.path())) << s;
      ExpectRefusing(wal->get(), &env);
      wal->reset();
      ExpectRecovered(dir.path(), &env, crash, acked, failed);
    }
  }
}

TEST(WalFaultTest, FaultAtEveryStepOfASaveThatCutsSegments) {
  // A save large enough to fill several small segments does many writes and
  // syncs (the batch, each finished segment, each new segment's header);
  // fail each one in turn.
  for (Fault f : {Fault::kWrite, Fault::kShortWrite, Fault::kSync}) {
    for (int n = 1;; ++n) {
      SCOPED_TRACE(absl::StrCat(Name(f), " number ", n));
      ScratchDir dir;
      FaultEnv env;
      Acked acked;
      auto wal = OpenWal(dir.path(), &env, nullptr);
      ASSERT_TRUE(wal.ok()) << wal.status();
      SaveBatches(wal->get(), 3, &acked);
      Arm(&env, f, n);
      const std::vector<Entry> big =
          Entries(acked.entries.back().index() + 1, 80, 1);
      HardState hs = HS(1, big.back().index());
      absl::Status s = (*wal)->Save(&hs, big, true);
      if (s.ok()) {
        // n is past the save's last write or sync: every step was covered.
        EXPECT_GT(n, 3);
        break;
      }
      ExpectRefusing(wal->get(), &env);
      wal->reset();
      ExpectRecovered(dir.path(), &env, /*crash=*/true, acked, big);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(WalFaultTest, FailedMarkerAndFailedOpen) {
  ScratchDir dir;
  FaultEnv env;
  Acked acked;
  {
    auto wal = OpenWal(dir.path(), &env, nullptr);
    ASSERT_TRUE(wal.ok()) << wal.status();
    SaveBatches(wal->get(), 3, &acked);
    env.FailSync(1);
    SnapshotMarker m;
    m.index = 5;
    m.term = 1;
    EXPECT_FALSE((*wal)->SaveSnapshotMarker(m).ok());
    ExpectRefusing(wal->get(), &env);
  }
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  // Creating the WAL's first segment fails: Open reports it.
  ScratchDir other;
  env.FailSync(1);
  auto wal = OpenWal(other.path(), &env, nullptr);
  EXPECT_FALSE(wal.ok());
  env.ClearFaults();
  ExpectRecovered(dir.path(), &env, /*crash=*/false, acked, {});
}

}  // namespace
}  // namespace craft
