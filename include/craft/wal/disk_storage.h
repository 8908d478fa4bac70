// DiskStorage is a durable Storage: the node reads its log from memory, and
// the application's writes go to a write-ahead log and a snapshot store in
// one directory, so that a node restarted from that directory finds its hard
// state, log, snapshot and configuration exactly as they were acknowledged.
//
//   auto storage = craft::DiskStorage::Open("/var/lib/app/raft");
//   craft::Config cfg;  // ...
//   cfg.storage = storage->get();
//   auto node = craft::RawNode::Create(cfg);  // restarts from the directory
//   ...
//   craft::Ready rd = node->GetReady();
//   if (auto s = (*storage)->Save(rd); !s.ok()) { /* stop: see below */ }
//   // now send rd.messages, apply rd.committed_entries, Advance.
//
// Layout: <dir>/wal holds the Wal (craft/wal/wal.h), <dir>/snap the
// SnapshotStore (craft/wal/snapshot_store.h).
//
// What is durable when: Save returns OK only after the Ready's snapshot,
// entries and hard state are on disk (one fdatasync for the entries and hard
// state, none if the Ready's must_sync is false: then only the commit index
// changed, which Raft can recover). A snapshot is written to its own file
// and synced before the log records that it was cut there. Entries stay in
// memory until Compact, which also deletes the WAL segments and snapshot
// files the latest snapshot made unnecessary.
//
// Failures: if a write or sync fails, Save returns the error and the
// storage refuses every later write (the node must not go on as if the
// state were durable: stop it, and reopen the directory to recover what was
// acknowledged). Reads keep working.
//
// Threads: the Storage reads may run on any thread, concurrently with the
// writes; the writes (Save, ApplySnapshot, CreateSnapshot, Compact) must
// come from one thread at a time, e.g. the Ready loop, or the append thread
// that handles MsgStorageAppend with Config::async_storage_writes.

#ifndef CRAFT_WAL_DISK_STORAGE_H_
#define CRAFT_WAL_DISK_STORAGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "craft/memory_storage.h"
#include "craft/message.h"
#include "craft/raftpb.h"
#include "craft/ready.h"
#include "craft/storage.h"
#include "craft/wal/snapshot_store.h"
#include "craft/wal/wal.h"

namespace craft {

struct DiskStorageOptions {
  // The WAL's segment size (WalOptions::segment_bytes).
  uint64_t segment_bytes = uint64_t{64} << 20;
  // How many snapshot files Compact keeps (SnapshotStoreOptions::keep).
  size_t keep_snapshots = 2;
  // The file layer; nullptr means Env::Default().
  Env* env = nullptr;
};

class DiskStorage : public Storage {
 public:
  // Opens the storage in `dir` (created if missing) and recovers it: the
  // snapshot the WAL was last cut at, then the WAL's entries and hard state
  // after it. DataLoss if that snapshot's file is missing or damaged (the
  // WAL no longer holds the entries it replaced, so no older snapshot can
  // stand in for it), and any error of Wal::Open or SnapshotStore::Open.
  static absl::StatusOr<std::unique_ptr<DiskStorage>> Open(
      std::string dir, DiskStorageOptions options = {});

  DiskStorage(const DiskStorage&) = delete;
  DiskStorage& operator=(const DiskStorage&) = delete;

  // Storage: served from memory.
  absl::StatusOr<craft::InitialState> InitialState() const override;
  using Storage::Entries;
  absl::Status Entries(uint64_t lo, uint64_t hi, uint64_t max_size,
                       std::vector<Entry>* out) const override;
  absl::StatusOr<uint64_t> Term(uint64_t i) const override;
  absl::StatusOr<uint64_t> LastIndex() const override;
  absl::StatusOr<uint64_t> FirstIndex() const override;
  absl::StatusOr<raftpb::Snapshot> Snapshot() const override;

  // Makes a Ready's snapshot, entries and hard state durable (see the
  // header comment), then serves them to the node.
  absl::Status Save(const Ready& rd);

  // The same for a MsgStorageAppend (Config::async_storage_writes): its
  // snapshot, entries and hard state (term, vote, commit) are made durable.
  // The caller then delivers the message's responses. Synced unless only
  // the commit index changed.
  absl::Status Save(const Message& storage_append);

  // The general form: `snapshot` may be null or empty, `hs` empty.
  absl::Status Save(const HardState& hs, absl::Span<const Entry> entries,
                    const raftpb::Snapshot* snapshot, bool sync);

  // Installs `snapshot` durably as the storage's contents (the log after it
  // is emptied): the way to bootstrap a new node with its configuration.
  // SnapshotOutOfDateError if the storage already has a snapshot at or past
  // its index.
  absl::Status ApplySnapshot(const raftpb::Snapshot& snapshot);

  // Records a snapshot of the state machine at applied index i (which must
  // be in the log) with `data` and `conf_state` (if null, the previous
  // snapshot's), durably. The log is not compacted: call Compact. Errors as
  // MemoryStorage::CreateSnapshot.
  absl::StatusOr<raftpb::Snapshot> CreateSnapshot(
      uint64_t i, const raftpb::ConfState* conf_state, std::string data);

  // Discards the entries before compact_index from memory, then deletes the
  // WAL segments and the old snapshot files no longer needed.
  // InvalidArgument if compact_index is past the latest snapshot (a
  // discarded entry must be in a snapshot); CompactedError if it is already
  // compacted.
  absl::Status Compact(uint64_t compact_index);

  // OK, or the write error after which the storage refuses writes. (From
  // the writing thread.)
  const absl::Status& status() const { return failed_; }
  const std::string& dir() const { return dir_; }

 private:
  DiskStorage(std::string dir, std::unique_ptr<Wal> wal,
              std::unique_ptr<SnapshotStore> snapshots);

  // Writes the snapshot file, then the WAL's marker for it.
  absl::Status PersistSnapshot(const raftpb::Snapshot& snapshot);
  // Records the first write failure; returns it.
  absl::Status Fail(absl::Status s);
  absl::Status Refused() const;

  const std::string dir_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<SnapshotStore> snapshots_;
  MemoryStorage mem_;
  // Touched by the writing thread only.
  HardState hard_state_;         // the last one saved (the sync decision)
  uint64_t snapshot_index_ = 0;  // the latest snapshot's
  absl::Status failed_;
};

}  // namespace craft

#endif  // CRAFT_WAL_DISK_STORAGE_H_
