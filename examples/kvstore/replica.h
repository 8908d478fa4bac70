// Replica runs one member of the replicated key-value store: a craft::Node,
// its durable log (a MemoryStorage standing in for disk), the KvStore state
// machine, and the threads of the application loop and the clock.

#ifndef CRAFT_EXAMPLES_KVSTORE_REPLICA_H_
#define CRAFT_EXAMPLES_KVSTORE_REPLICA_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "craft/craft.h"
#include "kv_store.h"

namespace kvstore {

class Replica;

// Network delivers messages between the replicas of one process. A replica
// that is down loses what is sent to it, as a crashed server would.
class Network {
 public:
  void Add(Replica* r);
  void Send(std::vector<craft::Message> msgs);

 private:
  std::vector<Replica*> replicas_;  // index id-1; fixed once running
};

class Replica {
 public:
  Replica(uint64_t id, std::vector<uint64_t> peers, Network* net,
          craft::Logger* logger);
  ~Replica();

  // Start runs the replica: the first time it bootstraps the cluster's
  // configuration, afterwards it recovers from its storage and state
  // machine (a restart after Crash).
  absl::Status Start();
  // Crash stops the replica's threads; anything not yet persisted is lost.
  void Crash();
  bool up() const { return up_; }

  uint64_t id() const { return id_; }
  bool IsLeader() const;
  uint64_t Leader() const;

  // Put proposes key=value through this replica (forwarded to the leader).
  absl::Status Put(absl::string_view key, absl::string_view value);
  // LinearizableGet reads `key` after confirming with a quorum that this
  // replica's state machine has caught up with every write acknowledged
  // before the call (ReadIndex).
  absl::StatusOr<std::optional<std::string>> LinearizableGet(
      absl::string_view key, absl::Duration timeout);

  const KvStore& store() const { return store_; }
  // How many snapshots from the leader this replica has installed.
  int snapshots_installed() const { return snapshots_installed_; }
  void Deliver(craft::Message m);

 private:
  void Loop();
  void Ticker();
  absl::Status HandleReady(craft::Ready& rd);

  const uint64_t id_;
  const std::vector<uint64_t> peers_;
  Network* const net_;
  craft::Logger* const logger_;
  craft::MemoryStorage storage_;  // survives crashes: it is the "disk"
  KvStore store_;                 // survives crashes too
  // The configuration as of the last applied change: snapshots carry it.
  craft::raftpb::ConfState conf_state_;
  bool bootstrapped_ = false;
  std::atomic<int> snapshots_installed_{0};

  // The running node. Other replicas' threads deliver to it while it may be
  // replaced by a restart, so it is shared: a stale copy just reports that
  // it was stopped.
  std::shared_ptr<craft::Node> node() const;
  mutable std::mutex node_mu_;
  std::shared_ptr<craft::Node> node_;  // guarded by node_mu_
  std::atomic<bool> up_{false};
  std::thread loop_;
  std::thread ticker_;

  std::mutex reads_mu_;
  std::condition_variable reads_cv_;
  std::map<std::string, uint64_t> read_index_;  // request ctx -> read index
  uint64_t next_read_ = 0;
};

}  // namespace kvstore

#endif  // CRAFT_EXAMPLES_KVSTORE_REPLICA_H_
