#include "craft/errors.h"

#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"

namespace craft {
namespace {

constexpr absl::string_view kKindUrl = "type.craft/error-kind";

absl::Status Make(absl::StatusCode code, absl::string_view message,
                  absl::string_view kind) {
  absl::Status s(code, message);
  s.SetPayload(kKindUrl, absl::Cord(kind));
  return s;
}

bool Is(const absl::Status& s, absl::StatusCode code, absl::string_view kind) {
  if (s.code() != code) return false;
  auto payload = s.GetPayload(kKindUrl);
  return payload.has_value() && *payload == kind;
}

}  // namespace

absl::Status CompactedError() {
  return Make(absl::StatusCode::kOutOfRange,
              "requested index is unavailable due to compaction", "compacted");
}
bool IsCompacted(const absl::Status& s) {
  return Is(s, absl::StatusCode::kOutOfRange, "compacted");
}

absl::Status EntryUnavailableError() {
  return Make(absl::StatusCode::kNotFound,
              "requested entry at index is unavailable", "unavailable");
}
bool IsEntryUnavailable(const absl::Status& s) {
  return Is(s, absl::StatusCode::kNotFound, "unavailable");
}

absl::Status SnapshotOutOfDateError() {
  return Make(absl::StatusCode::kFailedPrecondition,
              "requested index is older than the existing snapshot",
              "snapshot-out-of-date");
}
bool IsSnapshotOutOfDate(const absl::Status& s) {
  return Is(s, absl::StatusCode::kFailedPrecondition, "snapshot-out-of-date");
}

absl::Status SnapshotTemporarilyUnavailableError() {
  return Make(absl::StatusCode::kUnavailable,
              "snapshot is temporarily unavailable",
              "snapshot-temporarily-unavailable");
}
bool IsSnapshotTemporarilyUnavailable(const absl::Status& s) {
  return Is(s, absl::StatusCode::kUnavailable,
            "snapshot-temporarily-unavailable");
}

absl::Status ProposalDroppedError() {
  return Make(absl::StatusCode::kUnavailable, "raft proposal dropped",
              "proposal-dropped");
}
bool IsProposalDropped(const absl::Status& s) {
  return Is(s, absl::StatusCode::kUnavailable, "proposal-dropped");
}

absl::Status StepLocalMsgError() {
  return Make(absl::StatusCode::kInvalidArgument,
              "raft: cannot step raft local message", "step-local-msg");
}
bool IsStepLocalMsg(const absl::Status& s) {
  return Is(s, absl::StatusCode::kInvalidArgument, "step-local-msg");
}

absl::Status StepPeerNotFoundError() {
  return Make(absl::StatusCode::kNotFound,
              "raft: cannot step as peer not found", "step-peer-not-found");
}
bool IsStepPeerNotFound(const absl::Status& s) {
  return Is(s, absl::StatusCode::kNotFound, "step-peer-not-found");
}

}  // namespace craft
