#include "sim_driver.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace craft::fuzz {
namespace {

int Verbosity() {
  static const int level = [] {
    const char* v = std::getenv("CRAFT_FUZZ_VERBOSE");
    return v == nullptr || *v == '\0' ? 0 : std::atoi(v) > 1 ? 2 : 1;
  }();
  return level;
}

void Print(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace

SimDriver::SimDriver(const sim::ClusterOptions& opts, uint8_t clock_seed,
                     uint64_t skew)
    : world_(opts, Verbosity() > 1 ? sim::World::Trace(Print) : nullptr) {
  uint64_t x = clock_seed;
  for (uint64_t id : world_.ids()) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    period_[id] = 100 - skew + (x >> 33) % (2 * skew + 1);
    next_tick_[id] = (x >> 17) % 100;
  }
  if (Verbosity() > 0) Print(absl::StrCat("options: ", opts.Describe()));
}

void SimDriver::Run(sim::Event e) {
  // Every event takes a moment, so that the clients' history orders what
  // happened one after the other (an operation that ended before another
  // began is not concurrent with it).
  e.time = ++now_;
  if (Verbosity() > 0) Print(sim::FormatEvent(e));
  world_.Execute(e);
  events_.push_back(std::move(e));
  Check();
}

void SimDriver::Advance(uint64_t delta) {
  const uint64_t until = now_ + delta;
  for (;;) {
    auto next = next_tick_.begin();
    for (auto it = next_tick_.begin(); it != next_tick_.end(); ++it) {
      if (it->second < next->second) next = it;
    }
    if (next == next_tick_.end() || next->second > until) break;
    now_ = std::max(now_, next->second);
    next->second += period_[next->first];
    if (world_.alive(next->first)) {
      sim::Event e;
      e.type = sim::EventType::kTick;
      e.node = next->first;
      Run(std::move(e));
    }
  }
  now_ = std::max(now_, until);
}

void SimDriver::DeliverAll() {
  std::vector<sim::World::LinkKey> keys;
  for (const auto& [key, f] : world_.in_flight()) keys.push_back(key);
  for (const auto& [from, to, n] : keys) {
    if (!world_.in_flight().contains({from, to, n})) continue;
    sim::Event e;
    e.type = sim::EventType::kDeliver;
    e.node = from;
    e.to = to;
    e.n = n;
    Run(std::move(e));
  }
}

void SimDriver::DrainDisks() {
  if (!world_.options().async_writes) return;
  for (uint64_t id : world_.ids()) {
    if (!world_.alive(id) || world_.stalled(id)) continue;
    for (sim::EventType t :
         {sim::EventType::kDiskWrite, sim::EventType::kDiskApply}) {
      const size_t queued = t == sim::EventType::kDiskWrite
                                ? world_.append_queue(id)
                                : world_.apply_queue(id);
      if (queued == 0) continue;
      sim::Event e;
      e.type = t;
      e.node = id;
      Run(std::move(e));
    }
  }
}

void SimDriver::Settle(int rounds) {
  for (int i = 0; i < rounds; ++i) {
    bool queued = false;
    for (uint64_t id : world_.ids()) {
      if (world_.alive(id) && !world_.stalled(id) &&
          world_.append_queue(id) + world_.apply_queue(id) > 0) {
        queued = true;
      }
    }
    if (world_.in_flight().empty() && !queued) return;
    DrainDisks();
    DeliverAll();
  }
}

void SimDriver::Finish() {
  world_.Finish();
  Check();
  if (Verbosity() > 0) {
    Print(absl::StrCat("end: ", events_.size(), " events, ",
                       world_.history().size(), " client operations, leader ",
                       world_.leader(), ", t=", now_));
  }
}

void SimDriver::Check() {
  if (!world_.failed()) return;
  const sim::ClusterOptions& o = world_.options();
  std::fprintf(stderr,
               "VIOLATION: %s\noptions: %s seed=%llu election=%d "
               "heartbeat=%d\nevents (%zu):\n",
               world_.failure().c_str(), o.Describe().c_str(),
               static_cast<unsigned long long>(o.seed), o.election_tick,
               o.heartbeat_tick, events_.size());
  for (const sim::Event& e : events_) {
    std::fprintf(stderr, "%s\n", sim::FormatEvent(e).c_str());
  }
  std::abort();
}

}  // namespace craft::fuzz

// libFuzzer's default scheduler (entropic) keeps per-feature statistics that
// cost more than the run itself for inputs as slow and as rich in features
// as a simulation: measured on raft_step_fuzzer, about 40 executions per
// second with it and 150 without. Unless the command line says otherwise,
// the simulator's fuzzers run without it. (libFuzzer calls this before it
// parses its flags; the standalone driver never calls it.)
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (int i = 1; i < *argc; ++i) {
    if (std::strncmp((*argv)[i], "-entropic=", 10) == 0) return 0;
  }
  static std::vector<char*> args;
  static char no_entropic[] = "-entropic=0";
  args.assign(*argv, *argv + *argc);
  args.push_back(no_entropic);
  args.push_back(nullptr);
  *argc = static_cast<int>(args.size()) - 1;
  *argv = args.data();
  return 0;
}
