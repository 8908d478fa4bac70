#include "sim/sim.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sim/generator.h"

namespace craft::sim {
namespace {

void Note(RunResult& r, const World& w, const Event& e) {
  if (e.type == EventType::kTick && w.alive(e.node)) ++r.ticks;
}

}  // namespace

RunResult RunSeed(uint64_t seed, uint64_t ticks, const World::Trace& trace) {
  RunResult r;
  r.options = ClusterOptionsForSeed(seed);
  if (trace) trace(absl::StrCat("# seed ", seed, ": ", r.options.Describe()));
  World w(r.options, trace);
  Generator g(seed, r.options, ticks);
  while (!w.failed()) {
    std::optional<Event> e = g.Next(w);
    if (!e) break;
    if (trace) trace(FormatEvent(*e));
    w.Execute(*e);
    Note(r, w, *e);
    r.events.push_back(*std::move(e));
  }
  w.Finish();
  r.failure = w.failure();
  r.operations = w.history().size();
  return r;
}

RunResult Replay(const ClusterOptions& options,
                 const std::vector<Event>& events, const World::Trace& trace) {
  RunResult r;
  r.options = options;
  World w(options, trace);
  for (const Event& e : events) {
    if (w.failed()) break;
    if (trace) trace(FormatEvent(e));
    w.Execute(e);
    Note(r, w, e);
  }
  w.Finish();
  r.events = events;
  r.failure = w.failure();
  r.operations = w.history().size();
  return r;
}

std::vector<Event> Shrink(const ClusterOptions& options,
                          std::vector<Event> events, int max_replays) {
  int replays = 0;
  auto fails = [&](const std::vector<Event>& candidate) {
    ++replays;
    return !Replay(options, candidate).ok();
  };
  // A removal is kept whenever the rest still fails (any violation: the
  // point is a short reproduction, and shorter lists fail differently at
  // times). First whole kinds of events (the clients, the hostile input,
  // the configuration changes...), then classic delta debugging over
  // contiguous chunks, coarse to fine, repeated while it gains.
  for (int t = static_cast<int>(EventType::kStable); t >= 0; --t) {
    if (replays >= max_replays) break;
    const EventType type = static_cast<EventType>(t);
    std::vector<Event> candidate;
    for (const Event& e : events) {
      if (e.type != type) candidate.push_back(e);
    }
    if (candidate.size() < events.size() && fails(candidate)) {
      events = std::move(candidate);
    }
  }
  for (bool gained = true; gained && replays < max_replays;) {
    gained = false;
    for (size_t chunk = std::max<size_t>(events.size() / 2, 1);
         replays < max_replays; chunk /= 2) {
      for (size_t start = 0; start < events.size() && replays < max_replays;) {
        std::vector<Event> candidate;
        candidate.reserve(events.size());
        candidate.insert(candidate.end(), events.begin(),
                         events.begin() + static_cast<ptrdiff_t>(start));
        const size_t end = std::min(events.size(), start + chunk);
        candidate.insert(candidate.end(),
                         events.begin() + static_cast<ptrdiff_t>(end),
                         events.end());
        if (fails(candidate)) {
          events = std::move(candidate);
          gained = true;
        } else {
          start = end;
        }
      }
      if (chunk == 1) break;
    }
  }
  return events;
}

std::string FormatEventFile(uint64_t seed, const std::vector<Event>& events) {
  std::string out = absl::StrCat("# craft-sim events\nseed=", seed, "\n");
  for (const Event& e : events) absl::StrAppend(&out, FormatEvent(e), "\n");
  return out;
}

absl::StatusOr<EventFile> ParseEventFile(absl::string_view text) {
  EventFile f;
  size_t nl = 0;
  bool have_seed = false;
  while (!text.empty()) {
    nl = text.find('\n');
    absl::string_view line = text.substr(0, nl);
    if (absl::ConsumePrefix(&line, "seed=")) {
      if (!absl::SimpleAtoi(line, &f.seed)) {
        return absl::InvalidArgumentError("bad seed line");
      }
      have_seed = true;
      text = nl == absl::string_view::npos ? "" : text.substr(nl + 1);
      break;
    }
    if (!line.empty() && line[0] != '#') break;
    text = nl == absl::string_view::npos ? "" : text.substr(nl + 1);
  }
  if (!have_seed) {
    return absl::InvalidArgumentError("event file has no seed= line");
  }
  absl::StatusOr<std::vector<Event>> events = ParseEvents(text);
  if (!events.ok()) return events.status();
  f.events = *std::move(events);
  return f;
}

}  // namespace craft::sim
