#include "log/raft_log.h"

#include <memory>

#include "craft/errors.h"
#include "craft/memory_storage.h"
#include "craft/testing/capturing_logger.h"
#include "gtest/gtest.h"
#include "support/entries.h"

namespace craft {
namespace {

using ::craft::testing::Consecutive;
using ::craft::testing::DataEntry;
using ::craft::testing::Entries;
using ::craft::testing::IdList;
using ::craft::testing::Ids;
using ::craft::testing::SnapshotAt;

class RaftLogTest : public ::testing::Test {
 protected:
  // A log over storage holding a snapshot at (snap_index, snap_term) and
  // `stored` entries, with `unstable` appended on top.
  RaftLog& Make(std::vector<Entry> stored = {},
                std::vector<Entry> unstable = {}, uint64_t snap_index = 0,
                uint64_t snap_term = 0, uint64_t max_applying = kNoLimit) {
    storage_ = std::make_unique<MemoryStorage>();
    if (snap_index > 0) {
      EXPECT_TRUE(
          storage_->ApplySnapshot(SnapshotAt(snap_index, snap_term)).ok());
    }
    EXPECT_TRUE(storage_->Append(stored).ok());
    absl::StatusOr<RaftLog> l =
        RaftLog::Create(storage_.get(), &logger_, max_applying);
    EXPECT_TRUE(l.ok()) << l.status();
    log_ = std::make_unique<RaftLog>(*std::move(l));
    EXPECT_TRUE(log_->Append(std::move(unstable)).ok());
    return *log_;
  }

