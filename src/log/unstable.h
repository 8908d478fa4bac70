// Unstable is the tail of the Raft log that the application has not yet
// persisted: entries appended since the last Ready was written, and possibly
// an incoming snapshot that replaces everything before them.
//
// With asynchronous storage writes, entries move through three stages:
// unstable and not handed out; handed out in a Ready and being written ("in
// progress"); stable, after the write is acknowledged and they leave this
// structure. in_progress_ separates the first two.

#ifndef CRAFT_LOG_UNSTABLE_H_
#define CRAFT_LOG_UNSTABLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "craft/logger.h"
#include "craft/raftpb.h"
#include "log/entry_id.h"

namespace craft {

class Unstable {
 public:
  // `offset` is the index the first unstable entry will have.
  explicit Unstable(uint64_t offset) : offset_(offset) {}

  // The first index known from the pending snapshot, if there is one.
  std::optional<uint64_t> MaybeFirstIndex() const {
    if (snapshot_) return snapshot_->metadata().index() + 1;
    return std::nullopt;
  }
  // The last index of the unstable entries, or of the pending snapshot.
  std::optional<uint64_t> MaybeLastIndex() const {
    if (!entries_.empty()) return offset_ + entries_.size() - 1;
    if (snapshot_) return snapshot_->metadata().index();
    return std::nullopt;
  }
  // The term of entry i, if this structure knows it.
  std::optional<uint64_t> MaybeTerm(uint64_t i) const {
    if (i < offset_) {
      if (snapshot_ && snapshot_->metadata().index() == i) {
        return snapshot_->metadata().term();
      }
      return std::nullopt;
    }
    if (i - offset_ >= entries_.size()) return std::nullopt;
    return entries_[i - offset_].term();
  }

  // Entries not yet handed out for writing.
  absl::Span<const Entry> NextEntries() const;
  // The snapshot, if not yet handed out for writing.
  const raftpb::Snapshot* NextSnapshot() const;
  // Marks everything currently unstable as handed out (in progress).
  void AcceptInProgress();

  // StableTo removes the entries up to `id` once they are durable. An id
  // that no longer matches (the entries were replaced by a newer leader's
  // while being written) is ignored: those writes are stale.
  // Returns whether it matched. (The methods that log take the owner's
  // logger: a process may hold thousands of logs.)
  bool StableTo(EntryId id, Logger& logger);
  // StableSnapTo drops the snapshot once it is durable at index i; returns
  // whether it matched.
  bool StableSnapTo(uint64_t i);

  // Restore replaces everything with the snapshot `s`.
  void Restore(raftpb::Snapshot s);

  // TruncateAndAppend moves `ents` (consecutive indexes) to the end, first
  // dropping any unstable entries at or after ents[0].index().
  void TruncateAndAppend(absl::Span<Entry> ents, Logger& logger);
  void TruncateAndAppend(std::vector<Entry>&& ents, Logger& logger) {
    TruncateAndAppend(absl::MakeSpan(ents), logger);
  }

  // Slice returns the entries in [lo, hi); the caller guarantees that the
  // range lies within [offset(), offset() + entries().size()).
  absl::Span<const Entry> Slice(uint64_t lo, uint64_t hi) const;

  uint64_t offset() const { return offset_; }
  // The index after the last entry being written.
  uint64_t offset_in_progress() const { return offset_ + in_progress_; }
  bool snapshot_in_progress() const { return snapshot_in_progress_; }
  // The unstable snapshot, or null.
  const raftpb::Snapshot* snapshot() const { return snapshot_.get(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  // Appends `ents`, moved, after the last entry.
  void MoveAppend(absl::Span<Entry> ents);

  std::unique_ptr<raftpb::Snapshot> snapshot_;
  // entries_[k] has index offset_ + k.
  std::vector<Entry> entries_;
  uint64_t offset_;
  // The first in_progress_ entries are being written. (A count rather than
  // an index, to pack: it never exceeds entries_.size(), and 2^32 entries
  // would take 128 GiB.)
  uint32_t in_progress_ = 0;
  // (Last, so that a [[no_unique_address]] owner can pack into the padding
  // after it: see RaftLog.)
  bool snapshot_in_progress_ = false;
};

}  // namespace craft

#endif  // CRAFT_LOG_UNSTABLE_H_
