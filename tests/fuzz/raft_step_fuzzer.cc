// Structured fuzzing of a simulated cluster: the input's first bytes choose
// the cluster (3 to 5 nodes, the protocol options, synchronous or
// asynchronous storage writes), and the rest decodes, a few bytes at a time,
// to the simulator's events: clock advances and ticks, deliveries, losses,
// duplicates and replays of messages that are in flight, client operations,
// configuration changes, leadership transfers, compactions, crashes and
// restarts (also of a leader whose appends reached one follower only, as in
// Raft's Figure 8), partitions, stalled disks and hostile messages. Every
// decision is drawn among the choices that exist at that point (the cluster's
// nodes, the messages in flight), so that most inputs make the cluster do
// something.
//
// Each event runs with the simulator's invariant checks (one leader per
// term, terms never decrease, one vote per term, persist before send, log
// matching, leader completeness, committed entries never change, state
// machine safety, refused hostile input changes nothing, no panic), and the
// clients' history must be linearizable at the end. A violation aborts with
// the failure and the list of events (see sim_driver.h).
//
// Input: byte 0 the cluster's shape (3 + b % 3 nodes; 3 voters, or all of
// them when (b / 3) % 2), byte 1 the protocol options (bit 0 pre-vote, 1
// check quorum, 2 asynchronous writes, 3 lease reads, 4 step down on
// removal), byte 2 the message size and in-flight limits, byte 3 the seed
// of the election timeouts and clock rates; then, per step, an opcode byte
// (Decoder::Step) and its operands.
//
// Lease-based reads assume clocks that drift apart by a bounded amount:
// with them on, nodes tick only as the virtual clock passes their (slightly
// skewed) periods; otherwise single nodes may also tick on their own, as a
// paused or runaway process would.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "craft/raftpb.h"
#include "fuzz_input.h"
#include "sim/world.h"
#include "sim_driver.h"

namespace craft::fuzz {
namespace {

using sim::Event;
using sim::EventType;

constexpr int kClients = 6;
constexpr int kKeys = 3;
// Bounds the work one input can cause (clock advances tick many nodes).
constexpr size_t kMaxEvents = 20000;

sim::ClusterOptions DecodeOptions(FuzzInput& in) {
  sim::ClusterOptions o;
  const uint8_t shape = in.Byte();
  o.nodes = 3 + shape % 3;
  o.voters = (shape / 3) % 2 == 0 ? 3 : o.nodes;
  const uint8_t flags = in.Byte();
  o.pre_vote = flags & 1;
  o.check_quorum = flags & 2;
  o.async_writes = flags & 4;
  o.lease_reads = o.check_quorum && (flags & 8);
  o.step_down_on_removal = flags & 16;
  const uint8_t sizes = in.Byte();
  static constexpr uint64_t kMaxSize[] = {0, 256, 4096, 1 << 20};
  static constexpr int kInflight[] = {1, 2, 8, 256};
  o.max_size_per_msg = kMaxSize[sizes & 3];
  o.max_inflight_msgs = kInflight[(sizes >> 2) & 3];
  o.seed = in.Byte();
  return o;
}

class Decoder {
 public:
  Decoder(FuzzInput& in, SimDriver& d) : in_(in), d_(d), w_(d.world()) {}

