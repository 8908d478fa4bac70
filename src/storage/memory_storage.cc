#include "craft/memory_storage.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include "absl/strings/str_format.h"
#include "craft/errors.h"
#include "google/protobuf/io/coded_stream.h"

namespace craft {
namespace {

// The metadata of a snapshot this class encoded, decoded without the data
// before it, which may be large: raftpb.Snapshot holds the data in field 1
// and the metadata in field 2, both length-delimited.
absl::StatusOr<raftpb::SnapshotMetadata> DecodeSnapshotMetadata(
    const std::string& encoded) {
  constexpr uint32_t kData = (1 << 3) | 2;
  constexpr uint32_t kMetadata = (2 << 3) | 2;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(encoded.data()),
      static_cast<int>(encoded.size()));
  raftpb::SnapshotMetadata md;
  while (const uint32_t tag = in.ReadTag()) {
    uint32_t length = 0;
    bool ok = (tag == kData || tag == kMetadata) && in.ReadVarint32(&length);
    if (ok && tag == kData) {
      ok = in.Skip(static_cast<int>(length));
    } else if (ok) {
      const auto limit = in.PushLimit(static_cast<int>(length));
      ok = md.MergePartialFromCodedStream(&in) && in.ConsumedEntireMessage();
      in.PopLimit(limit);
    }
    // The string was encoded by this class, so only a bug can fail this.
    if (!ok) {
      return absl::InternalError("MemoryStorage: cannot decode its snapshot");
    }
  }
  return md;
}

}  // namespace

void MemoryStorage::Log::Clear() {
  head_.clear();
  tail_.reset();
}

template <typename It>
void MemoryStorage::Log::Append(It first, It last) {
  while (first != last) {
    std::vector<Entry>& back = tail_ ? tail_->back() : head_;
    if (back.size() >= kChunk) {
      if (!tail_) tail_ = std::make_unique<std::vector<std::vector<Entry>>>();
      tail_->emplace_back().reserve(kChunk);
      continue;
    }
    const auto n = std::min<std::ptrdiff_t>(
        static_cast<std::ptrdiff_t>(kChunk - back.size()), last - first);
    // One at a time: the chunk has room (reserved), and a range insert's
    // generic path costs more than the copies for the usual one or two.
    for (const It end = first + n; first != end; ++first) {
      back.push_back(*first);
    }
  }
}

void MemoryStorage::Log::Truncate(size_t n) {
  if (n >= size()) return;  // nothing to cut: every append asks
  if (n <= head_.size()) {
    head_.resize(n);
    tail_.reset();
    return;
  }
  // n > head_.size() and n < size(): the cut is inside the chunks.
  const size_t j = n - head_.size();
  tail_->resize((j + kChunk - 1) / kChunk);
  tail_->back().resize(j - (tail_->size() - 1) * kChunk);
}

void MemoryStorage::Log::DropFront(size_t n) {
  if (n >= size()) {
    Clear();
    return;
  }
  while (n >= head_.size()) {
    n -= head_.size();
    head_ = std::move(tail_->front());
    tail_->erase(tail_->begin());
    if (tail_->empty()) tail_.reset();
  }
  head_.erase(head_.begin(), head_.begin() + static_cast<std::ptrdiff_t>(n));
}

MemoryStorage::MemoryStorage(Locking locking)
    : mu_(locking == Locking::kThreadSafe) {}

absl::StatusOr<InitialState> MemoryStorage::InitialState() const {
  std::lock_guard<Lock> lock(mu_);
  absl::StatusOr<raftpb::Snapshot> snap = SnapshotLocked();
  if (!snap.ok()) return snap.status();
  return craft::InitialState{
      hard_state_, std::move(*snap->mutable_metadata()->mutable_conf_state())};
}

absl::StatusOr<raftpb::Snapshot> MemoryStorage::SnapshotLocked() const {
  raftpb::Snapshot snap;
  // The string was encoded by this class, so only a bug can fail this.
  if (!snap.ParseFromString(snapshot_)) {
    return absl::InternalError("MemoryStorage: cannot decode its snapshot");
  }
  return snap;
}

uint64_t MemoryStorage::FirstIndexLocked() const {
  return compacted_index_ + 1;
}

uint64_t MemoryStorage::LastIndexLocked() const {
  return compacted_index_ + ents_.size();
}

