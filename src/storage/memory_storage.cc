#include "craft/memory_storage.h"

#include <iterator>
#include <mutex>
#include <type_traits>
#include <utility>

#include "absl/strings/str_format.h"
#include "craft/errors.h"

namespace craft {

MemoryStorage::MemoryStorage() { ents_.push_back(MakeEntry(0, 0)); }

absl::StatusOr<InitialState> MemoryStorage::InitialState() const {
  std::lock_guard<std::mutex> lock(mu_);
  return craft::InitialState{hard_state_, snapshot_.metadata().conf_state()};
}

uint64_t MemoryStorage::FirstIndexLocked() const {
  return ents_[0].index() + 1;
}

uint64_t MemoryStorage::LastIndexLocked() const {
  return ents_[0].index() + ents_.size() - 1;
}

absl::Status MemoryStorage::Entries(uint64_t lo, uint64_t hi, uint64_t max_size,
                                    std::vector<Entry>* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t offset = ents_[0].index();
  if (lo <= offset) return CompactedError();
  if (lo > hi) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid entry range [%d, %d)", lo, hi));
  }
  if (hi > LastIndexLocked() + 1) return EntryUnavailableError();
  auto first = ents_.begin() + (lo - offset);
  auto last = ents_.begin() + (hi - offset);
  absl::Span<const Entry> range(&*first, last - first);
  const size_t n = LimitSize(range, max_size);
  out->insert(out->end(), first, first + n);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> MemoryStorage::Term(uint64_t i) const {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t offset = ents_[0].index();
  if (i < offset) return CompactedError();
  if (i - offset >= ents_.size()) return EntryUnavailableError();
  return ents_[i - offset].term();
}

absl::StatusOr<uint64_t> MemoryStorage::LastIndex() const {
  std::lock_guard<std::mutex> lock(mu_);
  return LastIndexLocked();
}

absl::StatusOr<uint64_t> MemoryStorage::FirstIndex() const {
  std::lock_guard<std::mutex> lock(mu_);
  return FirstIndexLocked();
}

absl::StatusOr<raftpb::Snapshot> MemoryStorage::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

absl::Status MemoryStorage::SetHardState(const HardState& hs) {
  std::lock_guard<std::mutex> lock(mu_);
  hard_state_ = hs;
  return absl::OkStatus();
}

absl::Status MemoryStorage::ApplySnapshot(raftpb::Snapshot snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshot_.metadata().index() >= snapshot.metadata().index()) {
    return SnapshotOutOfDateError();
  }
  ents_.clear();
  ents_.push_back(
      MakeEntry(snapshot.metadata().index(), snapshot.metadata().term()));
  snapshot_ = std::move(snapshot);
  return absl::OkStatus();
}

absl::StatusOr<raftpb::Snapshot> MemoryStorage::CreateSnapshot(
    uint64_t i, const raftpb::ConfState* conf_state, std::string data) {
  std::lock_guard<std::mutex> lock(mu_);
  if (i <= snapshot_.metadata().index()) return SnapshotOutOfDateError();
  // Compact may have cut the log past the last snapshot.
  if (i < ents_[0].index()) return CompactedError();
  if (i > LastIndexLocked()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "snapshot %d is out of bound lastindex(%d)", i, LastIndexLocked()));
  }
  raftpb::SnapshotMetadata* md = snapshot_.mutable_metadata();
  md->set_index(i);
  md->set_term(ents_[i - ents_[0].index()].term());
  if (conf_state != nullptr) *md->mutable_conf_state() = *conf_state;
  snapshot_.set_data(std::move(data));
  return snapshot_;
}

absl::Status MemoryStorage::Compact(uint64_t compact_index) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t offset = ents_[0].index();
  if (compact_index <= offset) return CompactedError();
  if (compact_index > LastIndexLocked()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("compact %d is out of bound lastindex(%d)",
                        compact_index, LastIndexLocked()));
  }
  const size_t i = compact_index - offset;
  std::vector<Entry> kept;
  kept.reserve(ents_.size() - i);
  kept.push_back(MakeEntry(ents_[i].index(), ents_[i].term()));
  std::move(ents_.begin() + i + 1, ents_.end(), std::back_inserter(kept));
  ents_ = std::move(kept);
  return absl::OkStatus();
}

template <typename Ents>
absl::Status MemoryStorage::AppendLocked(Ents&& entries) {
  if (entries.empty()) return absl::OkStatus();
  for (size_t k = 1; k < entries.size(); ++k) {
    if (entries[k].index() != entries[k - 1].index() + 1) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "appended entries are not consecutive: index %d follows %d",
          entries[k].index(), entries[k - 1].index()));
    }
  }
  const uint64_t first = FirstIndexLocked();
  const uint64_t last = LastIndexLocked();
  const uint64_t new_first = entries.front().index();
  const uint64_t new_last = entries.back().index();
  // Entries entirely covered by the snapshot are already durable there.
  if (new_last < first) return absl::OkStatus();
  if (new_first > last + 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "missing log entry [last: %d, append at: %d]", last, new_first));
  }
  // Skip the compacted prefix, then drop the suffix the new entries replace.
  const size_t skip = first > new_first ? first - new_first : 0;
  const uint64_t start = new_first + skip;
  ents_.resize(start - ents_[0].index());
  auto from = entries.begin() + skip;
  if constexpr (std::is_rvalue_reference_v<Ents&&>) {
    ents_.insert(ents_.end(), std::make_move_iterator(from),
                 std::make_move_iterator(entries.end()));
  } else {
    ents_.insert(ents_.end(), from, entries.end());
  }
  return absl::OkStatus();
}

absl::Status MemoryStorage::Append(absl::Span<const Entry> entries) {
  // Most Readys carry no entries: no lock for them.
  if (entries.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  return AppendLocked(entries);
}

absl::Status MemoryStorage::Append(std::vector<Entry>&& entries) {
  if (entries.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  return AppendLocked(std::move(entries));
}

}  // namespace craft
