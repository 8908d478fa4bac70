// Classifications of message types that the core and RawNode share.

#ifndef CRAFT_RAFT_MESSAGES_H_
#define CRAFT_RAFT_MESSAGES_H_

#include "absl/strings/string_view.h"
#include "craft/raftpb.h"

namespace craft {

// The context of the MsgVote (or MsgPreVote) of a campaign started by a
// leadership transfer: voters grant it even inside a leader's lease.
inline constexpr absl::string_view kCampaignTransfer = "CampaignTransfer";

// Local messages are produced by a node for itself (or its storage
// threads); they never arrive from a peer.
inline bool IsLocalMsg(raftpb::MessageType t) {
  switch (t) {
    case raftpb::MsgHup:
    case raftpb::MsgBeat:
    case raftpb::MsgUnreachable:
    case raftpb::MsgSnapStatus:
    case raftpb::MsgCheckQuorum:
    case raftpb::MsgStorageAppend:
    case raftpb::MsgStorageAppendResp:
    case raftpb::MsgStorageApply:
    case raftpb::MsgStorageApplyResp:
      return true;
    default:
      return false;
  }
}

inline bool IsResponseMsg(raftpb::MessageType t) {
  switch (t) {
    case raftpb::MsgAppResp:
    case raftpb::MsgVoteResp:
    case raftpb::MsgHeartbeatResp:
    case raftpb::MsgUnreachable:
    case raftpb::MsgReadIndexResp:
    case raftpb::MsgPreVoteResp:
    case raftpb::MsgStorageAppendResp:
    case raftpb::MsgStorageApplyResp:
      return true;
    default:
      return false;
  }
}

inline bool IsLocalMsgTarget(uint64_t id) { return IsReservedNodeId(id); }

// NewMessage starts a message; the core's Send fills in a missing sender.
inline Message NewMessage(raftpb::MessageType type, uint64_t to,
                          uint64_t from = kNone) {
  Message m;
  m.set_type(type);
  m.set_to(to);
  if (from != kNone) m.set_from(from);
  return m;
}

// Messages that always carry their sender's term: everything but the
// local types and the requests a follower forwards (proposals, reads and
// transfer requests are valid in any term, and the API's own ones carry
// none).
inline bool NeedsTerm(raftpb::MessageType t) {
  switch (t) {
    case raftpb::MsgApp:
    case raftpb::MsgAppResp:
    case raftpb::MsgVote:
    case raftpb::MsgVoteResp:
    case raftpb::MsgPreVote:
    case raftpb::MsgPreVoteResp:
    case raftpb::MsgSnap:
    case raftpb::MsgHeartbeat:
    case raftpb::MsgHeartbeatResp:
    case raftpb::MsgTimeoutNow:
    case raftpb::MsgReadIndexResp:
    case raftpb::MsgStorageAppendResp:
      return true;
    default:
      return false;
  }
}

inline raftpb::MessageType VoteRespMsgType(raftpb::MessageType t) {
  return t == raftpb::MsgVote ? raftpb::MsgVoteResp : raftpb::MsgPreVoteResp;
}

}  // namespace craft

#endif  // CRAFT_RAFT_MESSAGES_H_
