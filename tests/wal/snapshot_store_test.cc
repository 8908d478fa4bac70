#include "craft/wal/snapshot_store.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "wal/fault_env.h"
#include "wal/wal_test_util.h"

namespace craft {
namespace {

using wal_test::FilesIn;
using wal_test::ReadAll;
using wal_test::ScratchDir;
using wal_test::WriteAll;

raftpb::Snapshot Snap(uint64_t index, uint64_t term, std::string data) {
  raftpb::Snapshot s;
  s.set_data(std::move(data));
  s.mutable_metadata()->set_index(index);
  s.mutable_metadata()->set_term(term);
  s.mutable_metadata()->mutable_conf_state()->add_voters(1);
  s.mutable_metadata()->mutable_conf_state()->add_voters(2);
  return s;
}

std::unique_ptr<SnapshotStore> OpenOrDie(const std::string& dir,
                                         SnapshotStoreOptions opts = {}) {
  auto store = SnapshotStore::Open(dir, opts);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

TEST(SnapshotStoreTest, SaveAndLoad) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.Sub("snap"));
  ASSERT_NE(store, nullptr);
  auto none = store->LoadNewest();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->snapshot.has_value());
  EXPECT_TRUE(none->skipped.empty());

  ASSERT_TRUE(store->Save(Snap(10, 1, "ten")).ok());
  ASSERT_TRUE(store->Save(Snap(20, 2, std::string(100000, 'x'))).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(store->Save(raftpb::Snapshot())));
  EXPECT_EQ(
      FilesIn(dir.Sub("snap"), ".snap"),
      (std::vector<std::string>{"0000000000000001-000000000000000a.snap",
                                "0000000000000002-0000000000000014.snap"}));

  store = OpenOrDie(dir.Sub("snap"));
  auto newest = store->LoadNewest();
  ASSERT_TRUE(newest.ok()) << newest.status();
  ASSERT_TRUE(newest->snapshot.has_value());
  EXPECT_EQ(newest->snapshot->SerializeAsString(),
            Snap(20, 2, std::string(100000, 'x')).SerializeAsString());
  EXPECT_TRUE(newest->skipped.empty());
  auto ten = store->Load(10);
  ASSERT_TRUE(ten.ok()) << ten.status();
  EXPECT_EQ(ten->data(), "ten");
  EXPECT_TRUE(absl::IsNotFound(store->Load(15).status()));
}

TEST(SnapshotStoreTest, CorruptNewestFallsBackAndIsReported) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Save(Snap(10, 1, "older")).ok());
  ASSERT_TRUE(store->Save(Snap(20, 1, std::string(500, 'n'))).ok());
  const std::string newest = dir.Sub("0000000000000001-0000000000000014.snap");
  const std::string original = ReadAll(newest);
  // Every single-bit flip, anywhere in the file, is caught.
  for (size_t off = 0; off < original.size(); off += 7) {
    std::string data = original;
    data[off] = static_cast<char>(data[off] ^ (1 << (off % 8)));
    WriteAll(newest, data);
    auto loaded = store->LoadNewest();
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_TRUE(loaded->snapshot.has_value()) << off;
    EXPECT_EQ(loaded->snapshot->metadata().index(), 10u) << off;
    ASSERT_EQ(loaded->skipped.size(), 1u) << off;
    const absl::Status& why = loaded->skipped[0];
    EXPECT_TRUE(absl::IsDataLoss(why) ||
                (absl::IsFailedPrecondition(why) &&
                 absl::StrContains(why.message(), "newer")))
        << why;
    EXPECT_TRUE(absl::StrContains(why.message(), newest)) << why;
    EXPECT_TRUE(absl::IsDataLoss(store->Load(20).status()) ||
                absl::IsFailedPrecondition(store->Load(20).status()));
  }
  // Cut short.
  WriteAll(newest, original.substr(0, original.size() - 1));
  auto loaded = store->LoadNewest();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->skipped.size(), 1u);
  EXPECT_TRUE(absl::StrContains(loaded->skipped[0].message(), "body"))
      << loaded->skipped[0];
  // Nothing valid at all.
  WriteAll(dir.Sub("0000000000000001-000000000000000a.snap"), "garbage");
  loaded = store->LoadNewest();
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->snapshot.has_value());
  EXPECT_EQ(loaded->skipped.size(), 2u);
}

TEST(SnapshotStoreTest, NameMustMatchContents) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store->Save(Snap(10, 1, "x")).ok());
  std::filesystem::rename(dir.Sub("0000000000000001-000000000000000a.snap"),
                          dir.Sub("0000000000000001-000000000000000b.snap"));
  auto loaded = store->LoadNewest();
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->snapshot.has_value());
  ASSERT_EQ(loaded->skipped.size(), 1u);
  EXPECT_TRUE(absl::IsDataLoss(loaded->skipped[0]));
}

TEST(SnapshotStoreTest, NewerVersionIsReported) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store->Save(Snap(10, 1, "x")).ok());
  const std::string path = dir.Sub("0000000000000001-000000000000000a.snap");
  std::string data = ReadAll(path);
  data[8] = 2;
  WriteAll(path, data);
  auto s = store->Load(10);
  EXPECT_TRUE(absl::IsFailedPrecondition(s.status())) << s.status();
  EXPECT_TRUE(absl::StrContains(s.status().message(), "newer version"));
}

TEST(SnapshotStoreTest, TemporaryLeftoversAreRemoved) {
  ScratchDir dir;
  WriteAll(dir.Sub("0000000000000001-000000000000000a.snap.tmp"), "partial");
  WriteAll(dir.Sub("unrelated.txt"), "kept");
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(FilesIn(dir.path(), ".tmp").empty());
  EXPECT_EQ(FilesIn(dir.path(), ".txt").size(), 1u);
}

TEST(SnapshotStoreTest, ReleaseKeepsTheNewest) {
  ScratchDir dir;
  SnapshotStoreOptions opts;
  opts.keep = 2;
  auto store = OpenOrDie(dir.path(), opts);
  for (uint64_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(store->Save(Snap(i * 10, 1, "s")).ok());
  }
  ASSERT_TRUE(store->ReleaseBefore(30).ok());
  auto files = store->List();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].index, 30u);
  // Never fewer than `keep`, whatever the index.
  ASSERT_TRUE(store->ReleaseBefore(1000).ok());
  files = store->List();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].index, 40u);
  EXPECT_EQ((*files)[1].index, 50u);
}

TEST(SnapshotStoreTest, FailedSaveLeavesNoFile) {
  ScratchDir dir;
  testing::FaultEnv env;
  SnapshotStoreOptions opts;
  opts.env = &env;
  auto store = OpenOrDie(dir.path(), opts);
  ASSERT_TRUE(store->Save(Snap(10, 1, "ok")).ok());
  for (int which = 0; which < 2; ++which) {
    if (which == 0) env.FailWrite(2, ENOSPC, 3);
    if (which == 1) env.FailSync(1);
    absl::Status s = store->Save(Snap(20, 1, "fails"));
    EXPECT_FALSE(s.ok());
    auto files = store->List();
    ASSERT_TRUE(files.ok());
    EXPECT_EQ(files->size(), 1u);
    EXPECT_TRUE(FilesIn(dir.path(), ".tmp").empty());
  }
  // A crash before the directory sync of a save loses it whole.
  env.ClearFaults();
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  auto loaded = store->LoadNewest();
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->snapshot.has_value());
  EXPECT_EQ(loaded->snapshot->metadata().index(), 10u);
}

}  // namespace
}  // namespace craft
