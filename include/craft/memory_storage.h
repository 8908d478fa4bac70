// MemoryStorage is a Storage that keeps everything in memory: the storage
// used by tests and the simulator, and a model for durable implementations.

#ifndef CRAFT_MEMORY_STORAGE_H_
#define CRAFT_MEMORY_STORAGE_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "craft/raftpb.h"
#include "craft/storage.h"

namespace craft {

// All methods are thread-safe. Reads (the Storage interface) are typically
// issued by the Raft state machine while another thread appends.
class MemoryStorage : public Storage {
 public:
  MemoryStorage();

  MemoryStorage(const MemoryStorage&) = delete;
  MemoryStorage& operator=(const MemoryStorage&) = delete;

  absl::StatusOr<craft::InitialState> InitialState() const override;
  using Storage::Entries;
  absl::Status Entries(uint64_t lo, uint64_t hi, uint64_t max_size,
                       std::vector<Entry>* out) const override;
  absl::StatusOr<uint64_t> Term(uint64_t i) const override;
  absl::StatusOr<uint64_t> LastIndex() const override;
  absl::StatusOr<uint64_t> FirstIndex() const override;
  absl::StatusOr<raftpb::Snapshot> Snapshot() const override;

  absl::Status SetHardState(const HardState& hs);

  // ApplySnapshot replaces the storage's contents with `snapshot`: the log
  // becomes empty after the snapshot's index. SnapshotOutOfDateError if the
  // storage already holds a snapshot at or after that index.
  absl::Status ApplySnapshot(raftpb::Snapshot snapshot);

  // CreateSnapshot records a snapshot of the state machine at index i (which
  // must be in the log) with `data`, and with `conf_state` if given (else the
  // previous snapshot's). The log is not compacted; call Compact for that.
  // SnapshotOutOfDateError if i is not newer than the current snapshot,
  // CompactedError if the log was compacted past i.
  absl::StatusOr<raftpb::Snapshot> CreateSnapshot(
      uint64_t i, const raftpb::ConfState* conf_state, std::string data);

  // Compact discards the entries before compact_index; the entry at
  // compact_index remains only as the boundary term, so FirstIndex() becomes
  // compact_index + 1. CompactedError if compact_index is already compacted,
  // InvalidArgument if it is past the last index.
  absl::Status Compact(uint64_t compact_index);

  // Append adds entries, which must have consecutive indexes. Entries that
  // overlap the log replace the overlapping suffix (the application persists
  // what the leader overwrote); entries already compacted are skipped.
  // InvalidArgument if they would leave a gap after the last index.
  absl::Status Append(absl::Span<const Entry> entries);
  // Moves the entries in instead of copying them (no reference count is
  // touched); `entries` keeps its capacity, its elements are left empty.
  absl::Status Append(std::vector<Entry>&& entries);

 private:
  // The *Locked methods require mu_.
  uint64_t FirstIndexLocked() const;
  uint64_t LastIndexLocked() const;
  template <typename Ents>
  absl::Status AppendLocked(Ents&& entries);

  // A plain mutex: the lock is rarely contended (the node reads while the
  // application appends), and taking it uncontended costs about half of a
  // reader-writer lock's. (A standard one rather than absl::Mutex keeps
  // ThreadSanitizer accurate with an uninstrumented abseil.)
  mutable std::mutex mu_;
  HardState hard_state_;       // guarded by mu_
  raftpb::Snapshot snapshot_;  // guarded by mu_
  // ents_[0] is a dummy entry holding the index and term of the last
  // compacted entry (the snapshot's); the real entries follow.
  std::vector<Entry> ents_;  // guarded by mu_
};

}  // namespace craft

#endif  // CRAFT_MEMORY_STORAGE_H_
