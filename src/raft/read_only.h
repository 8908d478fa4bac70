// ReadOnly tracks the ReadIndex requests a leader is confirming under
// ReadOnlyOption::kSafe.
//
// A read may be served at index I only once the leader knows it was still
// the leader after the request arrived: a quorum must acknowledge a
// heartbeat sent after that moment. Each request gets a sequence number,
// increasing for the leader's lifetime, and heartbeats carry the newest
// sequence number in their context. A follower echoing sequence s
// acknowledges every request numbered s or lower. Keying requests by
// sequence rather than by the application's request context keeps two
// requests with the same context apart: each is confirmed by heartbeats sent
// after it, never by an older round.

#ifndef CRAFT_RAFT_READ_ONLY_H_
#define CRAFT_RAFT_READ_ONLY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "craft/config.h"
#include "craft/quorum/joint.h"
#include "craft/raftpb.h"

namespace craft {

struct PendingRead {
  uint64_t seq = 0;
  // The commit index when the request arrived: the read index to answer.
  uint64_t index = 0;
  Message req;
};

class ReadOnly {
 public:
  // AddRequest registers `req` with read index `index` under sequence
  // `seq`, which must exceed every earlier one.
  void AddRequest(uint64_t seq, uint64_t index, Message req);

  // RecvAck records that `id` acknowledged heartbeat sequence `seq` and
  // returns the requests that `voters` now confirm, oldest first.
  std::vector<PendingRead> RecvAck(uint64_t id, uint64_t seq,
                                   const quorum::JointConfig& voters);

  // The newest pending sequence number, if any request is pending.
  std::optional<uint64_t> LastPendingSeq() const;
  size_t pending() const {
    return state_ == nullptr ? 0 : state_->pending.size();
  }

  // The heartbeat context carrying sequence `seq`, and its inverse.
  static std::string EncodeContext(uint64_t seq);
  static std::optional<uint64_t> DecodeContext(absl::string_view ctx);

 private:
  struct State {
    std::vector<PendingRead> pending;
    // The highest sequence each node acknowledged.
    absl::flat_hash_map<uint64_t, uint64_t> acked;
  };
  State& MutableState();

  // Allocated by the first read or acknowledgement: every group has a
  // ReadOnly, and most never serve a read.
  std::unique_ptr<State> state_;
};

}  // namespace craft

#endif  // CRAFT_RAFT_READ_ONLY_H_
