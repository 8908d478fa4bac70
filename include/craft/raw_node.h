// RawNode is the single-threaded API to one Raft node.
//
// The application drives it from one loop:
//
//   - Tick() on every timer tick; Step() every message from a peer;
//     Propose() / ProposeConfChange() / ReadIndex() for client requests.
//   - When HasReady(), GetReady() hands out the work accumulated since the
//     last Ready. The application must, in order:
//       1. persist rd.hard_state, rd.entries and rd.snapshot (synced to disk
//          when rd.must_sync);
//       2. send rd.messages;
//       3. apply rd.snapshot and rd.committed_entries to its state machine,
//          calling ApplyConfChange() for configuration-change entries;
//     then call Advance() before the next GetReady().
//
// With Config::async_storage_writes the Ready / Advance contract changes:
// rd.messages also holds a MsgStorageAppend (to kLocalAppendThread) and a
// MsgStorageApply (to kLocalApplyThread). The application performs each in
// order on its own threads and, once done, steps the message's `responses`
// back into the node (responses to peers are sent instead). Advance is not
// called.
//
// RawNode is not thread-safe; Node wraps it for multi-threaded use.

#ifndef CRAFT_RAW_NODE_H_
#define CRAFT_RAW_NODE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "craft/config.h"
#include "craft/node_status.h"
#include "craft/payload.h"
#include "craft/raftpb.h"
#include "craft/ready.h"

namespace craft {

namespace testing {
class RawNodePeer;
}  // namespace testing

class Raft;

// A member of the initial configuration.
struct Peer {
  uint64_t id = 0;
  // Carried in the bootstrap ConfChange's context.
  std::string context = {};
};

enum class SnapshotStatus { kFinish, kFailure };

class RawNode {
 public:
  // Create builds a node from `config`, restoring its state from
  // config.storage. InvalidArgument for a bad configuration; the storage's
  // error if it cannot be read.
  static absl::StatusOr<std::unique_ptr<RawNode>> Create(const Config& config);

  ~RawNode();
  RawNode(const RawNode&) = delete;
  RawNode& operator=(const RawNode&) = delete;

  // Bootstrap initializes an empty storage's node with a configuration of
  // `peers` (all voters). Alternatively, the application may start from a
  // storage holding a snapshot with the initial ConfState. Errors if the
  // storage is not empty or `peers` is.
  absl::Status Bootstrap(absl::Span<const Peer> peers);

  void Tick();

  // Campaign starts an election (a pre-vote first with Config::pre_vote).
  absl::Status Campaign();

  // Propose appends `data` to the log through the leader. ProposalDropped
  // when it cannot (no leader, a transfer in progress, limits). The
  // string_view form copies the bytes once; a Payload is shared, never
  // copied.
  absl::Status Propose(absl::string_view data);
  absl::Status Propose(Payload data);
  // Propose with several payloads proposes one entry each, in order, as a
  // single proposal: all are appended, or none.
  absl::Status Propose(absl::Span<const Payload> data);

  // ProposeConfChange proposes a configuration change. ConfChangeV2 with no
  // changes leaves a joint configuration.
  absl::Status ProposeConfChange(const raftpb::ConfChange& cc);
  absl::Status ProposeConfChange(const raftpb::ConfChangeV2& cc);

  // ApplyConfChange applies a committed configuration change, when the
  // application applies its entry, and returns the new configuration.
  // An error for a change that cannot apply to the current configuration
  // (possible only with Config::disable_conf_change_validation).
  absl::StatusOr<raftpb::ConfState> ApplyConfChange(
      const raftpb::ConfChange& cc);
  absl::StatusOr<raftpb::ConfState> ApplyConfChange(
      const raftpb::ConfChangeV2& cc);

  // Step processes a message from a peer or, with asynchronous storage
  // writes, a response from a local storage thread. A MsgProp without a
  // sender (from 0) is the application's own proposal of its entries, as
  // with Propose; its `to` may be left 0 too. StepLocalMsgError for
  // message types only the node itself may produce; StepPeerNotFoundError
  // for responses from nodes outside the configuration; InvalidArgument for
  // malformed messages; ProposalDropped for a forwarded proposal the leader
  // cannot accept. (Pass an rvalue to step the message without a copy.)
  absl::Status Step(Message&& m);
  absl::Status Step(const Message& m) { return Step(Message(m)); }

