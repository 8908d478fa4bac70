// Arbitrary bytes as raftpb messages from the network: a three-node
// simulated cluster elects a leader and commits a few writes (always the
// same way), then the input, chunk by chunk, either carries bytes that are
// decoded as a Message and stepped into a node as a peer's message
// (the simulator's kRaw event: StepFromPeer), or moves the cluster on:
// clock advances, deliveries, losses, client writes.
//
// The cluster runs with ClusterOptions::byzantine: a forged message may
// legitimately break the cluster-wide properties (a forged leader can
// commit anything), but every node must keep its own invariants (its term
// and commit index never go back, its log stays contiguous and ordered, it
// applies only what is durable and in order) and must never panic: peer
// input is untrusted, so a malformed or hostile message is refused or
// ignored. Clients only write, so the history is trivially linearizable.
//
// A chunk starts with a header byte h:
//   h % 8 < 4: a message for node 1 + (h / 8) % 3; one length byte, then
//              that many bytes. With bit 5 of h set, one more byte p
//              patches a decoded message so that it reaches deeper: the
//              sender becomes 1 + p % 3, the term the target's (as is, +1,
//              -1 by (p / 4) % 4), and with bit 4 of p the log position the
//              target's durable last entry. (A snapshot whose payload the
//              simulated application cannot read gets an empty one.)
//   h % 8 == 4: the clock moves on; 5: deliver everything in flight;
//   6: a client write; 7: one message in flight is delivered or lost.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "craft/raftpb.h"
#include "fuzz_input.h"
#include "sim/kv.h"
#include "sim/world.h"
#include "sim_driver.h"

namespace craft::fuzz {
namespace {

using sim::Event;
using sim::EventType;

// Bounds the work one input can cause.
constexpr size_t kMaxEvents = 5000;

// The same start for every input: a leader and a few committed writes.
void WarmUp(SimDriver& d, uint64_t* value) {
  for (int round = 0; round < 30 && d.world().leader() == 0; ++round) {
    d.Advance(500);
    d.Settle(6);
  }
  for (uint64_t client = 1; client <= 2; ++client) {
    if (d.world().leader() == 0) break;
    Event e;
    e.type = EventType::kPut;
    e.node = d.world().leader();
    e.n = client;
    e.key = "k";
    e.value = absl::StrCat("v", ++*value);
    d.Run(std::move(e));
    d.Settle(6);
  }
}

// The bytes to step into `to` for a chunk: as they are, or (when they decode)
// patched as the header says, and with an unreadable snapshot payload
// replaced. A snapshot's data is the application's (the simulator's
// key-value store) and never interpreted by craft; a forged one would only
// fail the simulated application's restore, which is no finding.
std::string Prepare(SimDriver& d, uint64_t to, bool patch, uint8_t p,
                    std::string bytes) {
  raftpb::Message m;
  if (!m.ParseFromString(bytes)) return bytes;
  const bool bad_snapshot =
      m.has_snapshot() && !sim::KvStore::Restore(m.snapshot().data()).ok();
  if (!patch && !bad_snapshot) return bytes;
  if (bad_snapshot) m.mutable_snapshot()->set_data(sim::KvStore().Serialize());
  if (!patch) return m.SerializeAsString();
  const sim::SimDisk& disk = d.world().disk(to);
  const uint64_t term = disk.durable_hard_state().term();
  m.set_from(1 + p % 3);
  switch ((p / 4) % 4) {
    case 1:
      m.set_term(term);
      break;
    case 2:
      m.set_term(term + 1);
      break;
    case 3:
      m.set_term(term > 0 ? term - 1 : 0);
      break;
    default:
      break;
  }
  if (p & 16) {
    const uint64_t last = *disk.durable().LastIndex();
    m.set_index(last);
    m.set_log_term(disk.durable().Term(last).value_or(0));
  }
  return m.SerializeAsString();
}

}  // namespace
}  // namespace craft::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using craft::fuzz::FuzzInput;
  using craft::sim::Event;
  using craft::sim::EventType;
  FuzzInput in(data, size);
  craft::sim::ClusterOptions opts;
  opts.byzantine = true;
  const uint8_t flags = in.Byte();
  opts.pre_vote = flags & 1;
  opts.check_quorum = flags & 2;
  opts.async_writes = flags & 4;
  craft::fuzz::SimDriver d(opts, /*clock_seed=*/0, /*skew=*/10);
  uint64_t value = 0;
  craft::fuzz::WarmUp(d, &value);
  const craft::sim::World& w = d.world();

  while (!in.empty() && d.events() < craft::fuzz::kMaxEvents) {
    const uint8_t h = in.Byte();
    switch (h % 8) {
      case 0:
      case 1:
      case 2:
      case 3: {
        Event e;
        e.type = EventType::kRaw;
        e.node = 1 + (h / 8) % 3;
        const size_t len = in.Byte();
        std::string bytes = in.Take(len);
        const bool patch = h & 32;
        const uint8_t p = patch ? in.Byte() : 0;
        e.text = absl::BytesToHexString(
            craft::fuzz::Prepare(d, e.node, patch, p, std::move(bytes)));
        d.Run(std::move(e));
        break;
      }
      case 4:
        d.Advance(25 * (1 + in.Below(16)));
        break;
      case 5:
        d.DeliverAll();
        d.DrainDisks();
        break;
      case 6: {
        Event e;
        e.type = EventType::kPut;
        const uint8_t b = in.Byte();
        e.node = b % 4 == 0 || w.leader() == 0 ? 1 + (b / 4) % 3 : w.leader();
        e.n = 1 + b % 2;
        e.key = "k";
        e.value = absl::StrCat("v", ++value);
        d.Run(std::move(e));
        break;
      }
      default: {
        const auto& flight = w.in_flight();
        if (flight.empty()) break;
        auto it = flight.begin();
        std::advance(it, static_cast<ptrdiff_t>(in.Below(flight.size())));
        Event e;
        e.type = h & 8 ? EventType::kDrop : EventType::kDeliver;
        e.node = std::get<0>(it->first);
        e.to = std::get<1>(it->first);
        e.n = std::get<2>(it->first);
        d.Run(std::move(e));
        break;
      }
    }
  }
  d.Finish();
  return 0;
}
