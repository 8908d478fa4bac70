// Storage is the read side of the log that the Raft state machine consults:
// the entries, hard state and snapshot the application has made durable.
// The application writes to its storage itself (after each Ready); craft
// only reads.

#ifndef CRAFT_STORAGE_H_
#define CRAFT_STORAGE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "craft/raftpb.h"

namespace craft {

// InitialState is what a node restarts from.
struct InitialState {
  HardState hard_state;
  raftpb::ConfState conf_state;
};

// Storage implementations report their error kinds with the values of
// craft/errors.h (CompactedError, EntryUnavailableError,
// SnapshotTemporarilyUnavailableError); any other error stops the operation
// that needed the data.
//
// The log in storage is described by a snapshot at index F-1 (possibly
// empty) followed by the entries [F, L], F = FirstIndex(), L = LastIndex().
// Term(F-1) must succeed: it is the snapshot's term.
class Storage {
 public:
  virtual ~Storage() = default;

  virtual absl::StatusOr<craft::InitialState> InitialState() const = 0;

  // Entries appends to *out the entries in [lo, hi), or a prefix of them
  // whose total EntrySize does not exceed max_size (but always at least one
  // entry). The core reuses *out: appending copies only the entries
  // themselves (their payloads are shared). Errors, with *out unchanged:
  // CompactedError if lo < FirstIndex(); EntryUnavailableError if the range
  // reaches past LastIndex().
  virtual absl::Status Entries(uint64_t lo, uint64_t hi, uint64_t max_size,
                               std::vector<Entry>* out) const = 0;

  // The same, returned as a new vector.
  absl::StatusOr<std::vector<Entry>> Entries(uint64_t lo, uint64_t hi,
                                             uint64_t max_size) const {
    std::vector<Entry> out;
    if (absl::Status s = Entries(lo, hi, max_size, &out); !s.ok()) return s;
    return out;
  }

  // Term returns the term of entry i, for i in [FirstIndex()-1, LastIndex()].
  // Errors: CompactedError below that range, EntryUnavailableError above it.
  virtual absl::StatusOr<uint64_t> Term(uint64_t i) const = 0;

  virtual absl::StatusOr<uint64_t> LastIndex() const = 0;

  // FirstIndex is the index of the first entry that may be read; older
  // entries are compacted into the latest snapshot. An empty storage has
  // FirstIndex() == 1 and LastIndex() == 0.
  virtual absl::StatusOr<uint64_t> FirstIndex() const = 0;

  // Snapshot returns the most recent snapshot. If it cannot be produced now,
  // SnapshotTemporarilyUnavailableError tells the leader to retry later.
  virtual absl::StatusOr<raftpb::Snapshot> Snapshot() const = 0;
};

}  // namespace craft

#endif  // CRAFT_STORAGE_H_
