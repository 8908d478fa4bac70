// The key-value example under chaos: client threads write and read through
// random replicas while another thread crashes and restarts replicas, and
// the clients' history is judged by the linearizability checker that the
// cluster simulator uses (tests/lincheck).
//
// A write is known to have taken effect once its replica's state machine
// shows its (unique) value; one not seen within its timeout is recorded as
// unknown: it may take effect later, or never. A read is a linearizable
// (ReadIndex) read; one that fails is dropped.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "craft/craft.h"
#include "gtest/gtest.h"
#include "lincheck/lincheck.h"
#include "replica.h"

namespace kvstore {
namespace {

using craft::lincheck::Operation;
using craft::lincheck::OpKind;
using craft::lincheck::OpResult;

class Clock {
 public:
  double Now() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start_)
        .count();
  }

 private:
  const std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
};

TEST(KvStoreChaosTest, HistoryUnderCrashesIsLinearizable) {
  std::unique_ptr<craft::Logger> logger =
      craft::NewSpdlogLogger("chaos", craft::LogLevel::kError);
  Network net;
  std::vector<std::unique_ptr<Replica>> replicas;
  const std::vector<uint64_t> ids = {1, 2, 3};
  for (uint64_t id : ids) {
    replicas.push_back(std::make_unique<Replica>(id, ids, &net, logger.get()));
    net.Add(replicas.back().get());
  }
  for (auto& r : replicas) ASSERT_TRUE(r->Start().ok());

  const Clock clock;
  const double duration = 4.0;
  std::mutex history_mu;
  std::vector<Operation> history;
  std::atomic<int> writes_seen{0};
  std::atomic<int> reads_done{0};
  // (A replica may be crashed and restarted under a client's call: it then
  // refuses or times out, as a server that went down would.)

  auto client = [&](uint64_t c) {
    std::mt19937_64 rng(c);
    int seq = 0;
    while (clock.Now() < duration) {
      Operation op;
      op.client = c;
      op.key = absl::StrCat("k", rng() % 3);
      Replica* r = replicas[rng() % replicas.size()].get();
      op.call = clock.Now();
      if (rng() % 2 == 0) {
        op.kind = OpKind::kPut;
        op.value = absl::StrCat("v", c, "-", ++seq);
        // A refused proposal never reached a node and has no effect; an
        // accepted one may still be dropped on its way to the leader.
        if (!r->Put(op.key, op.value).ok()) continue;
        op.result = OpResult::kUnknown;
        const absl::Time deadline = absl::Now() + absl::Milliseconds(500);
        while (absl::Now() < deadline) {
          if (r->store().Get(op.key) == op.value) {
            op.result = OpResult::kOk;
            op.ret = clock.Now();
            ++writes_seen;
            break;
          }
          absl::SleepFor(absl::Milliseconds(1));
        }
      } else {
        op.kind = OpKind::kGet;
        absl::StatusOr<std::optional<std::string>> got =
            r->LinearizableGet(op.key, absl::Seconds(1));
        if (!got.ok()) continue;  // an ambiguous read says nothing
        op.ret = clock.Now();
        op.result = got->has_value() ? OpResult::kOk : OpResult::kNotFound;
        op.value = got->value_or("");
        ++reads_done;
      }
      std::lock_guard<std::mutex> lock(history_mu);
      history.push_back(std::move(op));
    }
  };

  std::vector<std::thread> clients;
  for (uint64_t c = 1; c <= 4; ++c) clients.emplace_back(client, c);
  std::mt19937_64 rng(42);
  int crashes = 0;
  while (clock.Now() < duration) {
    absl::SleepFor(absl::Milliseconds(250));
    Replica* victim = replicas[rng() % replicas.size()].get();
    victim->Crash();
    ++crashes;
    absl::SleepFor(absl::Milliseconds(250));
    ASSERT_TRUE(victim->Start().ok());
  }
  for (std::thread& t : clients) t.join();
  for (auto& r : replicas) r->Crash();

  std::printf("%zu operations (%d writes seen applied, %d reads), %d crashes\n",
              history.size(), writes_seen.load(), reads_done.load(), crashes);
  // Enough happened for the verdict to mean something.
  EXPECT_GE(crashes, 5);
  EXPECT_GE(writes_seen.load(), 20);
  EXPECT_GE(reads_done.load(), 20);
  const craft::lincheck::Verdict v = craft::lincheck::Check(history);
  std::string ops;
  for (const Operation& op : v.counterexample) {
    absl::StrAppend(&ops, "\n  ", craft::lincheck::FormatOperation(op));
  }
  EXPECT_TRUE(v.linearizable) << "not linearizable:" << ops;
}

}  // namespace
}  // namespace kvstore
