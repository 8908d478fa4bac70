// RaftLog is the Raft state machine's view of its log: the durable part in
// the application's Storage followed by the Unstable tail, plus the commit
// and apply cursors.
//
//   [snapshot] [ storage entries ... ] [ unstable entries ... ]
//             ^first index                                    ^last index
//
// Cursors, always ordered: applied <= applying <= committed <= last index.
// `applying` runs ahead of `applied` while committed entries handed to the
// application (in a Ready) are being applied.

#ifndef CRAFT_LOG_RAFT_LOG_H_
#define CRAFT_LOG_RAFT_LOG_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "craft/logger.h"
#include "craft/raftpb.h"
#include "craft/storage.h"
#include "log/entry_id.h"
#include "log/unstable.h"

namespace craft {

class RaftLog {
 public:
  // Create reads the storage's bounds; committed and applied start at the
  // storage's snapshot index. `max_applying_size` bounds the bytes of
  // committed entries handed out for application and not yet applied.
  static absl::StatusOr<RaftLog> Create(Storage* storage, Logger* logger,
                                        uint64_t max_applying_size = kNoLimit);

  std::string String() const;

  // MaybeAppend is the follower side of MsgApp: if the log holds `prev`, it
  // appends `ents` (which follow prev), truncating any conflicting suffix,
  // commits up to min(committed, last new index) and returns the last new
  // index. nullopt if the log does not hold `prev`. An error if an entry
  // conflicts with a committed one, which a correct leader never sends; the
  // log is then unchanged.
  // The entries are moved from `ents`.
  absl::StatusOr<std::optional<uint64_t>> MaybeAppend(EntryId prev,
                                                      uint64_t committed,
                                                      absl::Span<Entry> ents);
  absl::StatusOr<std::optional<uint64_t>> MaybeAppend(
      EntryId prev, uint64_t committed, std::vector<Entry>&& ents) {
    return MaybeAppend(prev, committed, absl::MakeSpan(ents));
  }

  // Append moves entries following at most the last index into the log,
  // truncating what they replace, and returns the new last index. Replacing
  // a committed entry is an error and leaves the log unchanged.
  absl::StatusOr<uint64_t> Append(absl::Span<Entry> ents);
  absl::StatusOr<uint64_t> Append(std::vector<Entry>&& ents) {
    return Append(absl::MakeSpan(ents));
  }

  // FindConflict returns the index of the first entry of `ents` whose term
  // differs from the log's entry at that index, or that the log does not
  // have; 0 if the log holds them all.
  uint64_t FindConflict(absl::Span<const Entry> ents) const;

  // FindConflictByTerm returns the largest index <= `index` whose term is
  // <= `term`, with that term: the leader's probe can skip every entry
  // after it. If the log cannot tell (the term is compacted or unavailable)
  // it returns (index, 0).
  std::pair<uint64_t, uint64_t> FindConflictByTerm(uint64_t index,
                                                   uint64_t term) const;

  Logger& logger() const { return *logger_; }

  absl::Span<const Entry> NextUnstableEnts() const {
    return unstable_.NextEntries();
  }
  bool HasNextUnstableEnts() const { return !NextUnstableEnts().empty(); }
  bool HasNextOrInProgressUnstableEnts() const {
    return !unstable_.entries().empty();
  }

  // NextCommittedEnts returns the committed entries that can be handed out
  // for application, within the applying byte budget. `allow_unstable`
  // permits entries not yet durable locally (synchronous storage writes,
  // where they become durable before they are applied).
  absl::Status NextCommittedEnts(bool allow_unstable,
                                 std::vector<Entry>* out) const;
  absl::StatusOr<std::vector<Entry>> NextCommittedEnts(
      bool allow_unstable) const {
    std::vector<Entry> out;
    if (absl::Status s = NextCommittedEnts(allow_unstable, &out); !s.ok()) {
      return s;
    }
    return out;
  }
  bool HasNextCommittedEnts(bool allow_unstable) const;
  uint64_t MaxAppliableIndex(bool allow_unstable) const;

  const raftpb::Snapshot* NextUnstableSnapshot() const {
    return unstable_.NextSnapshot();
  }
  bool HasNextUnstableSnapshot() const {
    return NextUnstableSnapshot() != nullptr;
  }
  bool HasNextOrInProgressSnapshot() const {
    return unstable_.snapshot() != nullptr;
  }

  // Snapshot returns the pending snapshot, or the storage's.
  absl::StatusOr<raftpb::Snapshot> Snapshot() const;

  uint64_t FirstIndex() const;
  uint64_t LastIndex() const {
    if (std::optional<uint64_t> i = unstable_.MaybeLastIndex()) return *i;
    return stable_last_.index;
  }
  uint64_t LastTerm() const;
  EntryId LastEntryId() const { return {LastTerm(), LastIndex()}; }

  // CommitTo moves the commit index forward (never back) to `to`, which
  // must not exceed the last index.
  void CommitTo(uint64_t to);
  // MaybeCommit commits up to `at` if the log holds it and it is past the
  // commit index. A term of 0 never matches.
  bool MaybeCommit(EntryId at);

  // AppliedTo records that the application applied entries up to i,
  // releasing `size` bytes of the applying budget.
  void AppliedTo(uint64_t i, uint64_t size);
  // AcceptApplying records that committed entries up to i, `size` bytes in
  // all, were handed out for application.
  void AcceptApplying(uint64_t i, uint64_t size, bool allow_unstable);

