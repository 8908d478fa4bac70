#include "log/unstable.h"

#include <optional>

#include "craft/testing/capturing_logger.h"
#include "gtest/gtest.h"
#include "support/entries.h"

namespace craft {
namespace {

using ::craft::testing::Entries;
using ::craft::testing::IdList;
using ::craft::testing::Ids;
using ::craft::testing::SnapshotAt;

class UnstableTest : public ::testing::Test {
 protected:
  // An unstable tail starting at `offset` holding `ents`, optionally after
  // a pending snapshot.
  Unstable Make(uint64_t offset, std::vector<Entry> ents,
                std::optional<raftpb::Snapshot> snap = std::nullopt) {
    Unstable u(offset);
    if (snap) u.Restore(*snap);
    u.TruncateAndAppend(std::move(ents), log_);
    return u;
  }
  CapturingLogger log_;
};

TEST_F(UnstableTest, MaybeFirstIndexComesOnlyFromSnapshot) {
  EXPECT_EQ(Make(5, Entries({{5, 1}})).MaybeFirstIndex(), std::nullopt);
  EXPECT_EQ(Make(0, {}).MaybeFirstIndex(), std::nullopt);
  EXPECT_EQ(Make(5, Entries({{5, 1}}), SnapshotAt(4, 1)).MaybeFirstIndex(), 5u);
  EXPECT_EQ(Make(5, {}, SnapshotAt(4, 1)).MaybeFirstIndex(), 5u);
}

TEST_F(UnstableTest, MaybeLastIndex) {
  EXPECT_EQ(Make(5, Entries({{5, 1}})).MaybeLastIndex(), 5u);
  EXPECT_EQ(Make(5, Entries({{5, 1}}), SnapshotAt(4, 1)).MaybeLastIndex(), 5u);
  EXPECT_EQ(Make(5, {}, SnapshotAt(4, 1)).MaybeLastIndex(), 4u);
  EXPECT_EQ(Make(0, {}).MaybeLastIndex(), std::nullopt);
}

TEST_F(UnstableTest, MaybeTerm) {
  Unstable plain = Make(5, Entries({{5, 1}}));
  EXPECT_EQ(plain.MaybeTerm(5), 1u);
  EXPECT_EQ(plain.MaybeTerm(6), std::nullopt);
  EXPECT_EQ(plain.MaybeTerm(4), std::nullopt);

  Unstable with_snap = Make(5, Entries({{5, 1}}), SnapshotAt(4, 1));
  EXPECT_EQ(with_snap.MaybeTerm(5), 1u);
  EXPECT_EQ(with_snap.MaybeTerm(4), 1u) << "the snapshot's own term";
  EXPECT_EQ(with_snap.MaybeTerm(3), std::nullopt);
  EXPECT_EQ(with_snap.MaybeTerm(6), std::nullopt);

  Unstable only_snap = Make(5, {}, SnapshotAt(4, 2));
  EXPECT_EQ(only_snap.MaybeTerm(4), 2u);
  EXPECT_EQ(only_snap.MaybeTerm(5), std::nullopt);
  EXPECT_EQ(Make(0, {}).MaybeTerm(0), std::nullopt);
}

TEST_F(UnstableTest, RestoreReplacesEverything) {
  Unstable u = Make(5, Entries({{5, 1}}), SnapshotAt(4, 1));
  u.AcceptInProgress();
  u.Restore(SnapshotAt(6, 2));
  EXPECT_EQ(u.offset(), 7u);
  EXPECT_EQ(u.offset_in_progress(), 7u);
  EXPECT_TRUE(u.entries().empty());
  ASSERT_NE(u.snapshot(), nullptr);
  EXPECT_EQ(u.snapshot()->metadata().index(), 6u);
  EXPECT_FALSE(u.snapshot_in_progress());
}

TEST_F(UnstableTest, NextEntriesAndAcceptInProgress) {
  Unstable u = Make(5, Entries({{5, 1}, {6, 1}}));
  EXPECT_EQ(Ids(u.NextEntries()), (IdList{{5, 1}, {6, 1}}));
  u.AcceptInProgress();
  EXPECT_TRUE(u.NextEntries().empty());
  EXPECT_EQ(u.offset_in_progress(), 7u);
  u.TruncateAndAppend(Entries({{7, 1}}), log_);
  EXPECT_EQ(Ids(u.NextEntries()), (IdList{{7, 1}}));
}

TEST_F(UnstableTest, NextSnapshot) {
  Unstable u = Make(5, {}, SnapshotAt(4, 1));
  ASSERT_NE(u.NextSnapshot(), nullptr);
  u.AcceptInProgress();
  EXPECT_EQ(u.NextSnapshot(), nullptr);
  EXPECT_TRUE(u.snapshot_in_progress());
  EXPECT_EQ(Make(5, Entries({{5, 1}})).NextSnapshot(), nullptr);
}

TEST_F(UnstableTest, StableTo) {
  struct Case {
    uint64_t offset;
    std::vector<Entry> ents;
    std::optional<raftpb::Snapshot> snap;
    bool accept;  // hand everything out first
    EntryId stable;
    uint64_t want_offset;
    uint64_t want_in_progress;
    size_t want_len;
  };
  const std::vector<Case> cases = {
      // Nothing to stabilize.
      {0, {}, std::nullopt, false, {1, 5}, 0, 0, 0},
      // The only entry.
      {5, Entries({{5, 1}}), std::nullopt, false, {1, 5}, 6, 6, 0},
      {5, Entries({{5, 1}}), std::nullopt, true, {1, 5}, 6, 6, 0},
      // A prefix; what is in progress stays in progress.
      {5, Entries({{5, 1}, {6, 1}}), std::nullopt, false, {1, 5}, 6, 6, 1},
      {5, Entries({{5, 1}, {6, 1}}), std::nullopt, true, {1, 5}, 6, 7, 1},
      // Mismatched term: a stale write, ignored.
      {6, Entries({{6, 2}}), std::nullopt, false, {1, 6}, 6, 6, 1},
      // Index below the offset, or past the end: ignored.
      {5, Entries({{5, 1}}), std::nullopt, false, {1, 4}, 5, 5, 1},
      {5, Entries({{5, 1}}), std::nullopt, false, {1, 6}, 5, 5, 1},
      // With a snapshot.
      {5, Entries({{5, 1}}), SnapshotAt(4, 1), false, {1, 5}, 6, 6, 0},
      {5, Entries({{5, 1}, {6, 1}}), SnapshotAt(4, 1), false, {1, 5}, 6, 6, 1},
      // Matching the snapshot's index (not an entry): ignored.
      {5, Entries({{5, 2}}), SnapshotAt(4, 1), false, {1, 4}, 5, 5, 1},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const Case& c = cases[i];
    Unstable u = Make(c.offset, c.ents, c.snap);
    if (c.accept) u.AcceptInProgress();
    u.StableTo(c.stable, log_);
    EXPECT_EQ(u.offset(), c.want_offset);
    EXPECT_EQ(u.offset_in_progress(), c.want_in_progress);
    EXPECT_EQ(u.entries().size(), c.want_len);
  }
}

TEST_F(UnstableTest, StableSnapTo) {
  Unstable u = Make(5, {}, SnapshotAt(4, 1));
  u.AcceptInProgress();
  u.StableSnapTo(3);
  EXPECT_NE(u.snapshot(), nullptr) << "another index: ignored";
  u.StableSnapTo(4);
  EXPECT_EQ(u.snapshot(), nullptr);
  EXPECT_FALSE(u.snapshot_in_progress());
}

TEST_F(UnstableTest, TruncateAndAppend) {
  struct Case {
    std::vector<Entry> append;
    uint64_t want_offset;
    uint64_t want_in_progress;
    IdList want;
  };
  // Start: entries 5..7 at term 1, with 5 and 6 handed out (in progress).
  const std::vector<Case> cases = {
      // Directly after the end.
      {Entries({{8, 1}, {9, 1}}),
       5,
       7,
       {{5, 1}, {6, 1}, {7, 1}, {8, 1}, {9, 1}}},
      // Replacing everything from the offset: nothing stays in progress.
      {Entries({{5, 2}, {6, 2}}), 5, 5, {{5, 2}, {6, 2}}},
      {Entries({{4, 2}, {5, 2}}), 4, 4, {{4, 2}, {5, 2}}},
      // Truncating inside the in-progress range.
      {Entries({{6, 2}}), 5, 6, {{5, 1}, {6, 2}}},
      // Truncating after it.
      {Entries({{7, 2}, {8, 2}}), 5, 7, {{5, 1}, {6, 1}, {7, 2}, {8, 2}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    Unstable u = Make(5, Entries({{5, 1}, {6, 1}}));
    u.AcceptInProgress();
    u.TruncateAndAppend(Entries({{7, 1}}), log_);
    u.TruncateAndAppend(std::vector<Entry>(cases[i].append), log_);
    EXPECT_EQ(u.offset(), cases[i].want_offset);
    EXPECT_EQ(u.offset_in_progress(), cases[i].want_in_progress);
    EXPECT_EQ(Ids(u.entries()), cases[i].want);
  }
}

TEST_F(UnstableTest, Slice) {
  Unstable u = Make(5, Entries({{5, 1}, {6, 2}, {7, 3}}));
  EXPECT_EQ(Ids(u.Slice(5, 8)), (IdList{{5, 1}, {6, 2}, {7, 3}}));
  EXPECT_EQ(Ids(u.Slice(6, 7)), (IdList{{6, 2}}));
  EXPECT_TRUE(u.Slice(7, 7).empty());
}

}  // namespace
}  // namespace craft
