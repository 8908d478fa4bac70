// Node is a thread-safe RawNode for applications with their own threads:
// a network thread steps messages, a timer thread ticks, client threads
// propose, and one application loop collects Ready structs.
//
//   for (;;) {
//     std::optional<craft::Ready> rd = node->WaitReady();
//     if (!rd) break;                       // stopped
//     persist(rd->hard_state, rd->entries, rd->snapshot);
//     send(rd->messages);
//     apply(rd->committed_entries);          // ApplyConfChange for conf
//     changes node->Advance();
//   }
//
// Only one Ready is outstanding at a time: WaitReady does not hand out the
// next one until Advance (with asynchronous storage writes, where there is
// no Advance, each Ready is handed out as soon as there is one). All other
// methods may be called from any thread at any time; after Stop they return
// a Cancelled status and WaitReady returns nullopt.

#ifndef CRAFT_NODE_H_
#define CRAFT_NODE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "craft/config.h"
#include "craft/node_status.h"
#include "craft/payload.h"
#include "craft/raftpb.h"
#include "craft/raw_node.h"
#include "craft/ready.h"

namespace craft {

class Node {
 public:
  // Start creates a node; with `peers`, it bootstraps an empty storage with
  // them as the initial voters, without it restarts from the storage.
  static absl::StatusOr<std::unique_ptr<Node>> Start(
      const Config& config, absl::Span<const Peer> peers = {});

  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  void Tick();
  absl::Status Campaign();
  absl::Status Propose(absl::string_view data);
  absl::Status Propose(Payload data);
  absl::Status Propose(absl::Span<const Payload> data);
  absl::Status ProposeConfChange(const raftpb::ConfChange& cc);
  absl::Status ProposeConfChange(const raftpb::ConfChangeV2& cc);
  absl::Status Step(Message m);
  // For messages decoded from the network (see RawNode::StepFromPeer).
  absl::Status StepFromPeer(Message m);

  // WaitReady blocks until a Ready can be handed out and returns it;
  // nullopt when the node is stopped or `timeout` passes first.
  std::optional<Ready> WaitReady(
      absl::Duration timeout = absl::InfiniteDuration());
  // Advance acknowledges the outstanding Ready (see RawNode::Advance; handing
  // the Ready back lets the node reuse its buffers).
  void Advance();
  void Advance(Ready&& rd);

  absl::StatusOr<raftpb::ConfState> ApplyConfChange(
      const raftpb::ConfChange& cc);
  absl::StatusOr<raftpb::ConfState> ApplyConfChange(
      const raftpb::ConfChangeV2& cc);

  NodeStatus GetStatus() const;
  BasicStatus GetBasicStatus() const;
  void ReportUnreachable(uint64_t id);
  void ReportSnapshot(uint64_t id, SnapshotStatus status);
  void TransferLeadership(uint64_t transferee);
  absl::Status ForgetLeader();
  void ReadIndex(std::string request_ctx);

  // Stop wakes every waiter; later calls fail with Cancelled. Idempotent.
  void Stop();

 private:
  explicit Node(std::unique_ptr<RawNode> rn, bool async_storage_writes);

  // Runs `fn` on the RawNode unless stopped, then wakes WaitReady: any
  // call may have produced work.
  template <typename Fn>
  absl::Status Locked(Fn fn);
  // Requires mu_.
  bool CanHandOut() const;

  // std::mutex rather than absl::Mutex, so that ThreadSanitizer understands
  // the waits even when abseil was built without it.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<RawNode> rn_;  // guarded by mu_
  const bool async_storage_writes_;
  // A Ready was handed out and not yet advanced (synchronous mode only).
  bool outstanding_ = false;  // guarded by mu_
  bool stopped_ = false;      // guarded by mu_
};

}  // namespace craft

#endif  // CRAFT_NODE_H_