  // The application made the entries up to `id` (or the snapshot at i)
  // durable in its storage.
  void StableTo(EntryId id) {
    if (unstable_.StableTo(id, *logger_)) stable_last_ = id;
  }
  void StableSnapTo(EntryId snap) {
    if (unstable_.StableSnapTo(snap.index)) stable_last_ = snap;
  }
  // AcceptUnstable marks the unstable entries and snapshot as handed out.
  void AcceptUnstable() { unstable_.AcceptInProgress(); }

  // Term returns the term of entry i, for i in [FirstIndex()-1, LastIndex()]:
  // the entry before the first is compacted, but its term is kept for
  // matching. CompactedError or EntryUnavailableError outside that range.
  absl::StatusOr<uint64_t> Term(uint64_t i) const;
  // MaybeTerm is Term without the error, for callers to whom an index
  // outside the range is an ordinary answer (no Status is built for it).
  std::optional<uint64_t> MaybeTerm(uint64_t i) const;
  // TermOrZero is Term, with 0 for an index outside the range.
  uint64_t TermOrZero(uint64_t i) const;

  // Entries appends the entries from i to the end, within max_size bytes,
  // to *out (a std::vector<Entry> or a Message::EntryList).
  template <typename Out>
  absl::Status Entries(uint64_t i, uint64_t max_size, Out* out) const {
    if (i > LastIndex()) return absl::OkStatus();
    return Slice(i, LastIndex() + 1, max_size, out);
  }
  absl::StatusOr<std::vector<Entry>> Entries(uint64_t i,
                                             uint64_t max_size) const {
    std::vector<Entry> out;
    if (absl::Status s = Entries(i, max_size, &out); !s.ok()) return s;
    return out;
  }
  absl::StatusOr<std::vector<Entry>> AllEntries() const;

  // IsUpToDate reports whether a log ending at `their` is at least as
  // up-to-date as this one (Raft §5.4.1): a later last term wins, and with
  // equal terms the longer log.
  bool IsUpToDate(EntryId their) const;
  bool MatchTerm(EntryId id) const;

  // Restore resets the log to the snapshot `s`, which is committed.
  void Restore(raftpb::Snapshot s);

  // Slice returns the entries in [lo, hi) within max_size bytes (at least
  // one entry if the range is not empty). CompactedError if lo was
  // compacted; InvalidArgument if the range is inverted or past the end.
  absl::StatusOr<std::vector<Entry>> Slice(uint64_t lo, uint64_t hi,
                                           uint64_t max_size) const {
    std::vector<Entry> out;
    if (absl::Status s = Slice(lo, hi, max_size, &out); !s.ok()) return s;
    return out;
  }
  // The same, appended to *out (a std::vector<Entry> or a
  // Message::EntryList); *out is unchanged on error.
  template <typename Out>
  absl::Status Slice(uint64_t lo, uint64_t hi, uint64_t max_size,
                     Out* out) const;

  // Scan calls `visit` with consecutive pages of the entries in [lo, hi),
  // each within page_size bytes (or a single entry), stopping at the first
  // error, which it returns.
  absl::Status Scan(
      uint64_t lo, uint64_t hi, uint64_t page_size,
      const std::function<absl::Status(absl::Span<const Entry>)>& visit) const;

  uint64_t committed() const { return committed_; }
  // Whether the commit index grew since the last TakeCommitChanged, which
  // clears the flag (see Raft::HardStateChanges).
  bool commit_changed() const { return commit_changed_; }
  bool TakeCommitChanged() { return std::exchange(commit_changed_, false); }
  void MarkCommitChanged() { commit_changed_ = true; }
  uint64_t applied() const { return applied_; }
  uint64_t applying() const { return applying_; }
  uint64_t max_applying_size() const { return max_applying_size_; }
  const Unstable& unstable() const { return unstable_; }
  Storage* storage() const { return storage_; }

 private:
  RaftLog(Storage* storage, Logger* logger, uint64_t first, EntryId last,
          uint64_t max_applying_size);

  absl::Status CheckOutOfBounds(uint64_t lo, uint64_t hi) const;
  // Whether entry i precedes a snapshot that is pending in the unstable
  // tail (the storage, not yet restored from it, would answer for its old
  // log).
  bool BeforeUnstableSnapshot(uint64_t i) const {
    std::optional<uint64_t> first = unstable_.MaybeFirstIndex();
    return first && i + 1 < *first;
  }

  Storage* storage_;
  // [[no_unique_address]] lets applying_paused_ (below) take the padding at
  // the end of unstable_: 8 bytes less for every group.
  [[no_unique_address]] Unstable unstable_;
  // Whether application is paused because the applying budget is spent.
  bool applying_paused_ = false;
  // Whether committed_ grew since the last TakeCommitChanged.
  bool commit_changed_ = false;
  // The storage's last entry, as far as this log knows it: read at
  // creation, then the last entry (or snapshot) the application reported
  // durable. It is exact whenever the unstable tail is empty, which is when
  // LastIndex() uses it: the log never asks the storage (and takes its lock)
  // for its last index, nor for the term of that entry, the one most looked
  // up (the previous entry of every append).
  EntryId stable_last_;
  // The highest index known to be committed by a quorum.
  uint64_t committed_;
  // The highest index handed out for application.
  uint64_t applying_;
  // The highest index the application reported applied.
  uint64_t applied_;
  Logger* logger_;

  // Bytes of entries handed out for application and not yet applied, and
  // its bound. Application is paused (no committed entries are handed out)
  // while the budget is spent.
  uint64_t max_applying_size_;
  uint64_t applying_size_ = 0;
};

}  // namespace craft

#endif  // CRAFT_LOG_RAFT_LOG_H_
