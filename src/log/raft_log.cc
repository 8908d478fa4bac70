#include "log/raft_log.h"

#include <algorithm>
#include <iterator>
#include <type_traits>

#include "absl/strings/str_format.h"
#include "craft/errors.h"
#include "logger/log.h"

namespace craft {

absl::StatusOr<RaftLog> RaftLog::Create(Storage* storage, Logger* logger,
                                        uint64_t max_applying_size) {
  if (storage == nullptr) {
    return absl::InvalidArgumentError("storage must not be nil");
  }
  absl::StatusOr<uint64_t> first = storage->FirstIndex();
  if (!first.ok()) return first.status();
  absl::StatusOr<uint64_t> last = storage->LastIndex();
  if (!last.ok()) return last.status();
  if (*first == 0 || *last + 1 < *first) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "storage reports an invalid log range: first index %d, last index %d",
        *first, *last));
  }
  absl::StatusOr<uint64_t> last_term = storage->Term(*last);
  if (!last_term.ok()) return last_term.status();
  return RaftLog(storage, logger, *first, EntryId{*last_term, *last},
                 max_applying_size);
}

RaftLog::RaftLog(Storage* storage, Logger* logger, uint64_t first, EntryId last,
                 uint64_t max_applying_size)
    : storage_(storage),
      unstable_(last.index + 1),
      stable_last_(last),
      committed_(first - 1),
      applying_(first - 1),
      applied_(first - 1),
      logger_(logger),
      max_applying_size_(max_applying_size) {}

std::string RaftLog::String() const {
  return absl::StrFormat(
      "committed=%d, applied=%d, applying=%d, unstable.offset=%d, "
      "unstable.offsetInProgress=%d, len(unstable.Entries)=%d",
      committed_, applied_, applying_, unstable_.offset(),
      unstable_.offset_in_progress(), unstable_.entries().size());
}

absl::StatusOr<std::optional<uint64_t>> RaftLog::MaybeAppend(
    EntryId prev, uint64_t committed, absl::Span<Entry> ents) {
  if (!MatchTerm(prev)) return std::nullopt;
  for (size_t k = 0; k < ents.size(); ++k) {
    if (ents[k].index() != prev.index + 1 + k) {
      return absl::InvalidArgumentError(
          absl::StrFormat("appended entry %d has index %d, want %d", k,
                          ents[k].index(), prev.index + 1 + k));
    }
  }
  const uint64_t last_new = prev.index + ents.size();
  const uint64_t conflict = FindConflict(ents);
  if (conflict != 0) {
    if (conflict <= committed_) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "entry %d conflict with committed entry [committed(%d)]", conflict,
          committed_));
    }
    // Entries before the conflict are already in the log.
    absl::StatusOr<uint64_t> appended =
        Append(ents.subspan(conflict - (prev.index + 1)));
    if (!appended.ok()) return appended.status();
  }
  CommitTo(std::min(committed, last_new));
  return last_new;
}

absl::StatusOr<uint64_t> RaftLog::Append(absl::Span<Entry> ents) {
  if (ents.empty()) return LastIndex();
  const uint64_t after = ents.front().index() - 1;
  if (after < committed_) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "after(%d) is out of range [committed(%d)]", after, committed_));
  }
  if (after > LastIndex()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("appending at %d leaves a gap after last index %d",
                        after + 1, LastIndex()));
  }
  unstable_.TruncateAndAppend(ents, *logger_);
  return LastIndex();
}

uint64_t RaftLog::FindConflict(absl::Span<const Entry> ents) const {
  for (const Entry& e : ents) {
    if (!MatchTerm(IdOf(e))) {
      if (e.index() <= LastIndex()) {
        CRAFT_INFOF(
            *logger_,
            "found conflict at index %d [existing term: %d, conflicting "
            "term: %d]",
            e.index(), TermOrZero(e.index()), e.term());
      }
      return e.index();
    }
  }
  return 0;
}

std::pair<uint64_t, uint64_t> RaftLog::FindConflictByTerm(uint64_t index,
                                                          uint64_t term) const {
  for (; index > 0; --index) {
    absl::StatusOr<uint64_t> ours = Term(index);
    // Without our term we cannot rule out a match: stop here.
    if (!ours.ok()) return {index, 0};
    if (*ours <= term) return {index, *ours};
  }
  return {0, 0};
}

uint64_t RaftLog::MaxAppliableIndex(bool allow_unstable) const {
  uint64_t hi = committed_;
  if (!allow_unstable) hi = std::min(hi, unstable_.offset() - 1);
  return hi;
}

