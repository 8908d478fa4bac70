// craft-sim: runs the deterministic cluster simulator.
//
//   craft-sim [--seeds N] [--from S] [--ticks T]    N seeds from S (1, 1, 3000)
//             [--stop-on-failure]                   stop at the first failure
//   craft-sim --seed S [--trace] [--shrink]         one seed
//   craft-sim --replay FILE [--trace] [--shrink]    a recorded event list
//
// Every failure prints its seed and the command that replays it; --trace
// prints the events as they execute; --shrink minimises a failing run's
// events and writes them to craft-sim-<seed>.events for --replay. Exits 1
// if any run failed, 2 on a usage error.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sim/generator.h"
#include "sim/sim.h"

namespace {

using craft::sim::RunResult;

int Usage(const std::string& why) {
  std::cerr << "craft-sim: " << why
            << "\nusage: craft-sim [--seeds N] [--from S] [--seed S] "
               "[--ticks T] [--trace] [--shrink] [--stop-on-failure] "
               "[--replay FILE]\n";
  return 2;
}

void PrintTrace(const std::string& line) { std::cout << line << "\n"; }

void ReportFailure(uint64_t seed, uint64_t ticks, const RunResult& r,
                   bool shrink, bool from_file) {
  std::cout << "FAIL seed=" << seed << " (" << r.options.Describe()
            << "): " << r.failure << "\n";
  if (!from_file) {
    std::cout << "  replay: craft-sim --seed " << seed << " --ticks " << ticks
              << " --trace\n";
  }
  if (!shrink) return;
  std::vector<craft::sim::Event> small =
      craft::sim::Shrink(r.options, r.events, 20000);
  const std::string path = absl::StrCat("craft-sim-", seed, ".events");
  std::ofstream(path) << craft::sim::FormatEventFile(seed, small);
  RunResult again = craft::sim::Replay(r.options, small);
  std::cout << "  shrunk from " << r.events.size() << " to " << small.size()
            << " events: " << again.failure << "\n  replay: craft-sim --replay "
            << path << " --trace\n";
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seeds = 1;
  uint64_t from = 1;
  uint64_t ticks = 3000;
  bool trace = false;
  bool shrink = false;
  bool stop_on_failure = false;
  std::string replay;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto number = [&](uint64_t* out) {
      return i + 1 < argc && absl::SimpleAtoi(argv[++i], out);
    };
    if (arg == "--seeds") {
      if (!number(&seeds)) return Usage("--seeds needs a number");
    } else if (arg == "--from") {
      if (!number(&from)) return Usage("--from needs a number");
    } else if (arg == "--seed") {
      if (!number(&from)) return Usage("--seed needs a number");
      seeds = 1;
    } else if (arg == "--ticks") {
      if (!number(&ticks)) return Usage("--ticks needs a number");
    } else if (arg == "--trace") {
      trace = true;
    } else if (arg == "--shrink") {
      shrink = true;
    } else if (arg == "--stop-on-failure") {
      stop_on_failure = true;
    } else if (arg == "--replay") {
      if (i + 1 >= argc) return Usage("--replay needs a file");
      replay = argv[++i];
    } else {
      return Usage(absl::StrCat("unknown argument ", arg));
    }
  }

  if (!replay.empty()) {
    std::ifstream in(replay);
    if (!in) return Usage(absl::StrCat("cannot read ", replay));
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<craft::sim::EventFile> f =
        craft::sim::ParseEventFile(text.str());
    if (!f.ok()) return Usage(std::string(f.status().message()));
    RunResult r = craft::sim::Replay(
        craft::sim::ClusterOptionsForSeed(f->seed), f->events,
        trace ? PrintTrace : craft::sim::World::Trace());
    if (r.ok()) {
      std::cout << "ok: " << f->events.size() << " events\n";
      return 0;
    }
    ReportFailure(f->seed, ticks, r, shrink, /*from_file=*/true);
    return 1;
  }

  const auto start = std::chrono::steady_clock::now();
  uint64_t failed = 0;
  uint64_t events = 0;
  uint64_t node_ticks = 0;
  uint64_t ops = 0;
  uint64_t ran = 0;
  for (uint64_t seed = from; seed < from + seeds; ++seed) {
    ++ran;
    RunResult r = craft::sim::RunSeed(
        seed, ticks, trace ? PrintTrace : craft::sim::World::Trace());
    events += r.events.size();
    node_ticks += r.ticks;
    ops += r.operations;
    if (!r.ok()) {
      ++failed;
      ReportFailure(seed, ticks, r, shrink, /*from_file=*/false);
      if (stop_on_failure) break;
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf(
      "%llu seeds x %llu ticks (seeds %llu..%llu): %llu events, %llu node "
      "ticks, %llu client operations, %.1f s: %llu failed\n",
      static_cast<unsigned long long>(ran),
      static_cast<unsigned long long>(ticks),
      static_cast<unsigned long long>(from),
      static_cast<unsigned long long>(from + ran - 1),
      static_cast<unsigned long long>(events),
      static_cast<unsigned long long>(node_ticks),
      static_cast<unsigned long long>(ops), secs,
      static_cast<unsigned long long>(failed));
  return failed == 0 ? 0 : 1;
}
