// craft-kvstore-chaos: a chaos check of craft-kvstore processes.
//
//   craft-kvstore-chaos --binary PATH [--seconds S] [--clients N]
//       [--keys K] [--seed X] [--port-base P] [--history FILE]
//
// Starts three craft-kvstore members (their data in a temporary directory),
// runs N clients doing random PUT / compare-and-set / GET / DELETE on K keys
// against random members while a nemesis SIGKILLs and restarts members,
// pauses them (SIGSTOP / SIGCONT) and kills the leader. Every operation is
// recorded with its invocation and completion time and its result, in
// JSON lines (--history, default chaos-history-<seed>.jsonl in the
// temporary directory, kept on failure). At the end the nemesis heals
// everything, every key is read once more through a linearizable GET, and
// the history is judged by craft's linearizability checker. Operations
// whose outcome a client cannot know (a timeout, a 503 once the request may
// have reached the leader, a broken connection) are recorded as unknown:
// possibly applied, as Jepsen treats them.
//
// Prints the operations done, the faults injected and the verdict; exits 1
// on a non-linearizable history (printing a minimal counterexample), if the
// cluster did not recover, or if a member exited without being killed (a
// crash, a sanitizer report); 2 on a bad command line.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "lincheck/lincheck.h"
#include "process_cluster.h"

namespace {

using craft::lincheck::Operation;
using craft::lincheck::OpKind;
using craft::lincheck::OpResult;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string binary;
  double seconds = 30;
  int clients = 4;
  int keys = 5;
  uint64_t seed = 1;
  int port_base = 9100;
  std::string history;
};

class History {
 public:
  explicit History(Clock::time_point t0) : t0_(t0) {}
  double Now() const {
    return std::chrono::duration<double>(Clock::now() - t0_).count();
  }
  void Add(Operation op) {
    std::lock_guard<std::mutex> lock(mu_);
    ops_.push_back(std::move(op));
  }
  std::vector<Operation> ops() {
    std::lock_guard<std::mutex> lock(mu_);
    return ops_;
  }

 private:
  const Clock::time_point t0_;
  std::mutex mu_;
  std::vector<Operation> ops_;
};

