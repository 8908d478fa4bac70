// Wal is a write-ahead log of a Raft node's durable state: its hard state,
// its log entries and the snapshots its log was cut at, appended to segment
// files in one directory and replayed when the directory is opened again.
// (The on-disk format is described in src/wal/format.h.)
//
// Durability: a Save with sync = true, or a SaveSnapshotMarker, that
// returns OK has its records on disk (fdatasync), together with everything
// saved before it; the directory is synced after every file it creates,
// renames or deletes. A Save with sync = false is durable only once a later
// synced call returns OK.
//
// Failures: if a write or a sync fails, the call returns the error and the
// Wal refuses every later write with FailedPrecondition until it is opened
// again (what reached the disk is unknown, and a failed sync must not be
// retried: the kernel may have dropped the data). Reopening recovers every
// acknowledged record.
//
// A Wal is not thread-safe; one process at a time may open a directory.

#ifndef CRAFT_WAL_WAL_H_
#define CRAFT_WAL_WAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "craft/entry.h"
#include "craft/hard_state.h"
#include "craft/raftpb.pb.h"
#include "craft/wal/env.h"

namespace craft {

struct WalOptions {
  // The size of a segment file: a new segment is started when the next
  // record would not fit in the current one (a record larger than a segment
  // gets a fresh segment to itself, which grows to hold it).
  uint64_t segment_bytes = uint64_t{64} << 20;
  // The file layer; nullptr means Env::Default().
  Env* env = nullptr;
};

// A snapshot the log was cut at: the entries up to `index` are in the
// snapshot, not the log.
struct SnapshotMarker {
  uint64_t index = 0;
  uint64_t term = 0;
  raftpb::ConfState conf_state;
};

// What a WAL holds, as Open recovers it.
struct WalContents {
  // The latest hard state saved (empty if none).
  HardState hard_state;
  // The latest snapshot marker saved (index 0 if none).
  SnapshotMarker snapshot;
  // The log after the snapshot: entries[0].index() == snapshot.index + 1,
  // consecutive, overwrites applied.
  std::vector<Entry> entries;
};

class Wal {
 public:
  // Opens the WAL in `dir`, creating the directory and an empty WAL if there
  // is none, and recovers its contents into *recovered (if not null).
  //
  // A torn tail of the newest segment (a record cut short, or a damaged
  // record followed only by zeros: an interrupted write) is cut off, the cut
  // made durable, and appends continue from the last whole record. Any other
  // damage fails with DataLoss naming the file and byte offset; nothing is
  // ever skipped. FailedPrecondition if `dir` holds files but no WAL, if
  // its segments were written by a newer format version, or if another
  // Wal (in this or another process) has it open.
  static absl::StatusOr<std::unique_ptr<Wal>> Open(std::string dir,
                                                   WalOptions options,
                                                   WalContents* recovered);

  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;
  // Closes the files without syncing: what was not synced may be lost.
  ~Wal();

  // Appends `entries` and then, if hs is not null, *hs. With sync, makes
  // them durable with one sync at the end (group commit); a call that fills
  // a segment also syncs that segment before starting the next.
  //
  // The entries must have consecutive indexes; the first may be at most
  // LastIndex() + 1. Entries at or below an index already present replace
  // the log from there on (as MemoryStorage::Append does); entries at or
  // below the snapshot marker's index are skipped. InvalidArgument, with
  // nothing written, for entries that would leave a gap or are not
  // consecutive, or a record larger than 1 GiB.
  absl::Status Save(const HardState* hs, absl::Span<const Entry> entries,
                    bool sync);

  // Records that a snapshot at marker.index is durable (write the snapshot
  // itself first), and syncs. If the log holds marker.index with
  // marker.term, the entries after it stay in the log; otherwise the
  // snapshot replaces the log, which then ends at marker.index. Entries at
  // or below marker.index are no longer returned by Open.
  // InvalidArgument if marker.index is below the current marker's.
  absl::Status SaveSnapshotMarker(const SnapshotMarker& marker);

  // Makes every record appended so far durable.
  absl::Status Sync();

  // Deletes the segments whose entries are all at or below `index` (the
  // newest segment is always kept), then syncs the directory.
  // InvalidArgument if `index` is past the snapshot marker's index: a
  // released entry must be in a snapshot.
  absl::Status ReleaseTo(uint64_t index);

  // The index of the last entry in the log (the snapshot marker's index if
  // the log is empty after it).
  uint64_t LastIndex() const { return last_index_; }
  // The latest snapshot marker.
  const SnapshotMarker& snapshot() const { return marker_; }
  // OK, or the error that made the Wal refuse further writes.
  const absl::Status& status() const { return failed_; }
  const std::string& dir() const { return dir_; }
  // The number of segment files (for tests and monitoring).
  size_t segment_count() const { return segments_.size(); }

 private:
  struct Segment {
    uint64_t seq;
    uint64_t first_index;
  };
  // The log's terms as runs: run k covers the indexes from
  // term_runs_[k].first up to the next run's first (or last_index_).
  struct TermRun {
    uint64_t first;
    uint64_t term;
  };

  Wal(std::string dir, WalOptions options);

  absl::Status Recover(WalContents* out);
  absl::Status CreateFirstSegment();
  // Creates the segment that follows the current one, with the header and
  // the copies of the hard state and marker, and makes it the current one.
  absl::Status CutSegment();
  absl::Status OpenSegmentFile(uint64_t seq, uint64_t first_index,
                               uint32_t prev_crc);
  // Adds one record (of a wal_internal::RecordType) to buf_, first starting
  // a new segment if it does not fit in the current one. `fill` writes the
  // payload_size bytes of the payload.
  absl::Status AddRecord(uint8_t type, size_t payload_size,
                         absl::FunctionRef<void(char*)> fill);
  absl::Status FlushBuffer();
  absl::Status Fail(absl::Status s);
  absl::Status Refused() const;

  void AppendTerms(absl::Span<const Entry> entries);
  uint64_t TermAt(uint64_t index) const;  // 0 if not in the log

  std::string SegmentPath(const Segment& s) const;

  const std::string dir_;
  const WalOptions options_;
  Env* const env_;
  std::unique_ptr<FileLock> lock_;

  std::vector<Segment> segments_;       // oldest first; the last is current
  std::unique_ptr<WritableFile> file_;  // the current segment
  // Where the current segment's records past its header and copies begin:
  // a segment is never cut before it holds one more record.
  uint64_t segment_prefix_end_ = 0;
  uint32_t chain_ = 0;  // the crc of the last record appended
  std::string buf_;     // records not yet written to file_

  HardState hard_state_;
  SnapshotMarker marker_;
  uint64_t last_index_ = 0;
  std::vector<TermRun> term_runs_;

  absl::Status failed_;
};

}  // namespace craft

#endif  // CRAFT_WAL_WAL_H_
