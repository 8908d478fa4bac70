// craft_kvstore: a replicated key-value store on craft, in one process.
//
// Three replicas, each with its own application loop and clock threads,
// exchange messages over an in-process network. The demo writes through
// the leader, reads linearizably from a follower, crashes the leader,
// keeps writing through the new one, restarts the old leader (it recovers
// from its storage and catches up, by snapshot if it fell far enough
// behind), and checks that every replica holds the same data.
//
//   craft_kvstore [--quiet]     exit status 0 when every check passed

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "craft/craft.h"
#include "replica.h"

namespace {

bool quiet = false;

void Say(const std::string& s) {
  if (!quiet) std::printf("%s\n", s.c_str());
}

// Polls `cond` until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& cond, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!cond()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

int Fail(const std::string& why) {
  std::fprintf(stderr, "craft_kvstore: FAILED: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quiet") == 0) quiet = true;
  }
  std::unique_ptr<craft::Logger> logger =
      craft::NewSpdlogLogger("kvstore", craft::LogLevel::kWarning);
  kvstore::Network net;
  std::vector<std::unique_ptr<kvstore::Replica>> replicas;
  const std::vector<uint64_t> ids = {1, 2, 3};
  for (uint64_t id : ids) {
    replicas.push_back(
        std::make_unique<kvstore::Replica>(id, ids, &net, logger.get()));
    net.Add(replicas.back().get());
  }
  for (auto& r : replicas) {
    if (absl::Status s = r->Start(); !s.ok()) return Fail(s.ToString());
  }

  auto leader = [&]() -> kvstore::Replica* {
    for (auto& r : replicas) {
      if (r->IsLeader()) return r.get();
    }
    return nullptr;
  };
  if (!WaitFor([&] { return leader() != nullptr; }, absl::Seconds(30))) {
    return Fail("no leader elected");
  }
  kvstore::Replica* first = leader();
  Say(absl::StrCat("replica ", first->id(), " leads"));

  // Writes through the leader; a write dropped during an election is
  // retried, as a client would.
  auto write = [&](int from, int to) {
    for (int k = from; k < to; ++k) {
      const std::string key = absl::StrCat("key", k);
      const std::string value = absl::StrCat("value", k);
      WaitFor(
          [&] {
            kvstore::Replica* l = leader();
            if (l == nullptr || !l->Put(key, value).ok()) return false;
            return WaitFor([&] { return l->store().Get(key) == value; },
                           absl::Seconds(2));
          },
          absl::Seconds(30));
    }
  };
  auto all_up_have = [&](size_t n) {
    return WaitFor(
        [&] {
          for (auto& r : replicas) {
            if (r->up() && r->store().size() < n) return false;
          }
          return true;
        },
        absl::Seconds(30));
  };

  write(0, 100);
  if (!all_up_have(100)) return Fail("writes did not reach every replica");
  Say("100 keys replicated to all three replicas");

  kvstore::Replica* follower = replicas[first->id() == 1 ? 1 : 0].get();
  absl::StatusOr<std::optional<std::string>> read =
      follower->LinearizableGet("key42", absl::Seconds(10));
  if (!read.ok() || *read != std::optional<std::string>("value42")) {
    return Fail("linearizable read from a follower");
  }
  Say(absl::StrCat("replica ", follower->id(),
                   " (a follower) read key42 = value42 linearizably"));

  first->Crash();
  Say(absl::StrCat("replica ", first->id(), " (the leader) crashed"));
  if (!WaitFor([&] { return leader() != nullptr; }, absl::Seconds(30))) {
    return Fail("no new leader after the crash");
  }
  Say(absl::StrCat("replica ", leader()->id(), " took over"));
  write(100, 300);
  if (!all_up_have(300)) return Fail("writes after failover");
  Say("200 more keys written by the surviving majority");

  const int snapshots_before = first->snapshots_installed();
  if (absl::Status s = first->Start(); !s.ok()) return Fail(s.ToString());
  Say(absl::StrCat("replica ", first->id(), " restarted from its storage"));
  if (!all_up_have(300)) return Fail("restarted replica did not catch up");
  Say(absl::StrCat("replica ", first->id(), " caught up ",
                   first->snapshots_installed() > snapshots_before
                       ? "by installing a snapshot (the leader's log was "
                         "compacted past it)"
                       : "from the leader's log"));
  if (!WaitFor(
          [&] {
            return replicas[0]->store() == replicas[1]->store() &&
                   replicas[1]->store() == replicas[2]->store();
          },
          absl::Seconds(30))) {
    return Fail("replicas diverged");
  }
  Say("all replicas hold the same 300 keys");
  for (auto& r : replicas) r->Crash();
  std::printf("craft_kvstore: all checks passed\n");
  return 0;
}