// One client operation against member `id`, recorded.
void Run(kvstore::ProcessCluster& cluster, History& history, int id,
         Operation op) {
  httplib::Client c("127.0.0.1", cluster.ClientPort(id));
  c.set_connection_timeout(1, 0);
  c.set_read_timeout(7, 0);  // above the member's 5 s request timeout
  c.set_write_timeout(2, 0);
  const std::string path = "/keys/" + op.key;
  op.call = history.Now();
  httplib::Result res = [&] {
    switch (op.kind) {
      case OpKind::kPut:
        return c.Put(path.c_str(), op.value, "application/octet-stream");
      case OpKind::kCas:
        return c.Put((path + "?if=" + op.expected).c_str(), op.value,
                     "application/octet-stream");
      case OpKind::kDelete:
        return c.Delete(path.c_str());
      case OpKind::kGet:
        break;
    }
    return c.Get(path.c_str());
  }();
  op.ret = history.Now();
  const int status = res ? res->status : 0;
  op.result = OpResult::kUnknown;
  if (op.kind == OpKind::kGet) {
    if (status == 200) {
      op.result = OpResult::kOk;
      op.value = res->body;
    } else if (status == 404) {
      op.result = OpResult::kNotFound;
    }
  } else if (status == 204) {
    op.result = OpResult::kOk;
  } else if (status == 412 && op.kind == OpKind::kCas) {
    op.result = OpResult::kFailed;
  }
  history.Add(std::move(op));
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "craft-kvstore-chaos: %s\nusage: craft-kvstore-chaos --binary "
               "PATH [--seconds S] [--clients N] [--keys K] [--seed X] "
               "[--port-base P] [--history FILE]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage("missing value for " + flag);
    const std::string v = argv[++i];
    bool ok = true;
    if (flag == "--binary") {
      o.binary = v;
    } else if (flag == "--seconds") {
      ok = absl::SimpleAtod(v, &o.seconds) && o.seconds > 0;
    } else if (flag == "--clients") {
      ok = absl::SimpleAtoi(v, &o.clients) && o.clients > 0;
    } else if (flag == "--keys") {
      ok = absl::SimpleAtoi(v, &o.keys) && o.keys > 0;
    } else if (flag == "--seed") {
      ok = absl::SimpleAtoi(v, &o.seed);
    } else if (flag == "--port-base") {
      ok = absl::SimpleAtoi(v, &o.port_base) && o.port_base > 0 &&
           o.port_base < 65000;
    } else if (flag == "--history") {
      o.history = v;
    } else {
      return Usage("unknown flag " + flag);
    }
    if (!ok) return Usage("bad value for " + flag + ": " + v);
  }
  if (o.binary.empty()) return Usage("--binary is needed");
  signal(SIGPIPE, SIG_IGN);

  std::string tmpl =
      std::string(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR")
                                                   : "/tmp") +
      "/craft-chaos.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return Usage("mkdtemp failed");
  const std::string dir = tmpl;
  if (o.history.empty()) {
    o.history = absl::StrCat(dir, "/chaos-history-", o.seed, ".jsonl");
  }

  kvstore::ProcessCluster cluster({.binary = o.binary,
                                   .dir = dir,
                                   .members = 3,
                                   .port_base = o.port_base,
                                   .snapshot_every = 50});
  for (int id = 1; id <= 3; ++id) cluster.Start(id);
  if (!cluster.WaitLeader(30)) {
    std::fprintf(stderr, "no leader within 30 s; logs in %s\n", dir.c_str());
    return 1;
  }
  std::printf("chaos: 3 members, %d clients, %d keys, %.0f s, seed %llu\n",
              o.clients, o.keys, o.seconds,
              static_cast<unsigned long long>(o.seed));
  std::fflush(stdout);

  History history(Clock::now());
  const auto end = Clock::now() + std::chrono::duration<double>(o.seconds);
  std::atomic<int> kills{0}, pauses{0}, leader_kills{0};

  std::vector<std::thread> clients;
  for (int c = 1; c <= o.clients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937_64 rng(o.seed * 1000 + c);
      for (int n = 0; Clock::now() < end; ++n) {
        Operation op;
        op.client = c;
        op.key = absl::StrCat("k", rng() % o.keys);
        const int pick = static_cast<int>(rng() % 10);
        op.kind = pick < 3   ? OpKind::kPut
                  : pick < 5 ? OpKind::kCas
                  : pick < 6 ? OpKind::kDelete
                             : OpKind::kGet;
        if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) {
          op.value = absl::StrCat("c", c, "-", n);
        }
        if (op.kind == OpKind::kCas) {
          // A recent value of some client, so that some succeed.
          op.expected = absl::StrCat("c", 1 + rng() % o.clients, "-",
                                     n > 2 ? n - 1 - rng() % 2 : 0);
        }
        Run(cluster, history, 1 + static_cast<int>(rng() % 3), std::move(op));
      }
    });
  }

  // The nemesis: one fault at a time, then healed, so that a majority is
  // usually up.
  std::mt19937_64 rng(o.seed);
  auto sleep_s = [](double s) {
    std::this_thread::sleep_for(std::chrono::duration<double>(s));
  };
  std::vector<std::string> crashes;
  auto note_crashes = [&] {
    for (std::string& c : cluster.Unexpected()) {
      std::printf("chaos: %s\n", c.c_str());
      crashes.push_back(std::move(c));
    }
  };
  while (Clock::now() < end) {
    sleep_s(1.0 + static_cast<double>(rng() % 1000) / 1000.0);
    note_crashes();
    if (Clock::now() >= end) break;
    const int kind = static_cast<int>(rng() % 3);
    int victim = 1 + static_cast<int>(rng() % 3);
    if (kind == 2) {
      victim = cluster.Leader();
      if (victim == 0) continue;
    }
    if (kind == 1) {
      cluster.Pause(victim, true);
      ++pauses;
      sleep_s(0.5 + static_cast<double>(rng() % 2000) / 1000.0);
      cluster.Pause(victim, false);
    } else {
      cluster.Kill(victim);
      ++(kind == 2 ? leader_kills : kills);
      sleep_s(0.3 + static_cast<double>(rng() % 2000) / 1000.0);
      cluster.Start(victim);
    }
  }
  for (std::thread& t : clients) t.join();

  // Healed: every member up; the last word on every key.
  for (int id = 1; id <= 3; ++id) {
    cluster.Pause(id, false);
    cluster.Start(id);
  }
  bool recovered = cluster.WaitLeader(30);
  int final_reads = 0;
  for (int k = 0; k < o.keys && recovered; ++k) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      Operation op;
      op.client = o.clients + 1;
      op.kind = OpKind::kGet;
      op.key = absl::StrCat("k", k);
      Run(cluster, history, 1 + attempt % 3, op);
      const Operation last = history.ops().back();
      if (last.result != OpResult::kUnknown) {
        ++final_reads;
        break;
      }
      sleep_s(0.5);
    }
  }
  recovered = recovered && final_reads == o.keys;
  note_crashes();

  const std::vector<Operation> ops = history.ops();
  {
    std::ofstream out(o.history);
    for (const Operation& op : ops) {
      out << craft::lincheck::FormatOperation(op) << "\n";
    }
  }
  int ok = 0, unknown = 0;
  for (const Operation& op : ops) {
    (op.result == OpResult::kUnknown ? unknown : ok) += 1;
  }
  const craft::lincheck::Verdict v = craft::lincheck::Check(ops);
  std::printf(
      "chaos: %zu operations (%d definite, %d unknown), faults: %d kills, "
      "%d leader kills, %d pauses; history %s\n",
      ops.size(), ok, unknown, kills.load(), leader_kills.load(), pauses.load(),
      o.history.c_str());
  if (!recovered) {
    std::printf(
        "chaos: FAILED: the cluster did not answer every final read "
        "after healing; logs in %s\n",
        dir.c_str());
    return 1;
  }
  if (!crashes.empty()) {
    std::printf(
        "chaos: FAILED: %zu member exits nobody asked for; logs in %s\n",
        crashes.size(), dir.c_str());
    return 1;
  }
  if (!v.linearizable) {
    std::printf("chaos: FAILED: not linearizable; a minimal counterexample:\n");
    for (const Operation& op : v.counterexample) {
      std::printf("  %s\n", craft::lincheck::FormatOperation(op).c_str());
    }
    std::printf("logs and history in %s\n", dir.c_str());
    return 1;
  }
  std::printf("chaos: linearizable\n");
  if (o.history.rfind(dir, 0) != 0)
    std::filesystem::remove_all(dir);
  else {
    // Keep the history (it is in the directory): drop the member data.
    for (int id = 1; id <= 3; ++id) {
      std::filesystem::remove_all(absl::StrCat(dir, "/m", id));
    }
  }
  return 0;
}