  void Step() {
    switch (in_.Byte() % 32) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4: {
        // Mostly a quarter of a tick to four ticks; now and then 5 to 20
        // ticks at once, an election timeout or two.
        const uint8_t b = in_.Byte();
        d_.Advance(b < 192 ? 25 * (1 + b % 16) : 100 * (5 + b % 16));
        break;
      }
      case 5:
      case 6:
        if (w_.options().lease_reads) {
          d_.Advance(100);
        } else {
          Run(Make(EventType::kTick, Node()));
        }
        break;
      case 7:
      case 8:
      case 9:
      case 10:
        Link(EventType::kDeliver);
        break;
      case 11:
        d_.DeliverAll();
        break;
      case 12:
        PartialReplicationCrash();
        break;
      case 13:
        Link(EventType::kDrop);
        break;
      case 14:
        Link(EventType::kDuplicate);
        break;
      case 15:
        Replay();
        break;
      case 16:
      case 17:
      case 18:
        Client();
        break;
      case 19:
        ConfChange();
        break;
      case 20:
        Run(Make(EventType::kLeaveJoint, LeaderOr()));
        break;
      case 21: {
        Event e = Make(EventType::kTransfer, LeaderOr());
        e.to = Node();
        Run(std::move(e));
        break;
      }
      case 22: {
        Event e = Make(EventType::kCompact, Node());
        if (in_.Byte() % 4 == 0) e.n = in_.Below(20);
        Run(std::move(e));
        break;
      }
      case 23:
        Run(Make(EventType::kForgetLeader, Node()));
        break;
      case 24:
        Crash();
        break;
      case 25:
        Restart();
        break;
      case 26:
        Network();
        break;
      case 27: {
        const uint64_t id = Node();
        Run(Make(w_.stalled(id) ? EventType::kUnstall : EventType::kStall, id));
        break;
      }
      case 28:
      case 29:
        if (w_.options().async_writes) {
          Event e = Make(in_.Byte() % 2 == 0 ? EventType::kDiskWrite
                                             : EventType::kDiskApply,
                         Node());
          e.n = in_.Below(3);  // 0: all that is queued; else one or two
          Run(std::move(e));
        } else {
          d_.Settle(4);
        }
        break;
      case 30:
        d_.Settle(8);
        break;
      case 31: {
        Event e = Make(EventType::kHostile, Node());
        e.to = Node();
        e.n = in_.Byte();
        e.arg = in_.Below(sim::kHostileKinds);
        Run(std::move(e));
        break;
      }
    }
  }

 private:
  static Event Make(EventType t, uint64_t node) {
    Event e;
    e.type = t;
    e.node = node;
    return e;
  }
  void Run(Event e) { d_.Run(std::move(e)); }

  uint64_t Node() { return 1 + in_.Below(w_.ids().size()); }
  // Mostly the leader (when there is one), as clients and operators would
  // choose; sometimes any node.
  uint64_t LeaderOr() {
    const uint8_t b = in_.Byte();
    const std::vector<uint64_t> leaders = w_.leaders();
    if (b % 4 != 0 && !leaders.empty()) {
      // A deposed leader that has not noticed yet, now and then.
      return b % 4 == 3 ? leaders[(b >> 2) % leaders.size()] : w_.leader();
    }
    return 1 + (b >> 2) % w_.ids().size();
  }

  // A delivery, loss or duplication of a message in flight.
  void Link(EventType t) {
    const auto& flight = w_.in_flight();
    if (flight.empty()) return;
    auto it = flight.begin();
    std::advance(it, static_cast<ptrdiff_t>(in_.Below(flight.size())));
    const auto& [from, to, n] = it->first;
    Event e = Make(t, from);
    e.to = to;
    e.n = n;
    Run(std::move(e));
  }

  void Replay() {
    const uint64_t from = Node();
    const uint64_t to = Node();
    const uint64_t past = w_.delivered(from, to);
    if (from == to || past == 0) return;
    Event e = Make(EventType::kReplay, from);
    e.to = to;
    e.n = in_.Below(past);
    Run(std::move(e));
  }

  void Client() {
    const uint8_t kind = in_.Byte();
    Event e = Make(EventType::kPut, LeaderOr());
    e.n = 1 + kind % kClients;
    e.key = absl::StrCat("k", (kind / kClients) % kKeys);
    switch ((kind / (kClients * kKeys)) % 6) {
      case 0:
      case 1:
        e.type = EventType::kGet;
        break;
      case 2:
      case 3:
        e.value = absl::StrCat("v", ++value_);
        break;
      case 4:
        e.type = EventType::kDelete;
        break;
      default:
        e.type = EventType::kCas;
        // A recent value, right now and then.
        e.text = absl::StrCat(
            "v", value_ - std::min<uint64_t>(value_, in_.Below(3)));
        e.value = absl::StrCat("v", ++value_);
        break;
    }
    Run(std::move(e));
  }