  // StepFromPeer is Step for a message that arrived from the network: it
  // also refuses the storage threads' responses, whatever sender they name.
  // With asynchronous storage writes, Step accepts MsgStorageAppendResp and
  // MsgStorageApplyResp from the local thread ids, and a forged one would
  // acknowledge writes that never happened; a transport that decodes bytes
  // from peers must therefore step them with StepFromPeer (or drop every
  // message whose `from` is kLocalAppendThread or kLocalApplyThread).
  absl::Status StepFromPeer(Message&& m);
  absl::Status StepFromPeer(const Message& m) {
    return StepFromPeer(Message(m));
  }

  // HasReady reports whether GetReady would return anything.
  bool HasReady() const;

  // GetReady returns the pending work and marks it handed out. Without
  // asynchronous storage writes, a second GetReady before Advance is a
  // broken contract: it panics (Logger::Panic).
  Ready GetReady();

  // Advance acknowledges that the last Ready was processed. Not used with
  // asynchronous storage writes (calling it then panics). Handing the Ready
  // back lets later Readys reuse its buffers instead of allocating new ones;
  // they are kept in a small cache shared by the nodes of the calling thread,
  // so an idle node holds none.
  void Advance();
  void Advance(Ready&& rd);

  NodeStatus GetStatus() const;
  BasicStatus GetBasicStatus() const;
  // Visits each member's progress (leader only) without copying the map.
  void WithProgress(
      absl::FunctionRef<void(uint64_t id, const tracker::Progress& pr)> visit)
      const;

  // ReportUnreachable tells the leader a message to `id` could not be sent.
  void ReportUnreachable(uint64_t id);
  // ReportSnapshot tells the leader how sending a snapshot to `id` ended.
  void ReportSnapshot(uint64_t id, SnapshotStatus status);
  // TransferLeader asks the leader to hand leadership to `transferee`.
  void TransferLeader(uint64_t transferee);
  // ForgetLeader makes a follower forget its leader, so that it grants
  // (pre-)votes without waiting for its election timeout. No effect on a
  // leader or with lease-based reads.
  absl::Status ForgetLeader();
  // ReadIndex requests a linearizable read point; the answer arrives as a
  // ReadState carrying `request_ctx` in a later Ready.
  void ReadIndex(std::string request_ctx);

 private:
  // Test hooks (craft/testing/raw_node_peer.h, in craft::testing).
  friend class testing::RawNodePeer;

  explicit RawNode(std::unique_ptr<Raft> raft);

  absl::Status StepMessage(Message&& m, bool from_network);
  bool ApplyUnstableEntries() const;
  bool NeedStorageAppendRespMsg(const Ready& rd) const;
  Message NewStorageAppendRespMsg(const Ready& rd) const;
  // The durable state a Ready vouches for once persisted: what the storage
  // acknowledgement (MsgStorageAppendResp, or Advance) reports.
  struct PendingStable {
    uint64_t term = 0;
    uint64_t last_term = 0, last_index = 0;  // index 0: no entries
    uint64_t snap_term = 0, snap_index = 0;  // index 0: no snapshot
    // Nothing to report: neither entries nor a snapshot.
    bool empty() const { return last_index == 0 && snap_index == 0; }
  };
  PendingStable StableState(const Ready& rd) const;
  // The two halves of GetReady that differ with asynchronous storage
  // writes; `after_append` holds the messages that wait for durability.
  void AddStorageMessages(Ready& rd, std::vector<Message>& after_append);
  void AcceptSynchronousReady(Ready& rd, uint64_t committed_size,
                              std::vector<Message>& after_append);

  std::unique_ptr<Raft> raft_;
  // (Raft tracks the changes of the hard state: Raft::HardStateChanges.)
  SoftState prev_soft_state_;
  // What Advance reports back to the node for the Ready handed out: the
  // self-addressed responses and the append acknowledgement, stepped in
  // order, then the application of its committed entries.
  struct PendingApply {
    uint64_t index = 0;  // of the last committed entry handed out; 0: none
    uint64_t size = 0;
    uint64_t payload_size = 0;
  };
  struct AdvanceState {
    std::vector<Message> steps;
    // The durable state the Ready vouches for (see Raft::StorageAppended).
    PendingStable stable;
    PendingApply apply;
  };
  // Held only between a Ready that needs it and its Advance (null
  // otherwise, and always with asynchronous storage writes): an idle node
  // does not carry it. The block comes from the thread's BlockCache.
  std::unique_ptr<AdvanceState> advance_;
};

}  // namespace craft

#endif  // CRAFT_RAW_NODE_H_
