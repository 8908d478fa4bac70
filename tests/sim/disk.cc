#include "sim/disk.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "craft/errors.h"

namespace craft::sim {

SimDisk::SimDisk(const raftpb::Snapshot& bootstrap)
    : durable_(std::make_unique<MemoryStorage>()),
      live_(std::make_unique<MemoryStorage>()) {
  (void)durable_->ApplySnapshot(bootstrap);
  (void)live_->ApplySnapshot(bootstrap);
}

absl::Status SimDisk::ApplyTo(MemoryStorage& s, const Write& w) {
  if (!IsEmptySnapshot(w.snapshot)) {
    if (absl::Status st = s.ApplySnapshot(w.snapshot); !st.ok()) return st;
  }
  if (!w.entries.empty()) {
    if (absl::Status st = s.Append(w.entries); !st.ok()) return st;
  }
  if (!IsEmptyHardState(w.hard_state)) {
    if (absl::Status st = s.SetHardState(w.hard_state); !st.ok()) return st;
  }
  return absl::OkStatus();
}

std::unique_ptr<MemoryStorage> SimDisk::Clone(const MemoryStorage& s) {
  auto out = std::make_unique<MemoryStorage>();
  raftpb::Snapshot snap = *s.Snapshot();
  if (!IsEmptySnapshot(snap)) (void)out->ApplySnapshot(snap);
  const uint64_t first = *s.FirstIndex();
  const uint64_t last = *s.LastIndex();
  if (last >= first) {
    absl::StatusOr<std::vector<Entry>> ents =
        s.Entries(first, last + 1, kNoLimit);
    if (ents.ok()) (void)out->Append(*std::move(ents));
  }
  (void)out->SetHardState(s.InitialState()->hard_state);
  return out;
}

absl::Status SimDisk::Apply(Write w, bool sync) {
  if (absl::Status s = ApplyTo(*live_, w); !s.ok()) {
    return absl::InternalError(
        absl::StrCat("disk write failed: ", s.message()));
  }
  // A snapshot is written to its own file, synced and renamed into place:
  // it is durable on its own, and so is what came before it.
  if (!IsEmptySnapshot(w.snapshot)) sync = true;
  pending_.push_back(std::move(w));
  if (sync) Sync();
  return absl::OkStatus();
}

void SimDisk::Sync() {
  for (const Write& w : pending_) (void)ApplyTo(*durable_, w);
  pending_.clear();
}

absl::Status SimDisk::SnapshotAndCompact(uint64_t index,
                                         const raftpb::ConfState& cs,
                                         std::string data, uint64_t keep) {
  // Writing the snapshot durably syncs everything written before it (a
  // write-ahead log is sequential): the hard state's commit index must
  // never be behind a durable snapshot. Only durable entries can be part of
  // an applied state (the node applies what it persisted); the snapshot is
  // taken on both views alike.
  Sync();
  for (MemoryStorage* s : {durable_.get(), live_.get()}) {
    absl::StatusOr<raftpb::Snapshot> snap = s->CreateSnapshot(index, &cs, data);
    if (!snap.ok()) return snap.status();
    const uint64_t first = *s->FirstIndex();
    const uint64_t compact = index > keep ? index - keep : 0;
    if (compact >= first) {
      if (absl::Status st = s->Compact(compact); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

void SimDisk::Crash(size_t keep, size_t torn_entries) {
  if (keep > pending_.size()) keep = pending_.size();
  pending_.resize(keep);
  if (!pending_.empty()) {
    Write& last = pending_.back();
    if (torn_entries < last.entries.size()) {
      // The tail of a torn write never made it, nor the hard state written
      // after the entries.
      last.entries.resize(torn_entries);
      last.hard_state = HardState();
    }
  }
  Sync();
  live_ = Clone(*durable_);
}

HardState SimDisk::durable_hard_state() const {
  return durable_->InitialState()->hard_state;
}

bool SimDisk::DurablyHolds(uint64_t index, uint64_t term) const {
  absl::StatusOr<uint64_t> t = durable_->Term(index);
  if (t.ok()) return *t == term;
  // Compacted: covered by the durable snapshot, which holds only committed
  // (hence matching) state.
  return IsCompacted(t.status());
}

}  // namespace craft::sim
