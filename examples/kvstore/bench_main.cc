// craft-kvstore-bench: PUT throughput and latency of a three-member
// craft-kvstore cluster on loopback.
//
//   craft-kvstore-bench --binary PATH [--clients N] [--seconds S]
//       [--value-bytes B] [--port-base P]
//
// Starts three members (data in a temporary directory, removed at the end),
// waits for a leader, then N clients, each on its own keep-alive
// connection to the leader, PUT distinct keys back to back for S seconds
// (after one second of warm-up). Every PUT is acknowledged only once
// committed and applied, which costs at least one fdatasync on the leader
// and one on a follower. Prints one line:
//
//   kvstore clients=16 value_bytes=128 seconds=10 writes=... writes_per_s=...
//   p50_ms=... p99_ms=... errors=...
//
// Exits 1 if the cluster does not come up or any PUT fails.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "process_cluster.h"

namespace {

using Clock = std::chrono::steady_clock;

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "craft-kvstore-bench: %s\nusage: craft-kvstore-bench --binary "
               "PATH [--clients N] [--seconds S] [--value-bytes B] "
               "[--port-base P]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary;
  int clients = 16;
  double seconds = 10;
  int value_bytes = 128;
  int port_base = 9300;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage("missing value for " + flag);
    const std::string v = argv[++i];
    bool ok = true;
    if (flag == "--binary") {
      binary = v;
    } else if (flag == "--clients") {
      ok = absl::SimpleAtoi(v, &clients) && clients > 0 && clients <= 1000;
    } else if (flag == "--seconds") {
      ok = absl::SimpleAtod(v, &seconds) && seconds > 0;
    } else if (flag == "--value-bytes") {
      ok = absl::SimpleAtoi(v, &value_bytes) && value_bytes >= 0;
    } else if (flag == "--port-base") {
      ok =
          absl::SimpleAtoi(v, &port_base) && port_base > 0 && port_base < 65000;
    } else {
      return Usage("unknown flag " + flag);
    }
    if (!ok) return Usage("bad value for " + flag + ": " + v);
  }
  if (binary.empty()) return Usage("--binary is needed");
  signal(SIGPIPE, SIG_IGN);

  std::string dir =
      (std::filesystem::temp_directory_path() / "craft-kvstore-bench.XXXXXX")
          .string();
  if (mkdtemp(dir.data()) == nullptr) return Usage("mkdtemp failed");
  int code = 0;
  {
    kvstore::ProcessCluster cluster({.binary = binary,
                                     .dir = dir,
                                     .members = 3,
                                     .port_base = port_base,
                                     .snapshot_every = 10000});
    for (int id = 1; id <= 3; ++id) cluster.Start(id);
    const int leader = cluster.WaitLeader(30) ? cluster.Leader() : 0;
    if (leader == 0) {
      std::fprintf(stderr, "no leader within 30 s; logs in %s\n", dir.c_str());
      return 1;
    }

    const std::string value(static_cast<size_t>(value_bytes), 'v');
    const auto start = Clock::now() + std::chrono::seconds(1);
    const auto end = start + std::chrono::duration<double>(seconds);
    std::atomic<int> errors{0};
    std::vector<std::vector<double>> latencies(clients);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        httplib::Client http("127.0.0.1", cluster.ClientPort(leader));
        http.set_keep_alive(true);
        http.set_tcp_nodelay(true);
        http.set_read_timeout(10, 0);
        for (int n = 0;; ++n) {
          const auto t0 = Clock::now();
          if (t0 >= end) break;
          auto res = http.Put(absl::StrCat("/keys/c", c, "-", n), value,
                              "application/octet-stream");
          const auto t1 = Clock::now();
          if (!res || res->status != 204) {
            if (errors++ < 5) {
              std::fprintf(
                  stderr, "error at %.3f s client %d op %d: %s\n",
                  std::chrono::duration<double>(t1 - start).count(), c, n,
                  res ? absl::StrCat(res->status, " ", res->body).c_str()
                      : httplib::to_string(res.error()).c_str());
            }
            continue;
          }
          if (t0 >= start) {
            latencies[c].push_back(
                std::chrono::duration<double, std::milli>(t1 - t0).count());
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();

    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
      return all.empty() ? 0.0
                         : all[std::min(all.size() - 1,
                                        static_cast<size_t>(p * all.size()))];
    };
    std::printf(
        "kvstore clients=%d value_bytes=%d seconds=%.0f writes=%zu "
        "writes_per_s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
        clients, value_bytes, seconds, all.size(),
        static_cast<double>(all.size()) / seconds, pct(0.50), pct(0.99),
        errors.load());
    if (errors > 0 || all.empty()) code = 1;
  }
  std::filesystem::remove_all(dir);
  return code;
}
