#include "craft/memory_storage.h"

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "craft/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/entries.h"

namespace craft {
namespace {

using ::craft::testing::Consecutive;
using ::craft::testing::Entries;
using ::craft::testing::IdList;
using ::craft::testing::Ids;
using ::testing::ElementsAre;

// A storage whose snapshot is at (3, 3) and holds entries 4 (term 4) and
// 5 (term 5).
void Fill(MemoryStorage& s) {
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(3);
  snap.mutable_metadata()->set_term(3);
  ASSERT_TRUE(s.ApplySnapshot(snap).ok());
  ASSERT_TRUE(s.Append(Entries({{4, 4}, {5, 5}})).ok());
}

// Every behaviour holds with and without the lock: Locking changes how the
// storage guards itself, never what it answers.
class MemoryStorageTest
    : public ::testing::TestWithParam<MemoryStorage::Locking> {};

INSTANTIATE_TEST_SUITE_P(
    Locking, MemoryStorageTest,
    ::testing::Values(MemoryStorage::Locking::kThreadSafe,
                      MemoryStorage::Locking::kSingleThreaded),
    [](const ::testing::TestParamInfo<MemoryStorage::Locking>& info) {
      return info.param == MemoryStorage::Locking::kThreadSafe
                 ? "ThreadSafe"
                 : "SingleThreaded";
    });

TEST_P(MemoryStorageTest, EmptyStorage) {
  MemoryStorage s(GetParam());
  EXPECT_EQ(*s.FirstIndex(), 1u);
  EXPECT_EQ(*s.LastIndex(), 0u);
  EXPECT_EQ(*s.Term(0), 0u);
  EXPECT_TRUE(IsEntryUnavailable(s.Term(1).status()));
  EXPECT_TRUE(IsEntryUnavailable(s.Entries(1, 2, kNoLimit).status()));
  absl::StatusOr<InitialState> st = s.InitialState();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(IsEmptyHardState(st->hard_state));
  EXPECT_EQ(st->conf_state.voters_size(), 0);
}

TEST_P(MemoryStorageTest, Term) {
  MemoryStorage s(GetParam());
  Fill(s);
  EXPECT_TRUE(IsCompacted(s.Term(2).status()));
  EXPECT_EQ(*s.Term(3), 3u);  // the snapshot's boundary term
  EXPECT_EQ(*s.Term(4), 4u);
  EXPECT_EQ(*s.Term(5), 5u);
  EXPECT_TRUE(IsEntryUnavailable(s.Term(6).status()));
}

TEST_P(MemoryStorageTest, FirstAndLastIndex) {
  MemoryStorage s(GetParam());
  Fill(s);
  EXPECT_EQ(*s.FirstIndex(), 4u);
  EXPECT_EQ(*s.LastIndex(), 5u);
  ASSERT_TRUE(s.Append(Entries({{6, 5}})).ok());
  EXPECT_EQ(*s.LastIndex(), 6u);
  ASSERT_TRUE(s.Compact(4).ok());
  EXPECT_EQ(*s.FirstIndex(), 5u);
}

TEST_P(MemoryStorageTest, EntriesRangesAndBudgets) {
  MemoryStorage s(GetParam());
  Fill(s);
  ASSERT_TRUE(s.Append(Entries({{6, 6}})).ok());
  const uint64_t one = EntrySize(MakeEntry(4, 4));

  EXPECT_TRUE(IsCompacted(s.Entries(2, 6, kNoLimit).status()));
  EXPECT_TRUE(IsCompacted(s.Entries(3, 4, kNoLimit).status()));
  EXPECT_THAT(Ids(*s.Entries(4, 5, kNoLimit)), ElementsAre(std::pair(4, 4)));
  EXPECT_EQ(Ids(*s.Entries(4, 7, kNoLimit)), (IdList{{4, 4}, {5, 5}, {6, 6}}));
  EXPECT_TRUE(s.Entries(5, 5, kNoLimit)->empty());
  // A budget smaller than one entry still returns that entry.
  EXPECT_EQ(Ids(*s.Entries(4, 7, 0)), (IdList{{4, 4}}));
  EXPECT_EQ(Ids(*s.Entries(4, 7, one)), (IdList{{4, 4}}));
  EXPECT_EQ(Ids(*s.Entries(4, 7, 2 * one)), (IdList{{4, 4}, {5, 5}}));
  EXPECT_EQ(Ids(*s.Entries(4, 7, 3 * one - 1)), (IdList{{4, 4}, {5, 5}}));
  EXPECT_EQ(Ids(*s.Entries(4, 7, 3 * one)).size(), 3u);
  // Past the end, and inverted ranges, are errors rather than aborts.
  EXPECT_TRUE(IsEntryUnavailable(s.Entries(4, 8, kNoLimit).status()));
  EXPECT_EQ(s.Entries(6, 5, kNoLimit).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The appending form adds to what the caller's vector holds, and leaves it
// untouched on error.
TEST_P(MemoryStorageTest, EntriesAppendToTheCallersVector) {
  MemoryStorage s(GetParam());
  Fill(s);
  std::vector<Entry> out = Entries({{1, 1}});
  ASSERT_TRUE(s.Entries(4, 6, kNoLimit, &out).ok());
  EXPECT_EQ(Ids(out), (IdList{{1, 1}, {4, 4}, {5, 5}}));
  EXPECT_TRUE(IsCompacted(s.Entries(2, 6, kNoLimit, &out)));
  EXPECT_TRUE(IsEntryUnavailable(s.Entries(4, 9, kNoLimit, &out)));
  EXPECT_EQ(out.size(), 3u);
}

TEST_P(MemoryStorageTest, Compact) {
  struct Case {
    uint64_t index;
    bool compacted;  // CompactedError
    bool invalid;    // InvalidArgument
    uint64_t want_first;
  };
  for (const Case& c : {Case{2, true, false, 4}, Case{3, true, false, 4},
                        Case{4, false, false, 5}, Case{5, false, false, 6},
                        Case{6, false, true, 4}}) {
    SCOPED_TRACE(c.index);
    MemoryStorage s(GetParam());
    Fill(s);
    absl::Status st = s.Compact(c.index);
    EXPECT_EQ(IsCompacted(st), c.compacted);
    EXPECT_EQ(st.code() == absl::StatusCode::kInvalidArgument, c.invalid);
    EXPECT_EQ(*s.FirstIndex(), c.want_first);
    EXPECT_EQ(*s.LastIndex(), 5u);
    EXPECT_EQ(*s.Term(*s.FirstIndex() - 1), *s.FirstIndex() - 1)
        << "the boundary term is kept";
  }
}

TEST_P(MemoryStorageTest, EmptyRangeAtTheEndOfACompactedLog) {
  // Compacted to its last index, the log holds no entries: [first, first)
  // is an empty range, not a crash (found by DiskStorage's crash test).
  MemoryStorage s(GetParam());
  Fill(s);
  ASSERT_TRUE(s.Compact(5).ok());
  ASSERT_EQ(*s.FirstIndex(), 6u);
  absl::StatusOr<std::vector<Entry>> ents = s.Entries(6, 6, UINT64_MAX);
  ASSERT_TRUE(ents.ok()) << ents.status();
  EXPECT_TRUE(ents->empty());
  EXPECT_TRUE(IsEntryUnavailable(s.Entries(6, 7, UINT64_MAX).status()));
}

TEST_P(MemoryStorageTest, CreateSnapshot) {
  MemoryStorage s(GetParam());
  Fill(s);
  raftpb::ConfState cs;
  cs.add_voters(1);
  cs.add_voters(2);
  absl::StatusOr<raftpb::Snapshot> snap = s.CreateSnapshot(4, &cs, "data");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->metadata().index(), 4u);
  EXPECT_EQ(snap->metadata().term(), 4u);
  EXPECT_EQ(snap->data(), "data");
  EXPECT_THAT(snap->metadata().conf_state().voters(), ElementsAre(1, 2));
  EXPECT_EQ(s.Snapshot()->metadata().index(), 4u);
  EXPECT_EQ(*s.FirstIndex(), 4u) << "creating a snapshot does not compact";

  // Without a ConfState, the previous one is kept.
  snap = s.CreateSnapshot(5, nullptr, "more");
  ASSERT_TRUE(snap.ok());
  EXPECT_THAT(snap->metadata().conf_state().voters(), ElementsAre(1, 2));

  EXPECT_TRUE(IsSnapshotOutOfDate(s.CreateSnapshot(5, nullptr, "").status()));
  EXPECT_TRUE(IsSnapshotOutOfDate(s.CreateSnapshot(3, nullptr, "").status()));
  EXPECT_EQ(s.CreateSnapshot(9, nullptr, "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(MemoryStorageTest, ApplySnapshot) {
  MemoryStorage s(GetParam());
  Fill(s);
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(10);
  snap.mutable_metadata()->set_term(7);
  snap.mutable_metadata()->mutable_conf_state()->add_voters(3);
  ASSERT_TRUE(s.ApplySnapshot(snap).ok());
  EXPECT_EQ(*s.FirstIndex(), 11u);
  EXPECT_EQ(*s.LastIndex(), 10u);
  EXPECT_EQ(*s.Term(10), 7u);
  EXPECT_THAT(s.InitialState()->conf_state.voters(), ElementsAre(3));

  // The same or an older snapshot is out of date, and changes nothing.
  EXPECT_TRUE(IsSnapshotOutOfDate(s.ApplySnapshot(snap)));
  snap.mutable_metadata()->set_index(8);
  EXPECT_TRUE(IsSnapshotOutOfDate(s.ApplySnapshot(snap)));
  EXPECT_EQ(*s.FirstIndex(), 11u);
}

TEST_P(MemoryStorageTest, SnapshotChecksReadPastLargeData) {
  // The out-of-date checks decode the stored snapshot's metadata alone,
  // skipping its data: here long enough for a multi-byte length.
  MemoryStorage s(GetParam());
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(10);
  snap.mutable_metadata()->set_term(2);
  snap.mutable_metadata()->mutable_conf_state()->add_voters(7);
  snap.set_data(std::string(100000, 'd'));
  ASSERT_TRUE(s.ApplySnapshot(snap).ok());
  snap.mutable_metadata()->set_index(9);
  EXPECT_TRUE(IsSnapshotOutOfDate(s.ApplySnapshot(snap)));
  EXPECT_TRUE(IsSnapshotOutOfDate(s.CreateSnapshot(10, nullptr, "").status()));

  ASSERT_TRUE(s.Append(Entries({{11, 2}, {12, 3}})).ok());
  absl::StatusOr<raftpb::Snapshot> created = s.CreateSnapshot(12, nullptr, "x");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->metadata().index(), 12u);
  EXPECT_EQ(created->metadata().term(), 3u);
  EXPECT_THAT(created->metadata().conf_state().voters(), ElementsAre(7));
  EXPECT_EQ(s.Snapshot()->data(), "x");
  EXPECT_TRUE(IsSnapshotOutOfDate(s.CreateSnapshot(11, nullptr, "").status()));
}

TEST_P(MemoryStorageTest, Append) {
  struct Case {
    std::vector<Entry> append;
    bool ok;
    IdList want;  // entries after the snapshot at 3
  };
  const std::vector<Case> cases = {
      // Exactly the existing entries.
      {Entries({{4, 4}, {5, 5}}), true, {{4, 4}, {5, 5}}},
      // Overwrites the tail.
      {Entries({{4, 4}, {5, 6}, {6, 6}}), true, {{4, 4}, {5, 6}, {6, 6}}},
      {Entries({{4, 4}, {5, 5}, {6, 5}}), true, {{4, 4}, {5, 5}, {6, 5}}},
      // Starts inside the compacted prefix: that part is skipped.
      {Entries({{2, 3}, {3, 3}, {4, 5}}), true, {{4, 5}}},
      // Entirely compacted: nothing happens.
      {Entries({{2, 2}, {3, 3}}), true, {{4, 4}, {5, 5}}},
      // Truncates from the middle.
      {Entries({{5, 5}}), true, {{4, 4}, {5, 5}}},
      {Entries({{4, 5}}), true, {{4, 5}}},
      // Directly after the last entry.
      {Entries({{6, 5}}), true, {{4, 4}, {5, 5}, {6, 5}}},
      // A gap after the last entry.
      {Entries({{7, 5}}), false, {{4, 4}, {5, 5}}},
      // Not consecutive.
      {Entries({{5, 5}, {7, 5}}), false, {{4, 4}, {5, 5}}},
      {{}, true, {{4, 4}, {5, 5}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    MemoryStorage s(GetParam());
    Fill(s);
    absl::Status st = s.Append(cases[i].append);
    EXPECT_EQ(st.ok(), cases[i].ok) << st;
    if (!cases[i].ok) {
      EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(Ids(*s.Entries(4, *s.LastIndex() + 1, kNoLimit)), cases[i].want);
  }
}

TEST_P(MemoryStorageTest, AppendMovesPayloads) {
  MemoryStorage s(GetParam());
  std::vector<Entry> ents = Consecutive(1, 2, 1);
  ents[0].set_data("payload");
  ASSERT_TRUE(s.Append(std::move(ents)).ok());
  EXPECT_EQ((*s.Entries(1, 2, kNoLimit))[0].data(), "payload");
}

// The log is kept in chunks of MemoryStorage's chunk size (1024 entries):
// appends, overwrites, compactions and budgeted reads across many chunk
// boundaries must behave as on one flat vector.
TEST_P(MemoryStorageTest, LongLogsBehaveAsAFlatLog) {
  std::mt19937_64 rng(5);
  MemoryStorage s(GetParam());
  std::vector<std::pair<uint64_t, uint64_t>> model = {{0, 0}};  // index, term
  uint64_t term = 1;
  for (int step = 0; step < 400; ++step) {
    const uint64_t first = model.front().first + 1;
    const uint64_t last = model.back().first;
    switch (rng() % 4) {
      case 0:
      case 1: {  // append after the last index, or overwrite a suffix
        uint64_t from = last + 1;
        if (rng() % 3 == 0 && last >= first)
          from = first + rng() % (last - first + 1);
        ++term;
        const size_t n = 1 + rng() % 1500;
        std::vector<Entry> ents;
        for (size_t k = 0; k < n; ++k) {
          ents.push_back(MakeEntry(from + k, term));
          ents.back().set_data(std::string(rng() % 8, 'p'));
        }
        if (rng() % 2 == 0) {
          ASSERT_TRUE(s.Append(ents).ok());
        } else {
          ASSERT_TRUE(s.Append(std::move(ents)).ok());
        }
        model.resize(from - model.front().first);
        for (size_t k = 0; k < n; ++k) model.emplace_back(from + k, term);
        break;
      }
      case 2: {  // compact
        if (last < first) break;
        const uint64_t at = first + rng() % (last - first + 1);
        ASSERT_TRUE(s.Compact(at).ok());
        model.erase(model.begin(), model.begin() + (at - model.front().first));
        break;
      }
      case 3: {  // read a range within a budget
        if (last < first) break;
        const uint64_t lo = first + rng() % (last - first + 1);
        const uint64_t hi = lo + 1 + rng() % (last - lo + 1);
        const uint64_t budget = rng() % 40000;
        absl::StatusOr<std::vector<Entry>> got = s.Entries(lo, hi, budget);
        ASSERT_TRUE(got.ok());
        ASSERT_FALSE(got->empty());
        uint64_t size = 0;
        for (size_t k = 0; k < got->size(); ++k) {
          const Entry& e = (*got)[k];
          ASSERT_EQ(e.index(), lo + k);
          ASSERT_EQ(e.term(), model[e.index() - model.front().first].second);
          size += EntrySize(e);
        }
        EXPECT_TRUE(got->size() == 1 || size <= budget);
        if (lo + got->size() < hi) {  // stopped by the budget, not earlier
          absl::StatusOr<std::vector<Entry>> one_more =
              s.Entries(lo, lo + got->size() + 1, kNoLimit);
          ASSERT_TRUE(one_more.ok());
          EXPECT_GT(size + EntrySize(one_more->back()), budget);
        }
        break;
      }
    }
    ASSERT_EQ(*s.FirstIndex(), model.front().first + 1) << "step " << step;
    ASSERT_EQ(*s.LastIndex(), model.back().first) << "step " << step;
    const uint64_t probe = model.front().first + rng() % model.size();
    ASSERT_EQ(*s.Term(probe), model[probe - model.front().first].second);
  }
}

TEST_P(MemoryStorageTest, HardState) {
  MemoryStorage s(GetParam());
  HardState hs;
  hs.set_term(3);
  hs.set_vote(2);
  hs.set_commit(1);
  ASSERT_TRUE(s.SetHardState(hs).ok());
  EXPECT_TRUE(HardStateEqual(s.InitialState()->hard_state, hs));
}

// Only the thread-safe storage may be shared (ThreadSanitizer would report
// the single-threaded one here).
TEST(MemoryStorageConcurrencyTest, ConcurrentReadersAndWriter) {
  MemoryStorage s(MemoryStorage::Locking::kThreadSafe);
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      uint64_t last = *s.LastIndex();
      if (last > 0) {
        absl::StatusOr<std::vector<Entry>> ents =
            s.Entries(1, last + 1, kNoLimit);
        // Compaction may race ahead; any error must be a clean one.
        if (ents.ok()) {
          EXPECT_EQ(ents->back().index(), last);
        }
      }
    }
  });
  for (uint64_t i = 1; i <= 2000; ++i) {
    ASSERT_TRUE(s.Append(Entries({{i, 1}})).ok());
  }
  done = true;
  reader.join();
  EXPECT_EQ(*s.LastIndex(), 2000u);
}

}  // namespace
}  // namespace craft
