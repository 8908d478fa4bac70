// craft::Wal: what it saves is what Open gives back.

#include "craft/wal/wal.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "craft/raftpb.h"
#include "gtest/gtest.h"
#include "wal/fault_env.h"
#include "wal/wal_test_util.h"

namespace craft {
namespace {

using wal_test::E;
using wal_test::Entries;
using wal_test::FilesIn;
using wal_test::SameEntries;
using wal_test::ScratchDir;

HardState HS(uint64_t term, uint64_t vote, uint64_t commit) {
  HardState hs;
  hs.set_term(term);
  hs.set_vote(vote);
  hs.set_commit(commit);
  return hs;
}

std::unique_ptr<Wal> OpenOrDie(const std::string& dir, WalContents* out,
                               uint64_t segment_bytes = 4096,
                               Env* env = nullptr) {
  WalOptions opts;
  opts.segment_bytes = segment_bytes;
  opts.env = env;
  absl::StatusOr<std::unique_ptr<Wal>> wal = Wal::Open(dir, opts, out);
  EXPECT_TRUE(wal.ok()) << wal.status();
  return wal.ok() ? *std::move(wal) : nullptr;
}

// Appends `add` to `log` as MemoryStorage would (overwriting a suffix).
void Apply(std::vector<Entry>* log, const std::vector<Entry>& add) {
  if (add.empty()) return;
  while (!log->empty() && log->back().index() >= add.front().index()) {
    log->pop_back();
  }
  log->insert(log->end(), add.begin(), add.end());
}

TEST(WalTest, NewDirectoryIsEmptyLog) {
  ScratchDir dir;
  const std::string path = dir.Sub("wal");
  WalContents c;
  auto wal = OpenOrDie(path, &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_TRUE(IsEmptyHardState(c.hard_state));
  EXPECT_EQ(c.snapshot.index, 0u);
  EXPECT_TRUE(c.entries.empty());
  EXPECT_EQ(wal->LastIndex(), 0u);
  EXPECT_EQ(FilesIn(path, ".wal").size(), 1u);
  wal.reset();
  wal = OpenOrDie(path, &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_TRUE(c.entries.empty());
}

TEST(WalTest, RoundTripAcrossSegments) {
  ScratchDir dir;
  std::vector<Entry> want;
  HardState hs;
  {
    auto wal = OpenOrDie(dir.path(), nullptr);
    ASSERT_NE(wal, nullptr);
    uint64_t next = 1;
    for (int batch = 0; batch < 60; ++batch) {
      const uint64_t n = 1 + batch % 9;
      std::vector<Entry> ents = Entries(next, n, 1 + batch / 20);
      next += n;
      hs = HS(1 + batch / 20, 2, next - 1);
      ASSERT_TRUE(wal->Save(&hs, ents, batch % 3 == 0).ok());
      Apply(&want, ents);
    }
    // Entries of every shape: no data, other types, a large payload.
    std::vector<Entry> odd = {MakeEntry(next, 3, raftpb::EntryConfChange),
                              E(next + 1, 3, std::string(9000, 'L')),
                              MakeEntry(next + 2, 3)};
    ASSERT_TRUE(wal->Save(nullptr, odd, true).ok());
    Apply(&want, odd);
    EXPECT_GE(wal->segment_count(), 5u);
  }
  WalContents c;
  auto wal = OpenOrDie(dir.path(), &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(c.hard_state, hs);
  EXPECT_TRUE(SameEntries(c.entries, want));
  EXPECT_EQ(wal->LastIndex(), want.back().index());
}

TEST(WalTest, OverwriteReplacesTheSuffix) {
  ScratchDir dir;
  std::vector<Entry> want;
  {
    auto wal = OpenOrDie(dir.path(), nullptr);
    ASSERT_NE(wal, nullptr);
    std::vector<Entry> a = Entries(1, 100, 1);
    ASSERT_TRUE(wal->Save(nullptr, a, true).ok());
    Apply(&want, a);
    std::vector<Entry> b = Entries(50, 11, 2, /*salt=*/1);
    ASSERT_TRUE(wal->Save(nullptr, b, true).ok());
    Apply(&want, b);
    EXPECT_EQ(wal->LastIndex(), 60u);
    // Past the new end is a gap now.
    EXPECT_TRUE(
        absl::IsInvalidArgument(wal->Save(nullptr, Entries(62, 1, 2), true)));
    // Overwrite far back, across segments, then continue.
    std::vector<Entry> c = Entries(3, 40, 3, /*salt=*/2);
    ASSERT_TRUE(wal->Save(nullptr, c, true).ok());
    Apply(&want, c);
    std::vector<Entry> d = Entries(43, 5, 3, /*salt=*/3);
    ASSERT_TRUE(wal->Save(nullptr, d, true).ok());
    Apply(&want, d);
  }
  WalContents c;
  auto wal = OpenOrDie(dir.path(), &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_TRUE(SameEntries(c.entries, want));
  EXPECT_EQ(wal->LastIndex(), 47u);
}

TEST(WalTest, InvalidAppendsWriteNothing) {
  ScratchDir dir;
  auto wal = OpenOrDie(dir.path(), nullptr);
  ASSERT_NE(wal, nullptr);
  ASSERT_TRUE(wal->Save(nullptr, Entries(1, 5, 1), true).ok());
  HardState hs = HS(9, 9, 9);
  absl::Status s = wal->Save(&hs, Entries(7, 2, 1), true);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "missing log entry")) << s;
  s = wal->Save(&hs, {E(6, 1), E(8, 1)}, true);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  s = wal->Save(&hs, {E(0, 1)}, true);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  // Refusing bad arguments does not fail the WAL.
  EXPECT_TRUE(wal->status().ok());
  ASSERT_TRUE(wal->Save(nullptr, Entries(6, 1, 1), true).ok());
  wal.reset();
  WalContents c;
  wal = OpenOrDie(dir.path(), &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_TRUE(IsEmptyHardState(c.hard_state));
  EXPECT_TRUE(SameEntries(c.entries, Entries(1, 6, 1)));
}

TEST(WalTest, MarkerThatMatchesKeepsTheLogAfterIt) {
  ScratchDir dir;
  SnapshotMarker m;
  m.index = 60;
  m.term = 1;
  m.conf_state.add_voters(1);
  m.conf_state.add_voters(2);
  {
    auto wal = OpenOrDie(dir.path(), nullptr);
    ASSERT_NE(wal, nullptr);
    ASSERT_TRUE(wal->Save(nullptr, Entries(1, 100, 1), true).ok());
    ASSERT_TRUE(wal->SaveSnapshotMarker(m).ok());
    // Entries the snapshot covers are skipped; the rest overwrite.
    ASSERT_TRUE(wal->Save(nullptr, Entries(55, 20, 2, 7), true).ok());
    EXPECT_EQ(wal->LastIndex(), 74u);
    // An older marker is refused.
    SnapshotMarker old;
    old.index = 50;
    old.term = 1;
    EXPECT_TRUE(absl::IsInvalidArgument(wal->SaveSnapshotMarker(old)));
  }
  WalContents c;
  auto wal = OpenOrDie(dir.path(), &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(c.snapshot.index, 60u);
  EXPECT_EQ(c.snapshot.term, 1u);
  EXPECT_EQ(c.snapshot.conf_state.SerializeAsString(),
            m.conf_state.SerializeAsString());
  EXPECT_TRUE(SameEntries(c.entries, Entries(61, 14, 2, 7)));
}

TEST(WalTest, MarkerThatConflictsReplacesTheLog) {
  ScratchDir dir;
  {
    auto wal = OpenOrDie(dir.path(), nullptr);
    ASSERT_NE(wal, nullptr);
    ASSERT_TRUE(wal->Save(nullptr, Entries(1, 100, 1), true).ok());
    SnapshotMarker m;
    m.index = 80;
    m.term = 2;  // the log has term 1 there: a leader's snapshot
    ASSERT_TRUE(wal->SaveSnapshotMarker(m).ok());
    EXPECT_EQ(wal->LastIndex(), 80u);
    EXPECT_TRUE(
        absl::IsInvalidArgument(wal->Save(nullptr, Entries(82, 1, 2), true)));
    ASSERT_TRUE(wal->Save(nullptr, Entries(81, 3, 2), true).ok());
  }
  WalContents c;
  auto wal = OpenOrDie(dir.path(), &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(c.snapshot.index, 80u);
  EXPECT_TRUE(SameEntries(c.entries, Entries(81, 3, 2)));

  // A marker past the end of the log empties it too.
  SnapshotMarker far;
  far.index = 500;
  far.term = 4;
  ASSERT_TRUE(wal->SaveSnapshotMarker(far).ok());
  EXPECT_EQ(wal->LastIndex(), 500u);
  wal.reset();
  wal = OpenOrDie(dir.path(), &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(c.snapshot.index, 500u);
  EXPECT_TRUE(c.entries.empty());
  EXPECT_EQ(wal->LastIndex(), 500u);
}

TEST(WalTest, ReleaseDeletesOldSegmentsAndKeepsState) {
  ScratchDir dir;
  const HardState hs = HS(1, 1, 1);
  {
    auto wal = OpenOrDie(dir.path(), nullptr);
    ASSERT_NE(wal, nullptr);
    // The hard state is written once, in the first segment.
    ASSERT_TRUE(wal->Save(&hs, {}, true).ok());
    for (uint64_t i = 1; i <= 400; i += 10) {
      ASSERT_TRUE(wal->Save(nullptr, Entries(i, 10, 1), false).ok());
    }
    ASSERT_TRUE(wal->Sync().ok());
    const size_t before = wal->segment_count();
    ASSERT_GE(before, 6u);
    EXPECT_TRUE(absl::IsInvalidArgument(wal->ReleaseTo(300)));  // no marker
    SnapshotMarker m;
    m.index = 300;
    m.term = 1;
    ASSERT_TRUE(wal->SaveSnapshotMarker(m).ok());
    ASSERT_TRUE(wal->ReleaseTo(300).ok());
    EXPECT_LT(wal->segment_count(), before);
    EXPECT_EQ(FilesIn(dir.path(), ".wal").size(), wal->segment_count());
    // The new marker's own segment and later ones are all that must be
    // kept, but the segment holding entry 301 must be.
    ASSERT_TRUE(wal->Save(nullptr, Entries(401, 5, 1), true).ok());
  }
  WalContents c;
  auto wal = OpenOrDie(dir.path(), &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(c.hard_state, hs);
  EXPECT_EQ(c.snapshot.index, 300u);
  EXPECT_TRUE(SameEntries(c.entries, Entries(301, 105, 1)));

  // Release everything the marker covers, more than once, across reopens.
  SnapshotMarker m;
  m.index = 405;
  m.term = 1;
  ASSERT_TRUE(wal->SaveSnapshotMarker(m).ok());
  ASSERT_TRUE(wal->ReleaseTo(405).ok());
  ASSERT_TRUE(wal->ReleaseTo(405).ok());
  EXPECT_EQ(wal->segment_count(), 1u);
  ASSERT_TRUE(wal->Save(nullptr, Entries(406, 3, 2), true).ok());
  wal.reset();
  wal = OpenOrDie(dir.path(), &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(c.hard_state, hs);
  EXPECT_EQ(c.snapshot.index, 405u);
  EXPECT_TRUE(SameEntries(c.entries, Entries(406, 3, 2)));
}

TEST(WalTest, ReleaseAfterOverwriteKeepsLiveEntries) {
  // A segment named for a later index than the log has after an
  // overwrite must not let an older segment holding live entries go.
  ScratchDir dir;
  std::vector<Entry> want;
  {
    auto wal = OpenOrDie(dir.path(), nullptr, 1024);
    ASSERT_NE(wal, nullptr);
    for (uint64_t i = 1; i <= 200; i += 10) {
      ASSERT_TRUE(wal->Save(nullptr, Entries(i, 10, 1), true).ok());
    }
    Apply(&want, Entries(1, 200, 1));
    std::vector<Entry> b = Entries(20, 60, 2, 5);
    ASSERT_TRUE(wal->Save(nullptr, b, true).ok());
    Apply(&want, b);
    SnapshotMarker m;
    m.index = 30;
    m.term = 2;
    ASSERT_TRUE(wal->SaveSnapshotMarker(m).ok());
    ASSERT_TRUE(wal->ReleaseTo(30).ok());
  }
  want.erase(want.begin(), want.begin() + 30);
  WalContents c;
  auto wal = OpenOrDie(dir.path(), &c, 1024);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(c.snapshot.index, 30u);
  EXPECT_TRUE(SameEntries(c.entries, want));
}

TEST(WalTest, GroupCommitSyncsOncePerCall) {
  ScratchDir dir;
  testing::FaultEnv env;
  auto wal = OpenOrDie(dir.path(), nullptr, 64 << 20, &env);
  ASSERT_NE(wal, nullptr);
  const int syncs = env.syncs();
  const int writes = env.writes();
  HardState hs = HS(2, 1, 0);
  ASSERT_TRUE(wal->Save(&hs, Entries(1, 256, 2), true).ok());
  EXPECT_EQ(env.syncs(), syncs + 1);
  EXPECT_EQ(env.writes(), writes + 1);  // one write for the whole batch
  ASSERT_TRUE(wal->Save(&hs, Entries(257, 256, 2), false).ok());
  EXPECT_EQ(env.syncs(), syncs + 1);
}

TEST(WalTest, RecordLargerThanASegment) {
  ScratchDir dir;
  const std::vector<Entry> ents = {
      E(1, 1, "small"), E(2, 1, std::string(20000, 'B')), E(3, 1, "after")};
  {
    auto wal = OpenOrDie(dir.path(), nullptr, 4096);
    ASSERT_NE(wal, nullptr);
    ASSERT_TRUE(wal->Save(nullptr, ents, true).ok());
  }
  WalContents c;
  auto wal = OpenOrDie(dir.path(), &c, 4096);
  ASSERT_NE(wal, nullptr);
  EXPECT_TRUE(SameEntries(c.entries, ents));
}

TEST(WalTest, SecondOpenIsRefusedWhileLocked) {
  ScratchDir dir;
  auto wal = OpenOrDie(dir.path(), nullptr);
  ASSERT_NE(wal, nullptr);
  absl::StatusOr<std::unique_ptr<Wal>> second =
      Wal::Open(dir.path(), WalOptions(), nullptr);
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  wal.reset();
  second = Wal::Open(dir.path(), WalOptions(), nullptr);
  EXPECT_TRUE(second.ok()) << second.status();
}

TEST(WalTest, BadOptions) {
  ScratchDir dir;
  WalOptions opts;
  opts.segment_bytes = 10;
  EXPECT_TRUE(
      absl::IsInvalidArgument(Wal::Open(dir.path(), opts, nullptr).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(Wal::Open("", WalOptions(), nullptr).status()));
}

TEST(WalTest, LeftoverTemporarySegmentIsRemoved) {
  ScratchDir dir;
  {
    auto wal = OpenOrDie(dir.path(), nullptr);
    ASSERT_NE(wal, nullptr);
    ASSERT_TRUE(wal->Save(nullptr, Entries(1, 3, 1), true).ok());
  }
  const std::string tmp = dir.Sub("0000000000000001-0000000000000004.wal.tmp");
  wal_test::WriteAll(tmp, "half-made segment");
  WalContents c;
  auto wal = OpenOrDie(dir.path(), &c);
  ASSERT_NE(wal, nullptr);
  EXPECT_TRUE(SameEntries(c.entries, Entries(1, 3, 1)));
  EXPECT_TRUE(FilesIn(dir.path(), ".tmp").empty());
}

}  // namespace
}  // namespace craft