  void ConfChange() {
    Event e = Make(EventType::kConfChange, LeaderOr());
    const uint8_t shape = in_.Byte();
    std::vector<std::string> changes;
    for (int i = 0, count = 1 + shape % 3; i < count; ++i) {
      static constexpr char kOps[] = {'v', 'v', 'l', 'r'};
      const uint8_t c = in_.Byte();
      changes.push_back(absl::StrCat(std::string(1, kOps[c % 4]),
                                     1 + (c / 4) % w_.ids().size()));
    }
    e.text = absl::StrJoin(changes, " ");
    e.arg = (shape / 3) % 4;  // auto, joint implicit, joint explicit, legacy
    Run(std::move(e));
  }

  void Crash() { CrashNode(LeaderOr()); }

  void CrashNode(uint64_t id) {
    if (!w_.alive(id)) return;
    Event e = Make(EventType::kCrash, id);
    // Any prefix of the unsynced writes survives, the last possibly torn.
    const sim::SimDisk& disk = w_.disk(id);
    e.n = in_.Below(disk.volatile_writes() + 1);
    if (e.n > 0) e.arg = in_.Below(disk.volatile_entries(e.n - 1) + 1);
    Run(std::move(e));
  }

  // The schedule of Raft's Figure 8: the leader's appends in flight reach
  // one follower only, and the leader dies before it can do more.
  void PartialReplicationCrash() {
    const uint64_t lucky = Node();
    const uint64_t leader = w_.leader();
    if (leader == 0) return;
    std::vector<sim::World::LinkKey> appends;
    for (const auto& [key, f] : w_.in_flight()) {
      if (std::get<0>(key) == leader && f.msg.type() == raftpb::MsgApp &&
          f.msg.entries_size() > 0) {
        appends.push_back(key);
      }
    }
    for (const auto& [from, to, n] : appends) {
      Event e =
          Make(to == lucky ? EventType::kDeliver : EventType::kDrop, from);
      e.to = to;
      e.n = n;
      Run(std::move(e));
    }
    CrashNode(leader);
  }

  void Restart() {
    std::vector<uint64_t> down;
    for (uint64_t id : w_.ids()) {
      if (!w_.alive(id)) down.push_back(id);
    }
    if (down.empty()) return;
    Run(Make(EventType::kRestart, down[in_.Below(down.size())]));
  }

  void Network() {
    const uint8_t b = in_.Byte();
    switch (b % 4) {
      case 0:
      case 1: {
        // Two sides chosen by the bits of the next byte, or the leader
        // (when there is one) alone on one side.
        const uint8_t mask = in_.Byte();
        const uint64_t leader = w_.leader();
        const bool isolate = b % 4 == 1 && leader != 0;
        std::vector<uint64_t> sides[2];
        for (uint64_t id : w_.ids()) {
          const bool second =
              isolate ? id == leader : ((mask >> (id - 1)) & 1) != 0;
          sides[second ? 1 : 0].push_back(id);
        }
        Event e = Make(EventType::kPartition, 0);
        e.text = absl::StrCat(absl::StrJoin(sides[0], ","), "|",
                              absl::StrJoin(sides[1], ","));
        Run(std::move(e));
        break;
      }
      case 2: {
        Event e = Make(EventType::kCut, Node());
        e.to = Node();
        if (e.to != e.node) Run(std::move(e));
        break;
      }
      default:
        Run(Make(EventType::kHeal, 0));
        break;
    }
  }

  FuzzInput& in_;
  SimDriver& d_;
  const sim::World& w_;
  uint64_t value_ = 0;
};

}  // namespace
}  // namespace craft::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using craft::fuzz::FuzzInput;
  FuzzInput in(data, size);
  const craft::sim::ClusterOptions opts = craft::fuzz::DecodeOptions(in);
  // Lease reads are safe only while clocks run at close rates.
  craft::fuzz::SimDriver driver(opts, static_cast<uint8_t>(opts.seed),
                                opts.lease_reads ? 5 : 30);
  craft::fuzz::Decoder decoder(in, driver);
  while (!in.empty() && driver.events() < craft::fuzz::kMaxEvents) {
    decoder.Step();
  }
  driver.Finish();
  return 0;
}
