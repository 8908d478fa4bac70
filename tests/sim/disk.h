// SimDisk is one simulated node's disk. Writes land in a volatile cache
// and become durable at the next sync; a crash keeps what was synced and,
// of the writes after it, any prefix in order, the last of which may be
// torn (only some of its entries reached the platter). The node reads
// through storage(), which shows every write, as a real page cache does.

#ifndef CRAFT_TESTS_SIM_DISK_H_
#define CRAFT_TESTS_SIM_DISK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "craft/memory_storage.h"
#include "craft/raftpb.h"

namespace craft::sim {

class SimDisk {
 public:
  // A fresh disk holding `bootstrap` (a snapshot) durably.
  explicit SimDisk(const raftpb::Snapshot& bootstrap);

  // What a node persists from one Ready (or one MsgStorageAppend). Entries
  // replace any conflicting suffix, as MemoryStorage::Append does.
  struct Write {
    HardState hard_state;  // empty: unchanged
    std::vector<Entry> entries;
    raftpb::Snapshot snapshot;  // index 0: none
  };
  // Writes `w` and, with `sync`, makes it and everything before durable.
  absl::Status Apply(Write w, bool sync);
  void Sync();

  // Records a snapshot of the applied state at `index` and compacts the log
  // up to `keep` entries before it, durably (a snapshot file is synced and
  // renamed into place).
  absl::Status SnapshotAndCompact(uint64_t index, const raftpb::ConfState& cs,
                                  std::string data, uint64_t keep);

  // The writes not yet synced; a crash keeps `keep` of them (the last one
  // torn to `torn_entries` entries if that is fewer than it has).
  size_t volatile_writes() const { return pending_.size(); }
  size_t volatile_entries(size_t i) const { return pending_[i].entries.size(); }
  void Crash(size_t keep, size_t torn_entries);

  MemoryStorage& storage() { return *live_; }
  // The durable state: what survives any crash.
  const MemoryStorage& durable() const { return *durable_; }
  HardState durable_hard_state() const;
  // Whether the durable log holds entry (index, term). Entries compacted
  // into the durable snapshot count as held.
  bool DurablyHolds(uint64_t index, uint64_t term) const;

 private:
  static absl::Status ApplyTo(MemoryStorage& s, const Write& w);
  static std::unique_ptr<MemoryStorage> Clone(const MemoryStorage& s);

  std::unique_ptr<MemoryStorage> durable_;
  std::unique_ptr<MemoryStorage> live_;
  std::vector<Write> pending_;
};

}  // namespace craft::sim

#endif  // CRAFT_TESTS_SIM_DISK_H_
