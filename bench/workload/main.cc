// craft-workload runs the reference workloads (workload.h) and prints one
// line per cell:
//
//   craft-workload [--workload throughput|idle] [--voters V] [--batch B]
//                  [--variant propose|msgprop] [--n N] [--groups G]
//                  [--reps R]
//   craft-workload --matrix [--n N] [--groups G] [--reps R]
//
// --matrix runs every throughput cell (V in {1, 3} x B in {1, 16, 256} x
// both variants) and then the idle workload. Exits 1 when a workload's
// end-of-run check fails, 2 on a bad command line.
//
// The process keeps the heap it has grown (see KeepHeap), as a long-running
// server's allocator does and as Go's runtime does between the repetitions
// of the etcd-io/raft twin (bench/etcd): each repetition builds a fresh
// cluster, and without this glibc hands the last one's memory back to the
// kernel, so that the next pays a page fault per 4 KiB of log it writes.

#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "workload.h"

namespace {

using craft::workload::IdleOptions;
using craft::workload::ThroughputOptions;
using craft::workload::Variant;

int Usage(const char* why) {
  std::fprintf(stderr,
               "craft-workload: %s\n"
               "usage: craft-workload [--workload throughput|idle] "
               "[--voters V] [--batch B] [--variant propose|msgprop] [--n N] "
               "[--groups G] [--reps R] [--matrix]\n",
               why);
  return 2;
}

// Prints the result line, or the failure; false on failure.
template <typename Result>
bool Report(const char* name, const absl::StatusOr<Result>& r,
            const std::function<std::string(const Result&)>& format) {
  if (!r.ok()) {
    std::fprintf(stderr, "craft-workload: %s failed: %s\n", name,
                 std::string(r.status().message()).c_str());
    return false;
  }
  std::printf("%s\n", format(*r).c_str());
  std::fflush(stdout);
  return true;
}

bool RunOne(const ThroughputOptions& o) {
  return Report<craft::workload::ThroughputResult>(
      "throughput", craft::workload::RunThroughput(o),
      [&](const auto& r) { return craft::workload::FormatThroughput(o, r); });
}

bool RunOne(const IdleOptions& o) {
  return Report<craft::workload::IdleResult>(
      "idle", craft::workload::RunIdle(o),
      [&](const auto& r) { return craft::workload::FormatIdle(o, r); });
}

// Tells glibc's malloc never to return freed memory at the top of the heap
// to the kernel and to serve large blocks from the heap too (not from
// mmap, which unmaps them on free): freed memory is reused, not faulted in
// again. It changes no allocation count and no live-heap figure.
void KeepHeap() {
  constexpr int kLarge = 1 << 30;
  mallopt(M_TRIM_THRESHOLD, kLarge);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  KeepHeap();
  ThroughputOptions t;
  IdleOptions idle;
  std::string workload = "throughput";
  bool matrix = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--matrix") {
      matrix = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(("missing value for " + flag).c_str());
    const std::string value = argv[++i];
    uint64_t n = 0;
    const bool number = absl::SimpleAtoi(value, &n) && n > 0;
    if (flag == "--workload") {
      if (value != "throughput" && value != "idle") {
        return Usage("--workload is throughput or idle");
      }
      workload = value;
    } else if (flag == "--variant") {
      if (value == "propose") {
        t.variant = Variant::kPropose;
      } else if (value == "msgprop") {
        t.variant = Variant::kMsgProp;
      } else {
        return Usage("--variant is propose or msgprop");
      }
    } else if (!number) {
      return Usage((flag + " needs a positive number").c_str());
    } else if (flag == "--voters" && n <= 7) {
      t.voters = static_cast<int>(n);
    } else if (flag == "--batch" && n <= 1000000) {
      t.batch = static_cast<int>(n);
    } else if (flag == "--n") {
      t.n = n;
    } else if (flag == "--groups") {
      idle.groups = n;
    } else if (flag == "--reps" && n <= 1000) {
      t.reps = static_cast<int>(n);
    } else {
      return Usage(("unknown flag or value out of range: " + flag).c_str());
    }
  }
  if (!matrix) {
    return (workload == "idle" ? RunOne(idle) : RunOne(t)) ? 0 : 1;
  }
  bool ok = true;
  for (int voters : {1, 3}) {
    for (int batch : {1, 16, 256}) {
      for (Variant v : {Variant::kPropose, Variant::kMsgProp}) {
        ThroughputOptions cell = t;
        cell.voters = voters;
        cell.batch = batch;
        cell.variant = v;
        ok = RunOne(cell) && ok;
      }
    }
  }
  ok = RunOne(idle) && ok;
  return ok ? 0 : 1;
}
