#include "craft/errors.h"

#include <functional>
#include <vector>

#include "gtest/gtest.h"

namespace craft {
namespace {

struct Kind {
  const char* name;
  absl::Status status;
  std::function<bool(const absl::Status&)> is;
  absl::StatusCode code;
};

TEST(ErrorsTest, EachKindIsDistinguishable) {
  const std::vector<Kind> kinds = {
      {"compacted", CompactedError(), IsCompacted,
       absl::StatusCode::kOutOfRange},
      {"unavailable", EntryUnavailableError(), IsEntryUnavailable,
       absl::StatusCode::kNotFound},
      {"out of date", SnapshotOutOfDateError(), IsSnapshotOutOfDate,
       absl::StatusCode::kFailedPrecondition},
      {"temporarily unavailable", SnapshotTemporarilyUnavailableError(),
       IsSnapshotTemporarilyUnavailable, absl::StatusCode::kUnavailable},
      {"proposal dropped", ProposalDroppedError(), IsProposalDropped,
       absl::StatusCode::kUnavailable},
      {"local msg", StepLocalMsgError(), IsStepLocalMsg,
       absl::StatusCode::kInvalidArgument},
      {"peer not found", StepPeerNotFoundError(), IsStepPeerNotFound,
       absl::StatusCode::kNotFound},
  };
  for (const Kind& k : kinds) {
    SCOPED_TRACE(k.name);
    EXPECT_EQ(k.status.code(), k.code);
    EXPECT_FALSE(k.status.message().empty());
    for (const Kind& other : kinds) {
      EXPECT_EQ(other.is(k.status), &other == &k) << other.name;
    }
    // A plain error with the same code is not mistaken for this kind.
    EXPECT_FALSE(k.is(absl::Status(k.code, k.status.message())));
    EXPECT_FALSE(k.is(absl::OkStatus()));
  }
}

TEST(ErrorsTest, MessagesMatchEtcd) {
  // The interaction harness prints these texts.
  EXPECT_EQ(CompactedError().message(),
            "requested index is unavailable due to compaction");
  EXPECT_EQ(SnapshotOutOfDateError().message(),
            "requested index is older than the existing snapshot");
  EXPECT_EQ(ProposalDroppedError().message(), "raft proposal dropped");
  EXPECT_EQ(StepLocalMsgError().message(),
            "raft: cannot step raft local message");
  EXPECT_EQ(StepPeerNotFoundError().message(),
            "raft: cannot step as peer not found");
}

}  // namespace
}  // namespace craft
