// Cluster is a deterministic in-memory cluster of RawNodes for tests: each
// node has a MemoryStorage, the application loop (persist, send, apply,
// advance) runs synchronously, and messages travel through one queue that
// tests can inspect, filter and partition.

#ifndef CRAFT_TESTS_SUPPORT_CLUSTER_H_
#define CRAFT_TESTS_SUPPORT_CLUSTER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "craft/config.h"
#include "craft/memory_storage.h"
#include "craft/raw_node.h"
#include "craft/testing/capturing_logger.h"
#include "gtest/gtest.h"

namespace craft::testing {

class Cluster {
 public:
  struct Member {
    std::unique_ptr<MemoryStorage> storage;
    std::unique_ptr<RawNode> node;
    // Data of every applied normal entry, in order.
    std::vector<std::string> applied;
    // Read states received, in order.
    std::vector<ReadState> reads;
  };

  // Creates `n` voters 1..n restarting at term 1 from a snapshot at index 1
  // (term 1), with `tweak` applied to each node's Config. The first
  // election is for term 2; the leader's empty entry is (index 2, term 2).
  // `make_storage`, if given, supplies each node's storage (a MemoryStorage
  // subclass, say, that fails on demand).
  explicit Cluster(int n, std::function<void(Config&)> tweak = nullptr,
                   std::function<std::unique_ptr<MemoryStorage>(uint64_t id)>
                       make_storage = nullptr);

  RawNode& node(uint64_t id) { return *members_.at(id).node; }
  Member& member(uint64_t id) { return members_.at(id); }
  MemoryStorage& storage(uint64_t id) { return *members_.at(id).storage; }
  std::vector<uint64_t> ids() const;
  CapturingLogger& logger() { return logger_; }

  // Runs one application loop iteration on `id` if it has a Ready:
  // persists, queues messages, applies committed entries, advances.
  bool HandleReady(uint64_t id);

  // Delivers every queued message (subject to the partition and the drop
  // filter) and handles Readies until nothing is left to do.
  void Stabilize();

  // Ticks a node `n` times, handling nothing.
  void Tick(uint64_t id, int n = 1);
  // Ticks `id` once and stabilizes, `rounds` times: a leader's heartbeat
  // rounds.
  void TickAndStabilize(uint64_t id, int rounds = 1);
  // Ticks until `id` starts an election (campaigns), then stabilizes.
  void Elect(uint64_t id);

  // Messages to or from nodes in different groups are dropped.
  void Partition(std::vector<std::set<uint64_t>> groups);
  void Heal() { groups_.clear(); }
  // Drops messages for which `drop` returns true.
  void SetDropFilter(std::function<bool(const Message&)> drop) {
    drop_ = std::move(drop);
  }
  // Cuts `id` off from everyone.
  void Isolate(uint64_t id);

  std::deque<Message>& queue() { return queue_; }

  // SnapshotAndCompact has `id`'s application snapshot its state at its
  // commit index (the cluster's voters as configuration) and compacts its
  // log up to there. Returns the snapshot's index.
  uint64_t SnapshotAndCompact(uint64_t id);

  // The leader according to the majority of nodes, or 0.
  uint64_t Leader();
  StateType State(uint64_t id) {
    return node(id).GetBasicStatus().soft_state.raft_state;
  }
  uint64_t Term(uint64_t id) {
    return node(id).GetBasicStatus().hard_state.term();
  }
  uint64_t Commit(uint64_t id) {
    return node(id).GetBasicStatus().hard_state.commit();
  }

 private:
  bool Blocked(const Message& m) const;

  CapturingLogger logger_{LogLevel::kWarning};
  std::map<uint64_t, Member> members_;
  std::deque<Message> queue_;
  std::vector<std::set<uint64_t>> groups_;
  std::function<bool(const Message&)> drop_;
};

// TakeMessages hands out `n`'s Ready and returns its messages, advancing
// without persisting anything: for tests of a single step's output.
std::vector<Message> TakeMessages(RawNode& n);

}  // namespace craft::testing

#endif  // CRAFT_TESTS_SUPPORT_CLUSTER_H_
