// The events a simulation is made of. A run is a list of events executed in
// order against a fresh cluster: the generator chooses them from a seed (and
// the state the cluster is in), the fuzzer decodes them from bytes, and a
// failing list is shrunk by removing events and replaying the rest. Every
// event is deterministic given the cluster's state; an event that no longer
// applies (a message that was never sent, a node that is down) does
// nothing.

#ifndef CRAFT_TESTS_SIM_EVENT_H_
#define CRAFT_TESTS_SIM_EVENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace craft::sim {

enum class EventType {
  kTick,        // node
  kDeliver,     // the n-th message on link from->to
  kDuplicate,   // a copy of it, leaving it in flight
  kDrop,        // it is lost
  kReplay,      // an already delivered message on from->to arrives again
  kPut,         // client op at node: key, value
  kDelete,      // key
  kCas,         // key, expected -> value
  kGet,         // a ReadIndex read of key
  kConfChange,  // at node: text in the "v2 l3 r1" form; arg: transition
  kLeaveJoint,  // at node: the empty ConfChangeV2
  kTransfer,    // node asks its leader to hand leadership to `to`
  kCompact,     // node snapshots its applied state and compacts its log
  kForgetLeader,
  kCrash,      // node; keeps `n` unsynced writes, the last torn to `arg`
  kRestart,    // node, from its disk
  kPartition,  // text: groups such as "1,2|3,4,5"; cut between groups
  kCut,        // one-way: from -> to loses everything
  kHeal,
  kStall,  // node's disk stops completing writes
  kUnstall,
  kDiskWrite,  // async writes: node's append thread completes n writes
  kDiskApply,  // async writes: node's apply thread applies n batches
               // (n = 0: everything queued)
  kHostile,    // a malformed or forged message into node: `arg` the kind
  kRaw,        // bytes (text, hex) decoded as a message, stepped into node
  kStable,     // faults end: the liveness phase begins
};

struct Event {
  uint64_t time = 0;  // virtual time, in hundredths of a base tick
  EventType type = EventType::kTick;
  uint64_t node = 0;  // the node acted on (the sender for link events)
  uint64_t to = 0;    // the receiver of link events; transfer target
  uint64_t n = 0;     // link message number; client id; kept writes
  uint64_t arg = 0;   // torn entries; transition; hostile kind
  std::string key;
  std::string value;
  std::string text;  // cas expected value; conf change; partition; bytes
};

// One line per event, and back. Parse errors name the problem.
std::string FormatEvent(const Event& e);
absl::StatusOr<Event> ParseEvent(absl::string_view line);
absl::StatusOr<std::vector<Event>> ParseEvents(absl::string_view text);

}  // namespace craft::sim

#endif  // CRAFT_TESTS_SIM_EVENT_H_
