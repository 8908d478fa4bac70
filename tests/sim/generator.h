// Generator chooses a simulation's events from a seed, looking at the
// cluster as it goes: virtual time advances from one scheduled action to
// the next (a node's tick at its own, skewed rate; a message's arrival
// after a random delay, or its loss or duplication; a client's next
// operation; a fault). After `ticks` base ticks of chaos the faults stop,
// the network heals, every member restarts, and the run continues until the
// liveness goal is reached or its budget runs out.

#ifndef CRAFT_TESTS_SIM_GENERATOR_H_
#define CRAFT_TESTS_SIM_GENERATOR_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sim/event.h"
#include "sim/world.h"

namespace craft::sim {

// The cluster a seed runs: 3 to 7 processes and the protocol options,
// drawn from the seed so that a seed range covers them all.
ClusterOptions ClusterOptionsForSeed(uint64_t seed);

class Generator {
 public:
  Generator(uint64_t seed, const ClusterOptions& opts, uint64_t ticks);

  // The next event to execute against `w`, or nullopt at the end.
  std::optional<Event> Next(World& w);

 private:
  enum class Action {
    kTick,
    kArrive,
    kDiskWrite,
    kDiskApply,
    kClients,
    kFaults,
  };
  struct Scheduled {
    Action action;
    uint64_t node = 0;
    World::LinkKey link;
  };

  uint64_t Rand(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool Chance(double p) {
    return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
  }
  void At(uint64_t time, Scheduled s);
  void ScheduleMessages(World& w);
  void ScheduleDisks(World& w);
  void Clients(World& w);
  void Faults(World& w);
  void LivenessPhase(World& w);
  void Recover(World& w);
  void ConfChange(World& w, uint64_t leader);
  void PartialReplicationCrash(World& w, uint64_t leader);
  // Steps the Figure 8 schedule (see generator.cc); false when idle.
  bool Figure8(World& w);
  void Split(std::vector<std::vector<uint64_t>> sides);
  void Crash(World& w, uint64_t id);
  uint64_t RandomNode(const World& w);
  Event Make(EventType t, uint64_t node = 0);

  std::mt19937_64 rng_;
  const ClusterOptions opts_;
  const uint64_t chaos_end_;
  uint64_t now_ = 0;
  uint64_t order_ = 0;
  std::map<std::pair<uint64_t, uint64_t>, Scheduled> queue_;  // (time, order)
  std::deque<Event> burst_;  // events to emit before anything else
  std::map<uint64_t, uint64_t> tick_period_;
  std::set<uint64_t> disk_write_pending_;
  std::set<uint64_t> disk_apply_pending_;
  // The Figure 8 schedule in progress: its step (0: idle), the nodes it
  // plays with, the index of the entry at stake and when the step started.
  struct Figure8State {
    int step = 0;
    uint64_t old_leader = 0;
    uint64_t follower = 0;
    uint64_t rival = 0;
    uint64_t winner = 0;
    uint64_t index = 0;
    uint64_t since = 0;
    std::vector<uint64_t> voters;
  } fig8_;
  double figure8_ = 0;  // per tick, starting the schedule when idle
  // A leader cut off from everyone, and since when (0: none).
  uint64_t isolated_leader_ = 0;
  uint64_t isolated_since_ = 0;
  // When each (term, leader) was first seen leading.
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> leader_since_;
  // How this seed's faults look.
  double drop_ = 0;
  double duplicate_ = 0;
  double slow_ = 0;
  double fault_rate_ = 1;
  double young_leader_crash_ = 0;  // per tick, in a leader's first ticks
  double restart_ = 0;             // per tick, for a crashed node
  uint64_t value_ = 0;
  bool stable_ = false;
  uint64_t stable_at_ = 0;
  int clients_ = 4;
  int keys_ = 3;
};

}  // namespace craft::sim

#endif  // CRAFT_TESTS_SIM_GENERATOR_H_
