// SnapshotStore keeps a node's snapshots as files in one directory, one per
// snapshot, named "%016x-%016x.snap" (term, index).
//
// A file is a 32-byte header and the raftpb.Snapshot's protobuf encoding:
//
//   offset  size  field
//        0     8  magic "craftsnp"
//        8     4  format version (1)
//       12     4  reserved, zero
//       16     8  body length
//       24     4  CRC-32C of the body
//       28     4  CRC-32C of bytes [0, 28)
//       32     -  body
//
// Save writes it under a temporary name, syncs it, renames it into place
// and syncs the directory, so a snapshot file is either whole or absent;
// temporary files a crash left behind are removed by Open. Loading verifies
// both checksums; a damaged file is reported, never used.
//
// Not thread-safe.

#ifndef CRAFT_WAL_SNAPSHOT_STORE_H_
#define CRAFT_WAL_SNAPSHOT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "craft/raftpb.pb.h"
#include "craft/wal/env.h"

namespace craft {

struct SnapshotStoreOptions {
  // The file layer; nullptr means Env::Default().
  Env* env = nullptr;
  // ReleaseBefore never leaves fewer than this many snapshot files (the
  // newest ones), so that a damaged newest snapshot has a fallback.
  size_t keep = 2;
};

class SnapshotStore {
 public:
  // A snapshot file present in the directory.
  struct File {
    uint64_t term = 0;
    uint64_t index = 0;
    std::string path;
  };

  // What LoadNewest found.
  struct Loaded {
    // The newest snapshot whose file verifies; nullopt if there is none.
    std::optional<raftpb::Snapshot> snapshot;
    // The newer files that did not verify, newest first, each a status
    // naming the file and what is wrong with it (DataLoss for damage,
    // FailedPrecondition for a file of a newer format version). Whether
    // falling back past them is acceptable is for the caller to decide: it
    // is if the log still covers everything since the older snapshot.
    std::vector<absl::Status> skipped;
  };

  // Opens (creating if needed) the snapshot directory `dir` and removes the
  // temporary files of interrupted Saves.
  static absl::StatusOr<std::unique_ptr<SnapshotStore>> Open(
      std::string dir, SnapshotStoreOptions options = {});

  // Writes `snapshot` durably. InvalidArgument for an empty snapshot
  // (index 0). Replaces a file of the same term and index.
  absl::Status Save(const raftpb::Snapshot& snapshot);

  // The newest snapshot that verifies, and the newer ones that did not.
  absl::StatusOr<Loaded> LoadNewest() const;

  // The snapshot with `index` (the newest term's if several): NotFound if
  // there is none, DataLoss if its file is damaged.
  absl::StatusOr<raftpb::Snapshot> Load(uint64_t index) const;

  // Deletes the snapshot files with an index below `index`, except the
  // newest options.keep files, and syncs the directory.
  absl::Status ReleaseBefore(uint64_t index);

  // The snapshot files present, oldest (lowest index) first.
  absl::StatusOr<std::vector<File>> List() const;

  const std::string& dir() const { return dir_; }

 private:
  SnapshotStore(std::string dir, SnapshotStoreOptions options);

  absl::StatusOr<raftpb::Snapshot> Read(const File& f) const;

  const std::string dir_;
  const SnapshotStoreOptions options_;
  Env* const env_;
};

}  // namespace craft

#endif  // CRAFT_WAL_SNAPSHOT_STORE_H_
