// SimDriver runs a fuzzer's simulation: a World, the virtual clock the
// events are stamped with, and the list of events executed so far. Every
// event goes through Run, which records it and checks the World after it:
// the first invariant violation (or panic) prints the cluster options, the
// failure and the event list to stderr and aborts, which is how libFuzzer
// (and the standalone driver) learn of it. The printed list replays the
// failure event for event (craft::sim::Replay with the printed options).
//
// With the environment variable CRAFT_FUZZ_VERBOSE set, the events are
// printed as they run, and a summary at the end; CRAFT_FUZZ_VERBOSE=2 adds
// the World's own trace.

#ifndef CRAFT_TESTS_FUZZ_SIM_DRIVER_H_
#define CRAFT_TESTS_FUZZ_SIM_DRIVER_H_

#include <cstdint>
#include <map>
#include <vector>

#include "sim/event.h"
#include "sim/world.h"

namespace craft::fuzz {

class SimDriver {
 public:
  // Each live node ticks every `period` time units of its own (a base tick
  // is 100), chosen per node from `clock_seed` within [100 - skew, 100 +
  // skew]; `skew` must be below 100.
  SimDriver(const sim::ClusterOptions& opts, uint8_t clock_seed, uint64_t skew);

  sim::World& world() { return world_; }
  const sim::World& world() const { return world_; }
  uint64_t now() const { return now_; }
  size_t events() const { return events_.size(); }

  // Executes `e` one time unit after the previous event and checks the
  // World.
  void Run(sim::Event e);
  // Moves the clock `delta` units on, ticking the live nodes whose periods
  // end on the way (or ended before: events take time too), in time order.
  void Advance(uint64_t delta);
  // Delivers every message in flight now (not what they cause to be sent).
  void DeliverAll();
  // Asynchronous writes: every node's append and apply threads complete
  // everything queued.
  void DrainDisks();
  // Delivers and drains until nothing is in flight or queued, for at most
  // `rounds` rounds.
  void Settle(int rounds);
  // Ends the run (sim::World::Finish) and checks the World.
  void Finish();

 private:
  void Check();

  sim::World world_;
  std::vector<sim::Event> events_;
  uint64_t now_ = 0;
  std::map<uint64_t, uint64_t> period_;
  std::map<uint64_t, uint64_t> next_tick_;
};

}  // namespace craft::fuzz

#endif  // CRAFT_TESTS_FUZZ_SIM_DRIVER_H_
