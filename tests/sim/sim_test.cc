// Unit tests of the simulator's parts; the seed sweeps run as separate
// ctest entries (sim.seeds.*), and scripts/mutants shows they catch bugs.

#include "sim/sim.h"

#include "gtest/gtest.h"
#include "sim/disk.h"
#include "sim/kv.h"

namespace craft::sim {
namespace {

TEST(SimTest, EventsRoundTrip) {
  Event e;
  e.time = 1234;
  e.type = EventType::kConfChange;
  e.node = 2;
  e.arg = 1;
  e.text = "v4 l5";
  const std::string line = FormatEvent(e);
  EXPECT_EQ(line, "1234 confchange node=2 arg=1 text=v4 l5");
  absl::StatusOr<Event> back = ParseEvent(line);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(FormatEvent(*back), line);
  EXPECT_FALSE(ParseEvent("12 explode node=1").ok());
  EXPECT_FALSE(ParseEvent("x tick").ok());
}

TEST(SimTest, KvAppliesEachOperationOnce) {
  KvStore kv;
  KvOp put{
      .client = 1, .seq = 1, .kind = KvOpKind::kPut, .key = "k", .value = "a"};
  EXPECT_EQ(kv.Apply(put), KvOutcome::kOk);
  EXPECT_EQ(kv.Apply(put), KvOutcome::kDuplicate);
  KvOp cas{.client = 2,
           .seq = 1,
           .kind = KvOpKind::kCas,
           .key = "k",
           .value = "b",
           .expected = "x"};
  EXPECT_EQ(kv.Apply(cas), KvOutcome::kFailed);
  cas.seq = 2;
  cas.expected = "a";
  EXPECT_EQ(kv.Apply(cas), KvOutcome::kOk);
  EXPECT_EQ(kv.Get("k"), "b");
  absl::StatusOr<KvStore> back = KvStore::Restore(kv.Serialize());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, kv);
  std::optional<KvOp> decoded = DecodeOp(EncodeOp(cas));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->expected, "a");
  EXPECT_FALSE(DecodeOp("not an op").has_value());
}

TEST(SimTest, DiskKeepsWhatWasSynced) {
  raftpb::Snapshot boot;
  boot.mutable_metadata()->set_index(1);
  boot.mutable_metadata()->set_term(1);
  SimDisk d(boot);
  auto entries = [](uint64_t first, uint64_t last) {
    std::vector<Entry> out;
    for (uint64_t i = first; i <= last; ++i) out.push_back(MakeEntry(i, 2));
    return out;
  };
  HardState hs;
  hs.set_term(2);
  hs.set_commit(3);
  ASSERT_TRUE(d.Apply({hs, entries(2, 3), {}}, /*sync=*/true).ok());
  ASSERT_TRUE(d.Apply({{}, entries(4, 6), {}}, /*sync=*/false).ok());
  EXPECT_EQ(*d.storage().LastIndex(), 6u);
  EXPECT_TRUE(d.DurablyHolds(3, 2));
  EXPECT_FALSE(d.DurablyHolds(4, 2));
  // A torn write keeps a prefix of its entries.
  d.Crash(/*keep=*/1, /*torn_entries=*/2);
  EXPECT_EQ(*d.storage().LastIndex(), 5u);
  EXPECT_EQ(d.durable_hard_state().commit(), 3u);
  ASSERT_TRUE(d.Apply({{}, entries(6, 8), {}}, /*sync=*/false).ok());
  d.Crash(/*keep=*/0, 0);
  EXPECT_EQ(*d.storage().LastIndex(), 5u);
}

TEST(SimTest, ASeedRunsCleanAndReplaysIdentically) {
  RunResult r = RunSeed(3, 300);
  ASSERT_TRUE(r.ok()) << r.failure;
  EXPECT_GT(r.ticks, 300u);
  RunResult again = Replay(r.options, r.events);
  EXPECT_TRUE(again.ok()) << again.failure;
  EXPECT_EQ(again.ticks, r.ticks);
  EXPECT_EQ(again.operations, r.operations);
  absl::StatusOr<EventFile> f = ParseEventFile(FormatEventFile(3, r.events));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->seed, 3u);
  EXPECT_EQ(f->events.size(), r.events.size());
}

}  // namespace
}  // namespace craft::sim