bool RaftLog::HasNextCommittedEnts(bool allow_unstable) const {
  // A pending snapshot must be applied first: it replaces the state the
  // committed entries would be applied to.
  if (applying_paused_ || HasNextOrInProgressSnapshot()) return false;
  return applying_ + 1 <= MaxAppliableIndex(allow_unstable);
}

absl::Status RaftLog::NextCommittedEnts(bool allow_unstable,
                                        std::vector<Entry>* out) const {
  if (!HasNextCommittedEnts(allow_unstable)) return absl::OkStatus();
  const uint64_t lo = applying_ + 1;
  const uint64_t hi = MaxAppliableIndex(allow_unstable) + 1;
  // Not paused, so the budget is not spent.
  return Slice(lo, hi, max_applying_size_ - applying_size_, out);
}

absl::StatusOr<raftpb::Snapshot> RaftLog::Snapshot() const {
  if (const raftpb::Snapshot* s = unstable_.snapshot()) return *s;
  return storage_->Snapshot();
}

uint64_t RaftLog::FirstIndex() const {
  if (std::optional<uint64_t> i = unstable_.MaybeFirstIndex()) return *i;
  absl::StatusOr<uint64_t> i = storage_->FirstIndex();
  if (!i.ok()) {
    logger_->Panicf("storage failed to report its first index: %s",
                    i.status().message());
  }
  return *i;
}

uint64_t RaftLog::LastTerm() const {
  absl::StatusOr<uint64_t> t = Term(LastIndex());
  if (!t.ok()) {
    logger_->Panicf("unexpected error when getting the last term (%s)",
                    t.status().message());
  }
  return *t;
}

void RaftLog::CommitTo(uint64_t to) {
  if (committed_ >= to) return;
  if (LastIndex() < to) {
    logger_->Panicf(
        "tocommit(%d) is out of range [lastIndex(%d)]. Was the raft log "
        "corrupted, truncated, or lost?",
        to, LastIndex());
  }
  committed_ = to;
  commit_changed_ = true;
}

bool RaftLog::MaybeCommit(EntryId at) {
  if (at.term != 0 && at.index > committed_ && MatchTerm(at)) {
    CommitTo(at.index);
    return true;
  }
  return false;
}

void RaftLog::AppliedTo(uint64_t i, uint64_t size) {
  if (committed_ < i || i < applied_) {
    logger_->Panicf(
        "applied(%d) is out of range [prevApplied(%d), committed(%d)]", i,
        applied_, committed_);
  }
  applied_ = i;
  applying_ = std::max(applying_, i);
  applying_size_ = applying_size_ > size ? applying_size_ - size : 0;
  // With nothing outstanding, application resumes even under a zero
  // budget: one entry at a time still makes progress.
  applying_paused_ =
      applying_size_ != 0 && applying_size_ >= max_applying_size_;
}

void RaftLog::AcceptApplying(uint64_t i, uint64_t size, bool allow_unstable) {
  if (committed_ < i) {
    logger_->Panicf(
        "applying(%d) is out of range [prevApplying(%d), "
        "committed(%d)]",
        i, applying_, committed_);
  }
  applying_ = i;
  applying_size_ += size;
  // Pause when the budget is spent, or when the hand-out stopped short of
  // what was appliable: then the next entry would not have fit either.
  applying_paused_ = applying_size_ >= max_applying_size_ ||
                     i < MaxAppliableIndex(allow_unstable);
}

absl::StatusOr<uint64_t> RaftLog::Term(uint64_t i) const {
  // The unstable tail answers first: anything it knows is in range.
  if (std::optional<uint64_t> t = unstable_.MaybeTerm(i)) return *t;
  if (BeforeUnstableSnapshot(i)) return CompactedError();
  if (i > LastIndex()) return EntryUnavailableError();
  if (i == stable_last_.index) return stable_last_.term;
  // The storage tells a compacted index itself.
  return storage_->Term(i);
}

std::optional<uint64_t> RaftLog::MaybeTerm(uint64_t i) const {
  if (std::optional<uint64_t> t = unstable_.MaybeTerm(i)) return t;
  if (BeforeUnstableSnapshot(i) || i > LastIndex()) return std::nullopt;
  if (i == stable_last_.index) return stable_last_.term;
  absl::StatusOr<uint64_t> t = storage_->Term(i);
  if (!t.ok()) return std::nullopt;
  return *t;
}

uint64_t RaftLog::TermOrZero(uint64_t i) const {
  return MaybeTerm(i).value_or(0);
}

absl::StatusOr<std::vector<Entry>> RaftLog::AllEntries() const {
  return Entries(FirstIndex(), kNoLimit);
}

bool RaftLog::IsUpToDate(EntryId their) const {
  const EntryId ours = LastEntryId();
  return their.term > ours.term ||
         (their.term == ours.term && their.index >= ours.index);
}

