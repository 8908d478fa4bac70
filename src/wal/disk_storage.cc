#include "craft/wal/disk_storage.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "craft/errors.h"

namespace craft {

DiskStorage::DiskStorage(std::string dir, std::unique_ptr<Wal> wal,
                         std::unique_ptr<SnapshotStore> snapshots)
    : dir_(std::move(dir)),
      wal_(std::move(wal)),
      snapshots_(std::move(snapshots)) {}

absl::StatusOr<std::unique_ptr<DiskStorage>> DiskStorage::Open(
    std::string dir, DiskStorageOptions options) {
  if (dir.empty()) return absl::InvalidArgumentError("empty storage directory");
  Env* env = options.env != nullptr ? options.env : Env::Default();
  if (absl::Status s = env->CreateDir(dir); !s.ok()) return s;

  SnapshotStoreOptions snap_options;
  snap_options.env = env;
  snap_options.keep = options.keep_snapshots;
  absl::StatusOr<std::unique_ptr<SnapshotStore>> snapshots =
      SnapshotStore::Open(JoinPath(dir, "snap"), snap_options);
  if (!snapshots.ok()) return snapshots.status();

  WalOptions wal_options;
  wal_options.env = env;
  wal_options.segment_bytes = options.segment_bytes;
  WalContents contents;
  absl::StatusOr<std::unique_ptr<Wal>> wal =
      Wal::Open(JoinPath(dir, "wal"), wal_options, &contents);
  if (!wal.ok()) return wal.status();

  std::unique_ptr<DiskStorage> storage(
      new DiskStorage(dir, *std::move(wal), *std::move(snapshots)));
  // The WAL is the authority on which snapshot the state starts from: a
  // newer snapshot file is one whose marker a crash kept from the WAL (its
  // Save never returned), and an older one cannot stand in for it, since
  // the WAL dropped the entries the snapshot replaced.
  const SnapshotMarker& marker = contents.snapshot;
  if (marker.index > 0) {
    absl::StatusOr<raftpb::Snapshot> snap =
        storage->snapshots_->Load(marker.index);
    if (!snap.ok()) {
      return absl::DataLossError(absl::StrFormat(
          "storage %s: the snapshot at index %d, where the WAL was cut, "
          "cannot be loaded: %s",
          dir, marker.index, snap.status().ToString()));
    }
    if (snap->metadata().term() != marker.term) {
      return absl::DataLossError(absl::StrFormat(
          "storage %s: the snapshot file at index %d has term %d, but the "
          "WAL was cut at term %d",
          dir, marker.index, snap->metadata().term(), marker.term));
    }
    if (absl::Status s = storage->mem_.ApplySnapshot(*std::move(snap));
        !s.ok()) {
      return s;
    }
    storage->snapshot_index_ = marker.index;
  }
  if (absl::Status s = storage->mem_.Append(std::move(contents.entries));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = storage->mem_.SetHardState(contents.hard_state);
      !s.ok()) {
    return s;
  }
  storage->hard_state_ = contents.hard_state;
  return storage;
}

absl::StatusOr<InitialState> DiskStorage::InitialState() const {
  return mem_.InitialState();
}

absl::Status DiskStorage::Entries(uint64_t lo, uint64_t hi, uint64_t max_size,
                                  std::vector<Entry>* out) const {
  return mem_.Entries(lo, hi, max_size, out);
}

absl::StatusOr<uint64_t> DiskStorage::Term(uint64_t i) const {
  return mem_.Term(i);
}

absl::StatusOr<uint64_t> DiskStorage::LastIndex() const {
  return mem_.LastIndex();
}

absl::StatusOr<uint64_t> DiskStorage::FirstIndex() const {
  return mem_.FirstIndex();
}

absl::StatusOr<raftpb::Snapshot> DiskStorage::Snapshot() const {
  return mem_.Snapshot();
}

absl::Status DiskStorage::Fail(absl::Status s) {
  if (failed_.ok()) failed_ = s;
  return s;
}

absl::Status DiskStorage::Refused() const {
  return absl::FailedPreconditionError(
      absl::StrCat("storage ", dir_, " failed earlier: ", failed_.ToString(),
                   "; reopen it to recover what was acknowledged"));
}

absl::Status DiskStorage::PersistSnapshot(const raftpb::Snapshot& snapshot) {
  // The file first: once the WAL's marker is durable, the entries the
  // snapshot covers are no longer replayed, so the snapshot must be.
  if (absl::Status s = snapshots_->Save(snapshot); !s.ok()) {
    return Fail(std::move(s));
  }
  SnapshotMarker marker;
  marker.index = snapshot.metadata().index();
  marker.term = snapshot.metadata().term();
  marker.conf_state = snapshot.metadata().conf_state();
  if (absl::Status s = wal_->SaveSnapshotMarker(marker); !s.ok()) {
    return Fail(std::move(s));
  }
  snapshot_index_ = marker.index;
  return absl::OkStatus();
}

absl::Status DiskStorage::Save(const HardState& hs,
                               absl::Span<const Entry> entries,
                               const raftpb::Snapshot* snapshot, bool sync) {
  if (!failed_.ok()) return Refused();
  if (snapshot != nullptr && !IsEmptySnapshot(*snapshot)) {
    if (absl::Status s = ApplySnapshot(*snapshot); !s.ok()) return s;
  }
  const bool has_hs = !IsEmptyHardState(hs);
  if (!has_hs && entries.empty()) return absl::OkStatus();
  if (absl::Status s = wal_->Save(has_hs ? &hs : nullptr, entries, sync);
      !s.ok()) {
    // InvalidArgument wrote nothing; anything else leaves the WAL refusing.
    return wal_->status().ok() ? s : Fail(std::move(s));
  }
  // The same checks as the WAL's passed, so the memory append cannot fail
  // but for a bug; if it did, the node must not go on reading from it.
  if (absl::Status s = mem_.Append(entries); !s.ok()) {
    return Fail(absl::InternalError(absl::StrCat(
        "storage ", dir_,
        ": the log in memory refused what the WAL took: ", s.ToString())));
  }
  if (has_hs) {
    (void)mem_.SetHardState(hs);  // cannot fail
    hard_state_ = hs;
  }
  return absl::OkStatus();
}

absl::Status DiskStorage::Save(const Ready& rd) {
  return Save(rd.hard_state, rd.entries, &rd.snapshot, rd.must_sync);
}

absl::Status DiskStorage::Save(const Message& storage_append) {
  if (storage_append.type() != raftpb::MsgStorageAppend) {
    return absl::InvalidArgumentError(
        absl::StrCat("DiskStorage::Save takes a MsgStorageAppend, not ",
                     raftpb::MessageType_Name(storage_append.type())));
  }
  HardState hs;
  hs.set_term(storage_append.term());
  hs.set_vote(storage_append.vote());
  hs.set_commit(storage_append.commit());
  const auto& entries = storage_append.entries();
  // As Raft's must-sync rule: new entries, a new term or a new vote must be
  // durable before the responses go out; a commit index alone need not.
  const bool sync = !entries.empty() || hs.term() != hard_state_.term() ||
                    hs.vote() != hard_state_.vote();
  return Save(
      hs, absl::MakeConstSpan(entries.data(), entries.size()),
      storage_append.has_snapshot() ? &storage_append.snapshot() : nullptr,
      sync);
}

absl::Status DiskStorage::ApplySnapshot(const raftpb::Snapshot& snapshot) {
  if (!failed_.ok()) return Refused();
  if (IsEmptySnapshot(snapshot)) {
    return absl::InvalidArgumentError("ApplySnapshot: empty snapshot");
  }
  if (snapshot.metadata().index() <= snapshot_index_) {
    return SnapshotOutOfDateError();
  }
  if (absl::Status s = PersistSnapshot(snapshot); !s.ok()) return s;
  if (absl::Status s = mem_.ApplySnapshot(snapshot); !s.ok()) {
    return Fail(std::move(s));
  }
  return absl::OkStatus();
}

absl::StatusOr<raftpb::Snapshot> DiskStorage::CreateSnapshot(
    uint64_t i, const raftpb::ConfState* conf_state, std::string data) {
  if (!failed_.ok()) return Refused();
  // Memory checks the index and builds the snapshot; if persisting it then
  // fails, the storage refuses writes, so the two never drift apart unseen.
  absl::StatusOr<raftpb::Snapshot> snap =
      mem_.CreateSnapshot(i, conf_state, std::move(data));
  if (!snap.ok()) return snap.status();
  if (absl::Status s = PersistSnapshot(*snap); !s.ok()) return s;
  return snap;
}

absl::Status DiskStorage::Compact(uint64_t compact_index) {
  if (!failed_.ok()) return Refused();
  if (compact_index > snapshot_index_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "cannot compact to index %d: the latest snapshot is at index %d, and "
        "a discarded entry must be in a snapshot",
        compact_index, snapshot_index_));
  }
  if (absl::Status s = mem_.Compact(compact_index); !s.ok()) return s;
  // Removing files is not a write of state: a failure leaves them for the
  // next Compact, and is reported without refusing later writes.
  if (absl::Status s = wal_->ReleaseTo(compact_index); !s.ok()) return s;
  return snapshots_->ReleaseBefore(snapshot_index_);
}

}  // namespace craft
