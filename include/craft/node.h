// Node is a thread-safe RawNode for applications with their own threads:
// a network thread steps messages, a timer thread ticks, client threads
// propose, and one application loop collects Ready structs.
//
//   for (;;) {
//     std::optional<craft::Ready> rd = node->WaitReady();
//     if (!rd) break;                       // stopped
//     persist(rd->hard_state, rd->entries, rd->snapshot);
//     send(rd->messages);
//     apply(rd->committed_entries);         // ApplyConfChange for conf changes
//     node->Advance();
//   }
//
// Only one Ready is outstanding at a time: WaitReady does not hand out the
// next one until Advance (with asynchronous storage writes, where there is
// no Advance, each Ready is handed out as soon as there is one). All other
// methods may be called from any thread at any time; after Stop they return
// a Cancelled status and WaitReady returns nullopt.
//
// An application with an event loop (epoll, poll, libuv, asio...) instead
// watches ReadyFd() and takes the Ready with TryReady, never blocking:
//
//   epoll_event ev = {};
//   ev.events = EPOLLIN;
//   ev.data.ptr = node;
//   epoll_ctl(ep, EPOLL_CTL_ADD, node->ReadyFd(), &ev);
//   ...
//   // On EPOLLIN for ReadyFd():
//   std::optional<craft::Ready> rd = node->TryReady();
//   if (!rd) {
//     if (node->IsStopped()) { /* unregister the fd, shut down */ }
//     return;                               // spurious wakeup: nothing to do
//   }
//   persist(...); send(...); apply(...);
//   node->Advance();                        // readable again if work waits
//
// The fd is level-triggered, so level-triggered epoll (the default) never
// misses a Ready; with EPOLLET, call TryReady until it returns nullopt.

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

  // The calls that feed the RawNode return Cancelled after Stop, else the
  // RawNode's result (OK where the RawNode call returns nothing).
  absl::Status Tick();
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
  // TryReady is WaitReady without waiting: the Ready if one can be handed
  // out now, else nullopt (nothing pending, a Ready outstanding, or stopped).
  std::optional<Ready> TryReady();

  // ReadyFd is a Linux eventfd for poll/epoll, owned by the Node (do not
  // read, write or close it) and valid until the Node is destroyed. It is
  // readable (POLLIN) exactly when TryReady would hand out a Ready or the
  // node is stopped, and unreadable otherwise; so taking the Ready makes it
  // unreadable, until Advance (or, with asynchronous storage writes, the
  // next call) leaves more work pending. After Stop it stays readable, so
  // that a loop wakes up and sees IsStopped().
  int ReadyFd() const { return ready_fd_; }
  // Whether Stop was called.
  bool IsStopped() const;
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
  absl::Status ReportUnreachable(uint64_t id);
  absl::Status ReportSnapshot(uint64_t id, SnapshotStatus status);
  absl::Status TransferLeadership(uint64_t transferee);
  absl::Status ForgetLeader();
  absl::Status ReadIndex(std::string request_ctx);

  // Stop wakes every waiter and makes ReadyFd readable; later calls fail
  // with Cancelled. Idempotent.
  void Stop();

 private:
  // Takes ownership of `ready_fd`.
  Node(std::unique_ptr<RawNode> rn, bool async_storage_writes, int ready_fd);

  // Runs `fn` on the RawNode unless stopped, then wakes WaitReady and
  // updates ReadyFd: any call may have produced work.
  template <typename Fn>
  absl::Status Locked(Fn fn);
  // Requires mu_.
  bool CanHandOut() const;
  // Requires mu_ and CanHandOut(): hands out the next Ready.
  std::optional<Ready> HandOutLocked();
  // Requires mu_. Makes ready_fd_ readable iff CanHandOut().
  void SyncReadyFdLocked();

  // std::mutex rather than absl::Mutex, so that ThreadSanitizer understands
  // the waits even when abseil was built without it.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<RawNode> rn_;  // guarded by mu_
  const bool async_storage_writes_;
  // A Ready was handed out and not yet advanced (synchronous mode only).
  bool outstanding_ = false;  // guarded by mu_
  bool stopped_ = false;      // guarded by mu_
  const int ready_fd_;        // eventfd; closed by the destructor
  // ready_fd_'s counter is nonzero (it is readable).
  bool fd_signaled_ = false;  // guarded by mu_
};

}  // namespace craft

#endif  // CRAFT_NODE_H_
