// Running simulations: one seed, a recorded event list, and the shrinking
// of a failing list to a short one that still fails.

#ifndef CRAFT_TESTS_SIM_SIM_H_
#define CRAFT_TESTS_SIM_SIM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/event.h"
#include "sim/world.h"

namespace craft::sim {

struct RunResult {
  ClusterOptions options;
  std::vector<Event> events;  // as executed
  std::string failure;        // empty when every check passed
  uint64_t ticks = 0;         // node ticks executed
  size_t operations = 0;      // client operations in the history
  bool ok() const { return failure.empty(); }
};

// Runs `seed` for `ticks` base ticks of faults plus the liveness phase.
RunResult RunSeed(uint64_t seed, uint64_t ticks,
                  const World::Trace& trace = nullptr);

// Executes `events` against a fresh cluster of `options`, then Finish.
RunResult Replay(const ClusterOptions& options,
                 const std::vector<Event>& events,
                 const World::Trace& trace = nullptr);

// Shrinks a failing event list: removes every event of one kind, then
// chunks of events (halves, then smaller, repeated while that gains),
// keeping each removal after which the replay still fails, within
// `max_replays` replays.
std::vector<Event> Shrink(const ClusterOptions& options,
                          std::vector<Event> events, int max_replays);

// Event files: a header naming the seed (whose cluster options they run
// on), then one event per line.
std::string FormatEventFile(uint64_t seed, const std::vector<Event>& events);
struct EventFile {
  uint64_t seed = 0;
  std::vector<Event> events;
};
absl::StatusOr<EventFile> ParseEventFile(absl::string_view text);

}  // namespace craft::sim

#endif  // CRAFT_TESTS_SIM_SIM_H_
