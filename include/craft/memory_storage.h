// MemoryStorage is a Storage that keeps everything in memory: the storage
// used by tests and the simulator, and a model for durable implementations.

#ifndef CRAFT_MEMORY_STORAGE_H_
#define CRAFT_MEMORY_STORAGE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "craft/raftpb.h"
#include "craft/storage.h"

namespace craft {

// By default all methods are thread-safe: reads (the Storage interface) are
// typically issued by the Raft state machine while another thread appends.
class MemoryStorage : public Storage {
 public:
  // Whether the storage guards itself against concurrent calls.
  enum class Locking {
    // Every call takes the storage's lock: the application may append on
    // one thread while the node reads on another (a craft::Node).
    kThreadSafe,
    // No call takes a lock, for an owner that makes every call, its own and
    // the node's, from one thread at a time: a RawNode driven by the loop
    // that also persists its Readys. Calls that overlap are a data race.
    // Saves an uncontended lock round trip (two atomic operations) per
    // call, several per Ready.
    kSingleThreaded,
  };

  MemoryStorage() : MemoryStorage(Locking::kThreadSafe) {}
  explicit MemoryStorage(Locking locking);

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
  absl::StatusOr<raftpb::Snapshot> SnapshotLocked() const;

  // A four-byte lock (std::mutex takes 40, and a process may hold a storage
  // per group): 0 free, 1 held, 2 held with sleepers waiting on the word
  // (std::atomic::wait, a futex on Linux). It is rarely contended: the node
  // reads while the application appends. ThreadSanitizer sees its atomics.
  // A disabled lock (Locking::kSingleThreaded) does nothing; the flag fits
  // in the padding before hard_state_.
  class Lock {
   public:
    explicit Lock(bool enabled) : enabled_(enabled) {}
    void lock() {
      if (!enabled_) return;
      uint32_t seen = 0;
      if (state_.compare_exchange_strong(seen, 1, std::memory_order_acquire)) {
        return;
      }
      if (seen != 2) seen = state_.exchange(2, std::memory_order_acquire);
      while (seen != 0) {
        state_.wait(2, std::memory_order_relaxed);
        seen = state_.exchange(2, std::memory_order_acquire);
      }
    }
    void unlock() {
      if (!enabled_) return;
      if (state_.exchange(0, std::memory_order_release) == 2) {
        state_.notify_one();
      }
    }

   private:
    std::atomic<uint32_t> state_{0};
    const bool enabled_;
  };
  mutable Lock mu_;
  HardState hard_state_;  // guarded by mu_
  // The latest snapshot in wire form, decoded by the rare callers that need
  // it (its index too: the out-of-date checks decode the metadata alone): a
  // data-less snapshot of a small cluster (the bootstrap one) fits in the
  // string's inline buffer, so an idle group holds no protobuf objects.
  std::string snapshot_;  // guarded by mu_
  // The retained log in chunks of at most kChunk entries, so that appending
  // never moves the entries already held (one vector would relocate the
  // whole log each time it grows) and compacting drops whole chunks. A short
  // log is a single vector, as small as before.
  class Log {
   public:
    static constexpr size_t kChunk = 1024;

    size_t size() const {
      return head_.size() +
             (tail_ ? (tail_->size() - 1) * kChunk + tail_->back().size() : 0);
    }
    const Entry& operator[](size_t i) const {
      if (i < head_.size()) return head_[i];
      const size_t j = i - head_.size();
      return (*tail_)[j / kChunk][j % kChunk];
    }
    Entry& operator[](size_t i) {
      return const_cast<Entry&>(static_cast<const Log&>(*this)[i]);
    }
    // The entries from position i on that are contiguous in memory, at most
    // `max` of them (at least one if i < size()).
    absl::Span<const Entry> Run(size_t i, size_t max) const {
      if (i < head_.size()) return absl::MakeConstSpan(head_).subspan(i, max);
      const size_t j = i - head_.size();
      return absl::MakeConstSpan((*tail_)[j / kChunk]).subspan(j % kChunk, max);
    }

    void Clear();
    // Appends [first, last) (random-access iterators).
    template <typename It>
    void Append(It first, It last);
    // Keeps the first n entries.
    void Truncate(size_t n);
    // Drops the first n entries.
    void DropFront(size_t n);

   private:
    // Positions [0, head_.size()), then full chunks; the last may be partial.
    // The chunks exist (tail_ non-null and non-empty) only for a long log.
    std::vector<Entry> head_;
    std::unique_ptr<std::vector<std::vector<Entry>>> tail_;
  };

  // The index and term of the last compacted entry (at first the
  // snapshot's): ents_[k] has index compacted_index_ + 1 + k.
  uint64_t compacted_index_ = 0;  // guarded by mu_
  uint64_t compacted_term_ = 0;   // guarded by mu_
  Log ents_;                      // guarded by mu_
};

}  // namespace craft

#endif  // CRAFT_MEMORY_STORAGE_H_