  CapturingLogger logger_;
  std::unique_ptr<MemoryStorage> storage_;
  std::unique_ptr<RaftLog> log_;
};

TEST_F(RaftLogTest, NewLogStartsAtTheStorageSnapshot) {
  RaftLog& l = Make(Entries({{6, 2}, {7, 2}}), {}, 5, 2);
  EXPECT_EQ(l.FirstIndex(), 6u);
  EXPECT_EQ(l.LastIndex(), 7u);
  EXPECT_EQ(l.committed(), 5u);
  EXPECT_EQ(l.applied(), 5u);
  EXPECT_EQ(l.applying(), 5u);
  EXPECT_EQ(l.unstable().offset(), 8u);
  EXPECT_EQ(l.String(),
            "committed=5, applied=5, applying=5, unstable.offset=8, "
            "unstable.offsetInProgress=8, len(unstable.Entries)=0");
}

TEST_F(RaftLogTest, CreateRejectsMissingStorage) {
  EXPECT_EQ(RaftLog::Create(nullptr, &logger_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RaftLogTest, EmptyLog) {
  RaftLog& l = Make();
  EXPECT_EQ(l.FirstIndex(), 1u);
  EXPECT_EQ(l.LastIndex(), 0u);
  EXPECT_EQ(l.LastTerm(), 0u);
  EXPECT_TRUE(l.AllEntries()->empty());
  EXPECT_TRUE(l.Entries(1, kNoLimit)->empty());
  EXPECT_FALSE(l.HasNextCommittedEnts(true));
  EXPECT_FALSE(l.HasNextUnstableEnts());
}

TEST_F(RaftLogTest, TermBoundaries) {
  // Snapshot at (3,1); stored 4..5; unstable 6.
  RaftLog& l = Make(Entries({{4, 2}, {5, 3}}), Entries({{6, 4}}), 3, 1);
  EXPECT_TRUE(IsCompacted(l.Term(1).status()));
  EXPECT_TRUE(IsCompacted(l.Term(2).status()));
  EXPECT_EQ(*l.Term(3), 1u) << "first index - 1 keeps its term";
  EXPECT_EQ(*l.Term(4), 2u);
  EXPECT_EQ(*l.Term(5), 3u);
  EXPECT_EQ(*l.Term(6), 4u);
  EXPECT_TRUE(IsEntryUnavailable(l.Term(7).status()));
  EXPECT_EQ(l.TermOrZero(7), 0u);
  EXPECT_EQ(l.TermOrZero(2), 0u);
  EXPECT_EQ(l.LastEntryId(), (EntryId{4, 6}));
}

TEST_F(RaftLogTest, FindConflict) {
  const auto base = Entries({{1, 1}, {2, 2}, {3, 3}});
  struct Case {
    std::vector<Entry> ents;
    uint64_t want;
  };
  const std::vector<Case> cases = {
      {{}, 0},
      // All match.
      {Entries({{1, 1}, {2, 2}, {3, 3}}), 0},
      {Entries({{2, 2}, {3, 3}}), 0},
      {Entries({{3, 3}}), 0},
      // New entries past the end.
      {Entries({{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 4}}), 4},
      {Entries({{3, 3}, {4, 4}}), 4},
      // Conflicts.
      {Entries({{1, 4}, {2, 4}}), 1},
      {Entries({{2, 1}, {3, 4}, {4, 4}}), 2},
      {Entries({{3, 1}, {4, 2}, {5, 4}}), 3},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    RaftLog& l = Make({}, base);
    EXPECT_EQ(l.FindConflict(cases[i].ents), cases[i].want);
  }
}

TEST_F(RaftLogTest, FindConflictByTerm) {
  struct Case {
    std::vector<Entry> stored;  // after a snapshot at (snap, snap_term)
    uint64_t snap;
    uint64_t snap_term;
    uint64_t index;
    uint64_t term;
    std::pair<uint64_t, uint64_t> want;
  };
  // Terms by index: 1:2 2:2 3:5 4:5 5:5 6:6 (snapshot at 0).
  const auto log = Entries({{1, 2}, {2, 2}, {3, 5}, {4, 5}, {5, 5}, {6, 6}});
  const std::vector<Case> cases = {
      {log, 0, 0, 6, 6, {6, 6}},
      {log, 0, 0, 6, 5, {5, 5}},
      {log, 0, 0, 6, 4, {2, 2}},
      {log, 0, 0, 6, 1, {0, 0}},
      {log, 0, 0, 4, 3, {2, 2}},
      // An index past the end is unknown to us: no conclusion.
      {log, 0, 0, 10, 3, {10, 0}},
      // Compacted terms stop the search.
      {Entries({{4, 5}, {5, 5}, {6, 6}}), 3, 2, 6, 4, {3, 2}},
      {Entries({{4, 5}, {5, 5}, {6, 6}}), 3, 5, 6, 4, {2, 0}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const Case& c = cases[i];
    RaftLog& l = Make(c.stored, {}, c.snap, c.snap_term);
    EXPECT_EQ(l.FindConflictByTerm(c.index, c.term), c.want);
  }
}

TEST_F(RaftLogTest, IsUpToDate) {
  RaftLog& l = Make({}, Entries({{1, 1}, {2, 2}, {3, 3}}));
  EXPECT_FALSE(l.IsUpToDate({2, 2}));  // lower term
  EXPECT_FALSE(l.IsUpToDate({2, 3}));
  EXPECT_FALSE(l.IsUpToDate({2, 4}));
  EXPECT_TRUE(l.IsUpToDate({4, 1}));  // higher term wins, even if shorter
  EXPECT_TRUE(l.IsUpToDate({4, 3}));
  EXPECT_FALSE(l.IsUpToDate({3, 2}));  // same term, shorter
  EXPECT_TRUE(l.IsUpToDate({3, 3}));
  EXPECT_TRUE(l.IsUpToDate({3, 4}));
}

TEST_F(RaftLogTest, Append) {
  struct Case {
    std::vector<Entry> ents;
    uint64_t want_last;
    IdList want;
    uint64_t want_offset;
  };
  // Storage holds 1 (term 1) and 2 (term 2).
  const std::vector<Case> cases = {
      {{}, 2, {{1, 1}, {2, 2}}, 3},
      {Entries({{3, 2}}), 3, {{1, 1}, {2, 2}, {3, 2}}, 3},
      // Conflicts with index 1: everything from 1 is replaced.
      {Entries({{1, 2}}), 1, {{1, 2}}, 1},
      // Conflicts with index 2.
      {Entries({{2, 3}, {3, 3}}), 3, {{1, 1}, {2, 3}, {3, 3}}, 2},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    RaftLog& l = Make(Entries({{1, 1}, {2, 2}}));
    absl::StatusOr<uint64_t> last = l.Append(std::vector(cases[i].ents));
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(*last, cases[i].want_last);
    EXPECT_EQ(Ids(*l.Entries(1, kNoLimit)), cases[i].want);
    EXPECT_EQ(l.unstable().offset(), cases[i].want_offset);
  }
}

TEST_F(RaftLogTest, AppendRejectsRewritingCommittedEntriesAndGaps) {
  RaftLog& l = Make(Entries({{1, 1}, {2, 2}}));
  l.CommitTo(2);
  EXPECT_EQ(l.Append(Entries({{2, 3}})).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(l.Append(Entries({{5, 3}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ids(*l.AllEntries()), (IdList{{1, 1}, {2, 2}}));
}

TEST_F(RaftLogTest, MaybeAppend) {
  struct Case {
    EntryId prev;
    uint64_t commit;
    std::vector<Entry> ents;
    std::optional<uint64_t> want_last_new;
    uint64_t want_commit;
    IdList want;  // the whole log afterwards
  };
  // Log: 1:1 2:2 3:3, committed 1.
  const IdList base = {{1, 1}, {2, 2}, {3, 3}};
  const std::vector<Case> cases = {
      // prev does not match: rejected, nothing changes.
      {{2, 3}, 3, Entries({{4, 4}}), std::nullopt, 1, base},
      {{4, 4}, 3, Entries({{5, 4}}), std::nullopt, 1, base},
      // prev matches; no new entries.
      {{3, 3}, 3, {}, 3, 3, base},
      {{3, 3}, 2, {}, 3, 2, base},
      {{3, 3}, 4, {}, 3, 3, base},  // commit capped at the last new index
      {{2, 2}, 3, {}, 2, 2, base},  // ...which is prev here
      // New entries after the end.
      {{3, 3}, 4, Entries({{4, 4}}), 4, 4, {{1, 1}, {2, 2}, {3, 3}, {4, 4}}},
      {{3, 3},
       5,
       Entries({{4, 4}, {5, 4}}),
       5,
       5,
       {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 4}}},
      // Entries already present: no truncation of the longer log.
      {{1, 1}, 2, Entries({{2, 2}}), 2, 2, base},
      // A conflict after the commit index truncates.
      {{1, 1}, 1, Entries({{2, 4}}), 2, 1, {{1, 1}, {2, 4}}},
      {{2, 2},
       3,
       Entries({{3, 4}, {4, 4}}),
       4,
       3,
       {{1, 1}, {2, 2}, {3, 4}, {4, 4}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const Case& c = cases[i];
    RaftLog& l = Make({}, Entries({{1, 1}, {2, 2}, {3, 3}}));
    l.CommitTo(1);
    absl::StatusOr<std::optional<uint64_t>> got =
        l.MaybeAppend(c.prev, c.commit, std::vector(c.ents));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want_last_new);
    EXPECT_EQ(l.committed(), c.want_commit);
    EXPECT_EQ(Ids(*l.AllEntries()), c.want);
  }
}

TEST_F(RaftLogTest, MaybeAppendConflictingWithCommittedIsAnErrorNotACrash) {
  RaftLog& l = Make({}, Entries({{1, 1}, {2, 2}, {3, 3}}));
  l.CommitTo(2);
  absl::StatusOr<std::optional<uint64_t>> got =
      l.MaybeAppend({1, 1}, 3, Entries({{2, 4}}));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Ids(*l.AllEntries()), (IdList{{1, 1}, {2, 2}, {3, 3}}));
  EXPECT_EQ(l.committed(), 2u);

  // Entries whose indexes do not follow prev are malformed.
  got = l.MaybeAppend({3, 3}, 3, Entries({{5, 3}}));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(l.LastIndex(), 3u);
}

// Ranges above the applied index skip the first-index lookup; a storage
// compacted past the applied index (against its contract) still answers
// CompactedError, from its own Entries.
TEST_F(RaftLogTest, SliceOfAStorageCompactedPastApplied) {
  RaftLog& l = Make(Consecutive(1, 6, 1));
  l.CommitTo(6);
  ASSERT_EQ(l.applied(), 0u);
  ASSERT_TRUE(storage_->Compact(4).ok());
  EXPECT_TRUE(IsCompacted(l.Slice(2, 5, kNoLimit).status()));
  EXPECT_TRUE(IsCompacted(l.Slice(4, 5, kNoLimit).status()));
  absl::StatusOr<std::vector<Entry>> got = l.Slice(5, 7, kNoLimit);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), 2u);
}

TEST_F(RaftLogTest, CommitTo) {
  RaftLog& l = Make({}, Entries({{1, 1}, {2, 2}, {3, 3}}));
  l.CommitTo(2);
  EXPECT_EQ(l.committed(), 2u);
  l.CommitTo(1);
  EXPECT_EQ(l.committed(), 2u) << "never decreases";
  l.CommitTo(3);
  EXPECT_EQ(l.committed(), 3u);
  // Committing past the end is an invariant violation.
  EXPECT_DEATH(l.CommitTo(4), "tocommit\\(4\\) is out of range");
}

TEST_F(RaftLogTest, MaybeCommit) {
  RaftLog& l = Make({}, Entries({{1, 1}, {2, 2}, {3, 3}}));
  EXPECT_FALSE(l.MaybeCommit({0, 2})) << "term 0 never matches";
  EXPECT_FALSE(l.MaybeCommit({1, 2})) << "wrong term";
  EXPECT_TRUE(l.MaybeCommit({2, 2}));
  EXPECT_FALSE(l.MaybeCommit({2, 2})) << "not past the commit index";
  EXPECT_FALSE(l.MaybeCommit({3, 4})) << "not in the log";
  EXPECT_EQ(l.committed(), 2u);
}

TEST_F(RaftLogTest, UnstableEntriesAndStability) {
  RaftLog& l = Make(Entries({{1, 1}, {2, 1}}), Entries({{3, 1}, {4, 1}}));
  EXPECT_EQ(Ids(l.NextUnstableEnts()), (IdList{{3, 1}, {4, 1}}));
  l.AcceptUnstable();
  EXPECT_FALSE(l.HasNextUnstableEnts());
  EXPECT_TRUE(l.HasNextOrInProgressUnstableEnts());
  l.StableTo({1, 3});
  EXPECT_EQ(l.unstable().offset(), 4u);
  // A stale acknowledgement (wrong term) is ignored.
  l.StableTo({2, 4});
  EXPECT_EQ(l.unstable().offset(), 4u);
  l.StableTo({1, 4});
  EXPECT_FALSE(l.HasNextOrInProgressUnstableEnts());
}

TEST_F(RaftLogTest, NextCommittedEntsRespectsStabilityAndSnapshots) {
  // Stored 1..3, unstable 4..6, committed 5, applied 1.
  struct Case {
    uint64_t applied;
    uint64_t applying;
    bool allow_unstable;
    bool pending_snapshot;
    IdList want;
  };
  const std::vector<Case> cases = {
      {1, 1, false, false, {{2, 1}, {3, 1}}},
      // Handed out short of the appliable index: the budget must have cut
      // the batch, so application pauses until something is applied.
      {1, 2, false, false, {}},
      {1, 3, false, false, {}},
      {1, 1, true, false, {{2, 1}, {3, 1}, {4, 1}, {5, 1}}},
      {1, 3, true, false, {}},
      {1, 5, true, false, {}},
      {3, 3, true, false, {{4, 1}, {5, 1}}},
      // A pending snapshot blocks application.
      {1, 1, true, true, {}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const Case& c = cases[i];
    RaftLog& l = Make(Consecutive(1, 3, 1), Consecutive(4, 6, 1));
    l.CommitTo(5);
    l.AppliedTo(c.applied, 0);
    if (c.applying > c.applied) {
      l.AcceptApplying(c.applying, 0, c.allow_unstable);
    }
    if (c.pending_snapshot) l.Restore(SnapshotAt(6, 1));
    EXPECT_EQ(l.HasNextCommittedEnts(c.allow_unstable), !c.want.empty());
    EXPECT_EQ(Ids(*l.NextCommittedEnts(c.allow_unstable)), c.want);
  }
}

TEST_F(RaftLogTest, ApplyingBudgetPausesAndResumes) {
  const uint64_t size = EntrySize(DataEntry(1, 1, "xxxx"));
  std::vector<Entry> ents;
  for (uint64_t i = 1; i <= 6; ++i) ents.push_back(DataEntry(i, 1, "xxxx"));
  // Room for two entries at a time.
  RaftLog& l = Make(ents, {}, 0, 0, 2 * size);
  l.CommitTo(6);

  std::vector<Entry> batch = *l.NextCommittedEnts(false);
  EXPECT_EQ(Ids(batch), (IdList{{1, 1}, {2, 1}}));
  l.AcceptApplying(2, 2 * size, false);
  EXPECT_FALSE(l.HasNextCommittedEnts(false)) << "budget spent: paused";

  l.AppliedTo(1, size);
  EXPECT_TRUE(l.HasNextCommittedEnts(false));
  batch = *l.NextCommittedEnts(false);
  EXPECT_EQ(Ids(batch), (IdList{{3, 1}})) << "only one entry's worth left";
  l.AcceptApplying(3, size, false);
  EXPECT_FALSE(l.HasNextCommittedEnts(false));

  l.AppliedTo(3, 2 * size);
  EXPECT_EQ(Ids(*l.NextCommittedEnts(false)), (IdList{{4, 1}, {5, 1}}));
}

TEST_F(RaftLogTest, BudgetSmallerThanOneEntryStillMakesProgress) {
  RaftLog& l = Make(Consecutive(1, 3, 1), {}, 0, 0, 1);
  l.CommitTo(3);
  EXPECT_EQ(Ids(*l.NextCommittedEnts(false)), (IdList{{1, 1}}));
  l.AcceptApplying(1, EntrySize(MakeEntry(1, 1)), false);
  EXPECT_FALSE(l.HasNextCommittedEnts(false));
  l.AppliedTo(1, EntrySize(MakeEntry(1, 1)));
  EXPECT_EQ(Ids(*l.NextCommittedEnts(false)), (IdList{{2, 1}}));
}

TEST_F(RaftLogTest, ZeroBudgetAppliesOneEntryAtATime) {
  RaftLog& l = Make(Consecutive(1, 3, 1), {}, 0, 0, 0);
  l.CommitTo(3);
  for (uint64_t i = 1; i <= 3; ++i) {
    SCOPED_TRACE(i);
    std::vector<Entry> batch = *l.NextCommittedEnts(false);
    ASSERT_EQ(Ids(batch), (IdList{{i, 1}}));
    l.AcceptApplying(i, EntrySize(batch[0]), false);
    EXPECT_FALSE(l.HasNextCommittedEnts(false)) << "one at a time";
    l.AppliedTo(i, EntrySize(batch[0]));
  }
  EXPECT_FALSE(l.HasNextCommittedEnts(false));
  EXPECT_EQ(l.applied(), 3u);
}

TEST_F(RaftLogTest, AppliedToOutOfRangePanics) {
  RaftLog& l = Make(Consecutive(1, 3, 1));
  l.CommitTo(2);
  l.AppliedTo(2, 0);
  EXPECT_EQ(l.applied(), 2u);
  EXPECT_EQ(l.applying(), 2u);
  EXPECT_DEATH(l.AppliedTo(3, 0),
               "applied\\(3\\) is out of range");  // past commit
  EXPECT_DEATH(l.AppliedTo(1, 0),
               "applied\\(1\\) is out of range");  // backwards
  EXPECT_EQ(l.applied(), 2u);
}

TEST_F(RaftLogTest, SliceAcrossStorageAndUnstable) {
  // Snapshot at 3; stored 4..5; unstable 6..8. Every entry the same size.
  RaftLog& l = Make(Consecutive(4, 5, 1), Consecutive(6, 8, 1), 3, 1);
  const uint64_t one = EntrySize(MakeEntry(4, 1));
  struct Case {
    uint64_t lo, hi, max;
    IdList want;
  };
  const std::vector<Case> cases = {
      {4, 4, kNoLimit, {}},
      {4, 6, kNoLimit, {{4, 1}, {5, 1}}},
      {4, 9, kNoLimit, {{4, 1}, {5, 1}, {6, 1}, {7, 1}, {8, 1}}},
      {6, 9, kNoLimit, {{6, 1}, {7, 1}, {8, 1}}},
      {5, 7, kNoLimit, {{5, 1}, {6, 1}}},
      // Budgets.
      {4, 9, 0, {{4, 1}}},
      {4, 9, one, {{4, 1}}},
      {4, 9, 2 * one, {{4, 1}, {5, 1}}},
      {4, 9, 3 * one, {{4, 1}, {5, 1}, {6, 1}}},
      {4, 9, 3 * one - 1, {{4, 1}, {5, 1}}},
      {5, 9, 2 * one + 1, {{5, 1}, {6, 1}}},
      {6, 9, 0, {{6, 1}}},
      {6, 9, 2 * one, {{6, 1}, {7, 1}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    absl::StatusOr<std::vector<Entry>> got =
        l.Slice(cases[i].lo, cases[i].hi, cases[i].max);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Ids(*got), cases[i].want);
  }
  EXPECT_TRUE(IsCompacted(l.Slice(3, 5, kNoLimit).status()));
  EXPECT_EQ(l.Slice(5, 4, kNoLimit).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(l.Slice(4, 10, kNoLimit).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsCompacted(l.Entries(2, kNoLimit).status()));
  EXPECT_TRUE(l.Entries(9, kNoLimit)->empty());
}

TEST_F(RaftLogTest, CompactionUnderTheLogIsReportedAsCompacted) {
  RaftLog& l = Make(Consecutive(1, 5, 1));
  ASSERT_TRUE(storage_->Compact(3).ok());
  EXPECT_EQ(l.FirstIndex(), 4u);
  EXPECT_TRUE(IsCompacted(l.Slice(2, 5, kNoLimit).status()));
  EXPECT_TRUE(IsCompacted(l.Term(2).status()));
  EXPECT_EQ(*l.Term(3), 1u);
  EXPECT_EQ(Ids(*l.AllEntries()), (IdList{{4, 1}, {5, 1}}));
}

TEST_F(RaftLogTest, Restore) {
  RaftLog& l = Make(Consecutive(1, 3, 1), Consecutive(4, 5, 1));
  l.Restore(SnapshotAt(10, 3));
  EXPECT_EQ(l.committed(), 10u);
  EXPECT_EQ(l.FirstIndex(), 11u);
  EXPECT_EQ(l.LastIndex(), 10u);
  EXPECT_EQ(*l.Term(10), 3u);
  EXPECT_TRUE(l.HasNextUnstableSnapshot());
  EXPECT_EQ(l.Snapshot()->metadata().index(), 10u);
  EXPECT_FALSE(l.HasNextCommittedEnts(true)) << "snapshot first";
  l.AcceptUnstable();
  EXPECT_FALSE(l.HasNextUnstableSnapshot());
  EXPECT_TRUE(l.HasNextOrInProgressSnapshot());
  // The application persists the snapshot, then acknowledges it.
  ASSERT_TRUE(storage_->ApplySnapshot(SnapshotAt(10, 3)).ok());
  l.StableSnapTo({3, 10});
  EXPECT_FALSE(l.HasNextOrInProgressSnapshot());
  EXPECT_EQ(l.LastEntryId(), (EntryId{3, 10}));
  // New entries follow the snapshot.
  ASSERT_TRUE(l.Append(Entries({{11, 3}})).ok());
  EXPECT_EQ(l.LastEntryId(), (EntryId{3, 11}));
}

// A storage that counts how often the log asks it for its last index and
// for terms (each takes its lock).
class CountingStorage : public MemoryStorage {
 public:
  absl::StatusOr<uint64_t> LastIndex() const override {
    ++last_index_calls;
    return MemoryStorage::LastIndex();
  }
  absl::StatusOr<uint64_t> Term(uint64_t i) const override {
    ++term_calls;
    return MemoryStorage::Term(i);
  }
  mutable int last_index_calls = 0;
  mutable int term_calls = 0;
};

TEST(RaftLogStorageTest, TheLastEntryIsKnownWithoutAskingTheStorage) {
  CapturingLogger logger;
  CountingStorage s;
  ASSERT_TRUE(s.Append(Consecutive(1, 5, 1)).ok());
  absl::StatusOr<RaftLog> made = RaftLog::Create(&s, &logger);
  ASSERT_TRUE(made.ok());
  RaftLog& l = *made;
  // Entries appended, persisted by the application, acknowledged.
  ASSERT_TRUE(l.Append(Consecutive(6, 8, 2)).ok());
  ASSERT_TRUE(s.Append(Consecutive(6, 8, 2)).ok());
  l.StableTo({2, 8});
  ASSERT_TRUE(l.unstable().entries().empty());
  s.last_index_calls = 0;
  s.term_calls = 0;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(l.LastEntryId(), (EntryId{2, 8}));
    EXPECT_TRUE(l.MatchTerm({2, 8}));
    EXPECT_FALSE(l.MatchTerm({2, 9}));  // past the log: no Status built
  }
  EXPECT_EQ(s.last_index_calls, 0);
  EXPECT_EQ(s.term_calls, 0);
  // Older entries are the storage's to tell.
  EXPECT_EQ(*l.Term(4), 1u);
  EXPECT_EQ(s.term_calls, 1);
  // A suffix replaced by a new leader's entries, once persisted, is what the
  // log knows as last.
  ASSERT_TRUE(l.Append(Entries({{7, 3}})).ok());
  ASSERT_TRUE(s.Append(Entries({{7, 3}})).ok());
  l.StableTo({3, 7});
  EXPECT_EQ(l.LastEntryId(), (EntryId{3, 7}));
  EXPECT_TRUE(IsEntryUnavailable(l.Term(8).status()));
  EXPECT_EQ(*s.LastIndex(), 7u);
}

TEST_F(RaftLogTest, ScanVisitsPagesInOrder) {
  RaftLog& l = Make(Consecutive(1, 3, 1), Consecutive(4, 7, 1));
  const uint64_t one = EntrySize(MakeEntry(1, 1));
  for (uint64_t page : {uint64_t{0}, one, 2 * one, 3 * one + 1, kNoLimit}) {
    SCOPED_TRACE(page);
    uint64_t next = 2;
    ASSERT_TRUE(l.Scan(2, 7, page, [&](absl::Span<const Entry> ents) {
                   EXPECT_FALSE(ents.empty());
                   if (page < kNoLimit && page >= one) {
                     EXPECT_LE(ents.size() * one, page);
                   }
                   for (const Entry& e : ents) {
                     EXPECT_EQ(e.index(), next++);
                   }
                   return absl::OkStatus();
                 }).ok());
    EXPECT_EQ(next, 7u);
  }
  // The visitor's error stops the scan and is returned.
  int calls = 0;
  absl::Status st = l.Scan(1, 8, 0, [&](absl::Span<const Entry>) {
    ++calls;
    return absl::CancelledError("stop");
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace craft