bool RaftLog::MatchTerm(EntryId id) const {
  std::optional<uint64_t> t = MaybeTerm(id.index);
  return t && *t == id.term;
}

void RaftLog::Restore(raftpb::Snapshot s) {
  CRAFT_INFOF(*logger_,
              "log [%s] starts to restore snapshot [index: %d, term: %d]",
              String(), s.metadata().index(), s.metadata().term());
  if (committed_ != s.metadata().index()) commit_changed_ = true;
  committed_ = s.metadata().index();
  unstable_.Restore(std::move(s));
}

absl::Status RaftLog::CheckOutOfBounds(uint64_t lo, uint64_t hi) const {
  if (lo > hi) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid slice %d > %d", lo, hi));
  }
  if (hi > LastIndex() + 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("slice[%d,%d) out of bound [%d,%d]", lo, hi,
                        FirstIndex(), LastIndex()));
  }
  // Only a range that reaches into the storage can be compacted: by the
  // application, which compacts what it applied, or by a pending snapshot.
  // Only then is the first index looked up (the committed entries handed
  // out for application, read every Ready, lie above the applied index). A
  // storage compacted further answers CompactedError from Entries anyway.
  if (lo < unstable_.offset() &&
      (lo <= applied_ || unstable_.snapshot() != nullptr) &&
      lo < FirstIndex()) {
    return CompactedError();
  }
  return absl::OkStatus();
}

namespace {

void AppendTo(absl::Span<const Entry> ents, std::vector<Entry>* out) {
  out->insert(out->end(), ents.begin(), ents.end());
}
void AppendTo(absl::Span<const Entry> ents, Message::EntryList* out) {
  out->insert(out->end(), ents.begin(), ents.end());
}

}  // namespace

template <typename Out>
absl::Status RaftLog::Slice(uint64_t lo, uint64_t hi, uint64_t max_size,
                            Out* out) const {
  if (absl::Status s = CheckOutOfBounds(lo, hi); !s.ok()) return s;
  if (lo == hi) return absl::OkStatus();
  const uint64_t offset = unstable_.offset();
  if (lo >= offset) {
    absl::Span<const Entry> u = unstable_.Slice(lo, hi);
    AppendTo(u.first(LimitSize(u, max_size)), out);
    return absl::OkStatus();
  }
  const uint64_t cut = std::min(hi, offset);
  // Storage fills a std::vector; any other list goes through the thread's
  // scratch vector (kept for its capacity, not per node).
  thread_local std::vector<Entry> scratch;
  std::vector<Entry>* ents;
  if constexpr (std::is_same_v<Out, std::vector<Entry>>) {
    ents = out;
  } else {
    scratch.clear();
    ents = &scratch;
  }
  const size_t start = ents->size();
  if (absl::Status s = storage_->Entries(lo, cut, max_size, ents); !s.ok()) {
    ents->resize(start);
    return s;
  }
  const size_t got = ents->size() - start;
  // Unless storage stopped short of `cut` (the budget is spent), add the
  // unstable entries that fit in the rest of the budget. LimitSize always
  // yields one entry; drop it if it does not fit.
  if (hi > offset && got == cut - lo) {
    uint64_t size = 0;
    for (size_t k = start; k < ents->size(); ++k) size += EntrySize((*ents)[k]);
    if (size < max_size) {
      absl::Span<const Entry> u = unstable_.Slice(offset, hi);
      const size_t n = LimitSize(u, max_size - size);
      if (n > 1 || size + EntrySize(u[0]) <= max_size) {
        AppendTo(u.first(n), ents);
      }
    }
  }
  if constexpr (!std::is_same_v<Out, std::vector<Entry>>) {
    out->insert(out->end(), std::make_move_iterator(scratch.begin()),
                std::make_move_iterator(scratch.end()));
    scratch.clear();
  }
  return absl::OkStatus();
}

template absl::Status RaftLog::Slice(uint64_t, uint64_t, uint64_t,
                                     std::vector<Entry>*) const;
template absl::Status RaftLog::Slice(uint64_t, uint64_t, uint64_t,
                                     Message::EntryList*) const;

absl::Status RaftLog::Scan(
    uint64_t lo, uint64_t hi, uint64_t page_size,
    const std::function<absl::Status(absl::Span<const Entry>)>& visit) const {
  while (lo < hi) {
    absl::StatusOr<std::vector<Entry>> page = Slice(lo, hi, page_size);
    if (!page.ok()) return page.status();
    if (page->empty()) {
      return absl::InternalError(
          absl::StrFormat("got 0 entries in [%d, %d)", lo, hi));
    }
    if (absl::Status s = visit(*page); !s.ok()) return s;
    lo += page->size();
  }
  return absl::OkStatus();
}

}  // namespace craft