absl::Status MemoryStorage::Entries(uint64_t lo, uint64_t hi, uint64_t max_size,
                                    std::vector<Entry>* out) const {
  std::lock_guard<Lock> lock(mu_);
  if (lo <= compacted_index_) return CompactedError();
  if (lo > hi) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid entry range [%d, %d)", lo, hi));
  }
  if (hi > LastIndexLocked() + 1) return EntryUnavailableError();
  if (lo == hi) return absl::OkStatus();  // (also past the last chunk)
  // The entries that fit in max_size (at least one), a contiguous run at a
  // time: counted first, so that `out` grows once.
  const size_t begin = lo - FirstIndexLocked();
  const size_t end = hi - FirstIndexLocked();
  if (absl::Span<const Entry> all = ents_.Run(begin, end - begin);
      all.size() == end - begin) {  // within one chunk: the common case
    const size_t n = LimitSize(all, max_size);
    for (size_t i = 0; i < n; ++i) out->push_back(all[i]);
    return absl::OkStatus();
  }
  size_t n = 0;
  uint64_t size = 0;
  for (size_t i = begin; i < end && (n == 0 || size <= max_size);) {
    absl::Span<const Entry> run = ents_.Run(i, end - i);
    for (const Entry& e : run) {
      size += EntrySize(e);
      if (n > 0 && size > max_size) break;
      ++n;
    }
    i += run.size();
  }
  out->reserve(out->size() + n);
  for (size_t i = begin; i < begin + n;) {
    absl::Span<const Entry> run = ents_.Run(i, begin + n - i);
    out->insert(out->end(), run.begin(), run.end());
    i += run.size();
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> MemoryStorage::Term(uint64_t i) const {
  std::lock_guard<Lock> lock(mu_);
  if (i < compacted_index_) return CompactedError();
  if (i == compacted_index_) return compacted_term_;
  if (i > LastIndexLocked()) return EntryUnavailableError();
  return ents_[i - FirstIndexLocked()].term();
}

absl::StatusOr<uint64_t> MemoryStorage::LastIndex() const {
  std::lock_guard<Lock> lock(mu_);
  return LastIndexLocked();
}

absl::StatusOr<uint64_t> MemoryStorage::FirstIndex() const {
  std::lock_guard<Lock> lock(mu_);
  return FirstIndexLocked();
}

absl::StatusOr<raftpb::Snapshot> MemoryStorage::Snapshot() const {
  std::lock_guard<Lock> lock(mu_);
  return SnapshotLocked();
}

absl::Status MemoryStorage::SetHardState(const HardState& hs) {
  std::lock_guard<Lock> lock(mu_);
  hard_state_ = hs;
  return absl::OkStatus();
}

absl::Status MemoryStorage::ApplySnapshot(raftpb::Snapshot snapshot) {
  std::lock_guard<Lock> lock(mu_);
  absl::StatusOr<raftpb::SnapshotMetadata> current =
      DecodeSnapshotMetadata(snapshot_);
  if (!current.ok()) return current.status();
  if (current->index() >= snapshot.metadata().index()) {
    return SnapshotOutOfDateError();
  }
  std::string encoded;
  if (!snapshot.SerializeToString(&encoded)) {
    return absl::InvalidArgumentError("ApplySnapshot: cannot encode snapshot");
  }
  ents_.Clear();
  compacted_index_ = snapshot.metadata().index();
  compacted_term_ = snapshot.metadata().term();
  snapshot_ = std::move(encoded);
  return absl::OkStatus();
}

absl::StatusOr<raftpb::Snapshot> MemoryStorage::CreateSnapshot(
    uint64_t i, const raftpb::ConfState* conf_state, std::string data) {
  std::lock_guard<Lock> lock(mu_);
  absl::StatusOr<raftpb::SnapshotMetadata> current =
      DecodeSnapshotMetadata(snapshot_);
  if (!current.ok()) return current.status();
  if (i <= current->index()) return SnapshotOutOfDateError();
  // Compact may have cut the log past the last snapshot.
  if (i < compacted_index_) return CompactedError();
  if (i > LastIndexLocked()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "snapshot %d is out of bound lastindex(%d)", i, LastIndexLocked()));
  }
  // The new snapshot keeps the old one's configuration unless given one;
  // the old data, never decoded, is replaced.
  raftpb::Snapshot snap;
  raftpb::SnapshotMetadata* md = snap.mutable_metadata();
  *md = *std::move(current);
  md->set_index(i);
  md->set_term(i == compacted_index_ ? compacted_term_
                                     : ents_[i - FirstIndexLocked()].term());
  if (conf_state != nullptr) *md->mutable_conf_state() = *conf_state;
  snap.set_data(std::move(data));
  std::string encoded;
  if (!snap.SerializeToString(&encoded)) {
    return absl::InvalidArgumentError("CreateSnapshot: cannot encode snapshot");
  }
  snapshot_ = std::move(encoded);
  return snap;
}

absl::Status MemoryStorage::Compact(uint64_t compact_index) {
  std::lock_guard<Lock> lock(mu_);
  if (compact_index <= compacted_index_) return CompactedError();
  if (compact_index > LastIndexLocked()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("compact %d is out of bound lastindex(%d)",
                        compact_index, LastIndexLocked()));
  }
  const size_t n = compact_index - compacted_index_;
  compacted_term_ = ents_[n - 1].term();
  compacted_index_ = compact_index;
  ents_.DropFront(n);
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
  if (start <= last) ents_.Truncate(start - first);
  auto from = entries.begin() + skip;
  if constexpr (std::is_rvalue_reference_v<Ents&&>) {
    ents_.Append(std::make_move_iterator(from),
                 std::make_move_iterator(entries.end()));
  } else {
    ents_.Append(from, entries.end());
  }
  return absl::OkStatus();
}

absl::Status MemoryStorage::Append(absl::Span<const Entry> entries) {
  // Most Readys carry no entries: no lock for them.
  if (entries.empty()) return absl::OkStatus();
  std::lock_guard<Lock> lock(mu_);
  return AppendLocked(entries);
}

absl::Status MemoryStorage::Append(std::vector<Entry>&& entries) {
  if (entries.empty()) return absl::OkStatus();
  std::lock_guard<Lock> lock(mu_);
  return AppendLocked(std::move(entries));
}

}  // namespace craft
