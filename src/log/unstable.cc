#include "log/unstable.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "logger/log.h"
#include "util/buffer_cache.h"

namespace craft {

absl::Span<const Entry> Unstable::NextEntries() const {
  if (in_progress_ >= entries_.size()) return {};
  return absl::MakeConstSpan(entries_).subspan(in_progress_);
}

const raftpb::Snapshot* Unstable::NextSnapshot() const {
  if (!snapshot_ || snapshot_in_progress_) return nullptr;
  return snapshot_.get();
}

void Unstable::AcceptInProgress() {
  in_progress_ = static_cast<uint32_t>(entries_.size());
  if (snapshot_) snapshot_in_progress_ = true;
}

bool Unstable::StableTo(EntryId id, Logger& logger) {
  std::optional<uint64_t> term = MaybeTerm(id.index);
  if (!term) {
    CRAFT_INFOF(logger, "entry at index %d missing from unstable log; ignoring",
                id.index);
    return false;
  }
  if (id.index < offset_) {
    // The index matched the pending snapshot, not an entry.
    CRAFT_INFOF(logger, "entry at index %d matched unstable snapshot; ignoring",
                id.index);
    return false;
  }
  if (*term != id.term) {
    CRAFT_INFOF(
        logger,
        "entry at (index,term)=(%d,%d) mismatched with entry at (%d,%d) in "
        "unstable log; ignoring",
        id.index, id.term, id.index, *term);
    return false;
  }
  const uint64_t stable = id.index + 1 - offset_;
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<ptrdiff_t>(stable));
  // An idle node holds no entry buffer (see util/buffer_cache.h).
  if (entries_.empty()) BufferCache<Entry>::Give(entries_);
  offset_ = id.index + 1;
  in_progress_ =
      in_progress_ > stable ? in_progress_ - static_cast<uint32_t>(stable) : 0;
  return true;
}

bool Unstable::StableSnapTo(uint64_t i) {
  if (!snapshot_ || snapshot_->metadata().index() != i) return false;
  snapshot_.reset();
  snapshot_in_progress_ = false;
  return true;
}

void Unstable::Restore(raftpb::Snapshot s) {
  offset_ = s.metadata().index() + 1;
  in_progress_ = 0;
  BufferCache<Entry>::Give(entries_);
  snapshot_ = std::make_unique<raftpb::Snapshot>(std::move(s));
  snapshot_in_progress_ = false;
}

void Unstable::MoveAppend(absl::Span<Entry> ents) {
  BufferCache<Entry>::Reserve(entries_);
  entries_.insert(entries_.end(), std::make_move_iterator(ents.begin()),
                  std::make_move_iterator(ents.end()));
}

void Unstable::TruncateAndAppend(absl::Span<Entry> ents, Logger& logger) {
  if (ents.empty()) return;
  const uint64_t from = ents.front().index();
  if (from == offset_ + entries_.size()) {
    // The common case: the new entries directly follow.
    MoveAppend(ents);
  } else if (from <= offset_) {
    // Everything unstable is replaced, including what is being written; the
    // stale write's acknowledgement will not match and be ignored.
    CRAFT_INFOF(logger, "replace the unstable entries from index %d", from);
    entries_.clear();
    MoveAppend(ents);
    offset_ = from;
    in_progress_ = 0;
  } else {
    // Keep [offset_, from), then append.
    CRAFT_INFOF(logger, "truncate the unstable entries before index %d", from);
    entries_.resize(from - offset_);
    MoveAppend(ents);
    in_progress_ =
        std::min<uint32_t>(in_progress_, static_cast<uint32_t>(from - offset_));
  }
}

absl::Span<const Entry> Unstable::Slice(uint64_t lo, uint64_t hi) const {
  return absl::MakeConstSpan(entries_).subspan(lo - offset_, hi - lo);
}

}  // namespace craft
