// Member is one process of craft-kvstore: a craft::Node whose log lives in
// a craft::DiskStorage, a TCP Transport to the other members, and the
// StateMachine that committed entries are applied to. It answers the
// client API (http_api.h) with writes that return only once committed and
// applied here, and linearizable reads through ReadIndex.
//
// Threads: the Ready loop (persist, send, apply, Advance), the clock, the
// transport's I/O thread, and the callers (HTTP handlers) of the public
// methods, which may be concurrent.

#ifndef CRAFT_EXAMPLES_KVSTORE_MEMBER_H_
#define CRAFT_EXAMPLES_KVSTORE_MEMBER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "craft/craft.h"
#include "craft/wal/disk_storage.h"
#include "spdlog/spdlog.h"
#include "state_machine.h"
#include "transport.h"

namespace kvstore {

struct MemberOptions {
  uint64_t id = 0;
  // Every member's peer address (--cluster), this one's included.
  std::map<uint64_t, std::string> cluster;
  std::string data_dir;
  // A member added through the API, with no data yet: it does not
  // bootstrap, and learns the log (by snapshot) from the leader.
  bool join = false;
  uint64_t snapshot_every = 10000;
  absl::Duration tick = absl::Milliseconds(100);
  // How long a client request may wait for its commit or read index.
  absl::Duration request_timeout = absl::Seconds(5);
  std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default
};

struct MemberStatus {
  uint64_t id = 0;
  std::string role;  // leader, follower, candidate, pre-candidate, learner
  uint64_t leader = 0;
  uint64_t term = 0;
  uint64_t commit = 0;
  uint64_t applied = 0;
  std::map<uint64_t, std::string> members;
};

class Member {
 public:
  // Recovers (or bootstraps) the member from options.data_dir, starts
  // listening for peers and runs it.
  static absl::StatusOr<std::unique_ptr<Member>> Start(MemberOptions options);
  ~Member();

  // Stops every thread; idempotent.
  void Stop();
  // OK, or the storage failure that stopped the member (a failed fsync:
  // the process must exit, and its restart recovers what was durable).
  absl::Status failure() const;

  // The errors of the client calls: Unavailable when the request could not
  // be proposed (no known leader) or the member is stopping, and
  // DeadlineExceeded when it was proposed but not seen committed in time
  // (it may still commit).
  enum class WriteResult { kOk, kMismatch };
  absl::StatusOr<WriteResult> Put(std::string key, std::string value);
  // kMismatch if the key is absent or does not hold `expected`.
  absl::StatusOr<WriteResult> CompareAndSet(std::string key,
                                            std::string expected,
                                            std::string value);
  absl::StatusOr<WriteResult> Delete(std::string key);
  // Linearizable unless `serializable` (then: this member's applied state).
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key,
                                                 bool serializable);
  // Membership changes, returning once applied here. AddMember adds a
  // learner, which the leader promotes to voter once it has caught up, and
  // returns once it is a voter (DeadlineExceeded if that takes longer than
  // the request timeout: it stays a learner until it catches up).
  // InvalidArgument to add a member that exists, to remove the last voter,
  // or for a change the configuration refused; NotFound to remove a member
  // that does not exist.
  absl::Status AddMember(uint64_t id, std::string address);
  absl::Status RemoveMember(uint64_t id);

  MemberStatus GetStatus() const;
  uint64_t id() const { return options_.id; }

 private:
  explicit Member(MemberOptions options);

  absl::Status Init();
  void Loop();
  void Ticker();
  // On the leader: proposes to make voters of the learners that caught up.
  void PromoteCaughtUpLearners();
  // Clears running_ and wakes every waiter.
  void SetStopping();
  absl::Status HandleReady(craft::Ready& rd);
  absl::Status ApplyEntry(const craft::Entry& e);
  void MaybeSnapshot();
  // Points the transport at the members of the state machine.
  void SyncPeers();

  // Proposes `data` (or a conf change) and waits until the entry carrying
  // request `id` is applied; the outcome of its command.
  absl::StatusOr<Outcome> ProposeAndWait(
      uint64_t id, absl::FunctionRef<absl::Status()> propose);
  absl::StatusOr<WriteResult> Write(Command c);
  absl::Status ChangeMembership(craft::raftpb::ConfChangeType type, uint64_t id,
                                std::string address);
  uint64_t NextRequestId();
  absl::Status NoLeader() const;

  const MemberOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<craft::Logger> raft_logger_;
  std::unique_ptr<craft::DiskStorage> storage_;
  std::unique_ptr<craft::Node> node_;
  std::unique_ptr<Transport> transport_;
  StateMachine sm_;

  std::atomic<bool> running_{false};
  std::thread loop_;
  std::thread ticker_;
  std::atomic<uint64_t> next_request_{0};

  // Touched by the loop thread only, but for conf_state_'s copy in status.
  mutable std::mutex conf_mu_;
  craft::raftpb::ConfState conf_state_;  // guarded by conf_mu_
  uint64_t snapshot_index_ = 0;          // loop thread
  bool conf_changed_ = false;            // loop thread: since the snapshot
  std::map<uint64_t, absl::Time> last_promotion_;  // ticker thread

  // Waiters for applied requests and read indexes.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, std::optional<Outcome>> writes_;  // guarded by mu_
  // Read ctx -> its read index, once known. Guarded by mu_.
  std::map<std::string, std::optional<uint64_t>> reads_;
  absl::Status failure_;  // guarded by mu_
};

}  // namespace kvstore

#endif  // CRAFT_EXAMPLES_KVSTORE_MEMBER_H_
