// The reference workloads: the same two workloads, defined to the letter,
// are written against craft here and against etcd-io/raft elsewhere, so
// that the two libraries are compared cell by cell (docs/PERFORMANCE.md).
//
// Common to both: RawNode over MemoryStorage; election tick 10, heartbeat
// tick 1, max-size-per-msg 1 MiB, max-inflight-msgs 256, everything else
// default; a logger that drops everything. Each storage starts from a
// snapshot at index 1, term 1 whose ConfState lists all voters, with an
// empty hard state.
//
//   throughput: V voters in one thread, no ticks. Node 1 campaigns and the
//     cluster is pumped until quiet. Then, until N entries were proposed,
//     b = min(B, N - proposed) entries of 128 bytes are proposed on the
//     leader (variant "propose": b Propose calls; "msgprop": one Step of a
//     MsgProp carrying the b entries) and the cluster is pumped until
//     quiet. Pumping is rounds over the nodes in id order: a node with a
//     Ready appends its entries to its storage, sets its hard state if not
//     empty, steps each message at once into its target, and advances; a
//     round in which no node had a Ready ends the pump. At the end every
//     node must have applied index N + 2 and exactly N non-empty entries.
//     One untimed warm-up of N/10, then `reps` runs on fresh clusters; the
//     median of each figure.
//
//   idle: G groups, each only the leader (id 1) of voters {1, 2, 3} with
//     its own storage, elected with answers forged for its vote requests and
//     appends. Live heap per group after building them, then 21 rounds of
//     one Tick per group (timed) and draining every group's Ready (timed
//     separately); medians.

#ifndef CRAFT_BENCH_WORKLOAD_WORKLOAD_H_
#define CRAFT_BENCH_WORKLOAD_WORKLOAD_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace craft::workload {

enum class Variant { kPropose, kMsgProp };

struct ThroughputOptions {
  int voters = 3;
  int batch = 16;
  Variant variant = Variant::kMsgProp;
  uint64_t n = 100000;
  int reps = 7;
};

struct ThroughputResult {
  double entries_per_s = 0;
  double ns_per_entry = 0;
  double cpu_ns_per_entry = 0;
  double allocs_per_entry = 0;
  double bytes_per_entry = 0;
  double readys_per_batch = 0;
  double msgs_per_batch = 0;
};

// An error if a run's end-of-run check fails (or a step is refused).
absl::StatusOr<ThroughputResult> RunThroughput(const ThroughputOptions& o);

struct IdleOptions {
  uint64_t groups = 10000;
  int rounds = 21;
};

struct IdleResult {
  double bytes_per_group = 0;
  double allocs_per_group = 0;
  double tick_ns_per_group = 0;
  double drain_ns_per_group = 0;
};

// An error if a group does not end its election as specified.
absl::StatusOr<IdleResult> RunIdle(const IdleOptions& o);

// The output lines, in the form the comparison reads.
std::string FormatThroughput(const ThroughputOptions& o,
                             const ThroughputResult& r);
std::string FormatIdle(const IdleOptions& o, const IdleResult& r);

}  // namespace craft::workload

#endif  // CRAFT_BENCH_WORKLOAD_WORKLOAD_H_
