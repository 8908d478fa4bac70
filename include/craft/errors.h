// The error kinds craft reports (by its Storage, and by a node to its
// caller), as absl::Status values a caller can tell apart with the Is*
// predicates below.
//
// Each kind has its own canonical code and carries a payload naming the kind,
// so the predicates never mistake an unrelated error with the same code for
// one of these.

#ifndef CRAFT_ERRORS_H_
#define CRAFT_ERRORS_H_

#include "absl/status/status.h"

namespace craft {

// The requested index precedes the storage's first index: it was compacted
// into a snapshot. Code: kOutOfRange.
absl::Status CompactedError();
bool IsCompacted(const absl::Status& s);

// The requested entry is past the storage's last index. Code: kNotFound.
absl::Status EntryUnavailableError();
bool IsEntryUnavailable(const absl::Status& s);

// The snapshot being applied or created is older than the one the storage
// already holds. Code: kFailedPrecondition.
absl::Status SnapshotOutOfDateError();
bool IsSnapshotOutOfDate(const absl::Status& s);

// The storage cannot produce a snapshot right now; the leader retries later.
// Code: kUnavailable.
absl::Status SnapshotTemporarilyUnavailableError();
bool IsSnapshotTemporarilyUnavailable(const absl::Status& s);

// The errors a node returns to its caller.

// A proposal (or forwarded proposal) was not accepted: there is no leader,
// a leadership transfer is in progress, the uncommitted log is over its size
// limit, or this node was removed. The caller may retry. Code: kUnavailable.
absl::Status ProposalDroppedError();
bool IsProposalDropped(const absl::Status& s);

// A message type that only the node itself produces (MsgHup, MsgBeat, ...)
// arrived from the network. Code: kInvalidArgument.
absl::Status StepLocalMsgError();
bool IsStepLocalMsg(const absl::Status& s);

// A response arrived from a node that is not in the configuration.
// Code: kNotFound.
absl::Status StepPeerNotFoundError();
bool IsStepPeerNotFound(const absl::Status& s);

}  // namespace craft

#endif  // CRAFT_ERRORS_H_
