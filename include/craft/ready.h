// Ready is the work a node hands to the application: state to persist,
// messages to send, entries to apply. See RawNode for the contract.

#ifndef CRAFT_READY_H_
#define CRAFT_READY_H_

#include <optional>
#include <vector>

#include "craft/raftpb.h"
#include "craft/read_state.h"
#include "craft/state.h"

namespace craft {

struct Ready {
  // The node's role or leader changed. Absent when unchanged.
  std::optional<SoftState> soft_state;

  // The HardState to persist before sending messages. Empty (all zero) when
  // unchanged.
  HardState hard_state;

  // Answers to ReadIndex requests, in request order.
  std::vector<ReadState> read_states;

  // Entries to persist before sending messages.
  std::vector<Entry> entries;

  // A snapshot to persist (and restore the state machine from). Empty
  // (index 0) if there is none.
  raftpb::Snapshot snapshot;

  // Committed entries to apply to the state machine. They were persisted by
  // an earlier Ready, or by this one.
  std::vector<Entry> committed_entries;

  // Messages to send once the entries, hard state and snapshot above are
  // durable. With asynchronous storage writes, also the local
  // MsgStorageAppend / MsgStorageApply messages.
  std::vector<Message> messages;

  // Whether hard_state and entries must be synced to disk before the
  // messages are sent (false when only the commit index changed).
  bool must_sync = false;
};

}  // namespace craft

#endif  // CRAFT_READY_H_
