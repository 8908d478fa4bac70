// InteractionEnv drives a set of RawNodes through a datadriven transcript
// and prints what they do, in the language and format of etcd-io/raft's
// interaction tests (../shared/conformance/INTERACTION.md). It uses craft's
// public API only.

#ifndef CRAFT_TESTS_INTERACTION_INTERACTION_ENV_H_
#define CRAFT_TESTS_INTERACTION_INTERACTION_ENV_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "craft/config.h"
#include "craft/logger.h"
#include "craft/memory_storage.h"
#include "craft/raw_node.h"
#include "datadriven/datadriven.h"

namespace craft::interaction {

// Log levels of the environment; kNone also silences the harness itself.
enum class EnvLevel { kDebug = 0, kInfo, kWarn, kError, kFatal, kNone };

class InteractionEnv {
 public:
  InteractionEnv();
  ~InteractionEnv();

  // Handle runs one directive and returns its output. A non-OK status is a
  // fatal test error (bad arguments, unknown nodes, a panic).
  absl::StatusOr<std::string> Handle(const datadriven::TestData& d);

 private:
  class EnvLogger;
  class HistoryStorage;
  struct Node;

  // Commands. Each returns a non-fatal error (printed) or a fatal one
  // through `fatal_`.
  absl::Status AddNodes(const datadriven::TestData& d);
  absl::Status Campaign(const datadriven::TestData& d);
  absl::Status Compact(const datadriven::TestData& d);
  absl::Status DeliverMsgsCommand(const datadriven::TestData& d);
  absl::Status ForgetLeader(const datadriven::TestData& d);
  absl::Status LogLevelCommand(const datadriven::TestData& d);
  absl::Status ProcessReadyCommand(const datadriven::TestData& d);
  absl::Status ProcessAppendThreadCommand(const datadriven::TestData& d);
  absl::Status ProcessApplyThreadCommand(const datadriven::TestData& d);
  absl::Status Propose(const datadriven::TestData& d);
  absl::Status ProposeConfChange(const datadriven::TestData& d);
  absl::Status RaftLog(const datadriven::TestData& d);
  absl::Status RaftState();
  absl::Status ReportUnreachable(const datadriven::TestData& d);
  absl::Status SendSnapshot(const datadriven::TestData& d);
  absl::Status SetRandomizedElectionTimeout(const datadriven::TestData& d);
  absl::Status Stabilize(const datadriven::TestData& d);
  absl::Status Status(const datadriven::TestData& d);
  absl::Status Tick(const datadriven::TestData& d, bool election);
  absl::Status TransferLeadership(const datadriven::TestData& d);

  // Steps shared by the commands.
  absl::Status ProcessReady(size_t idx);
  absl::Status ProcessAppendThread(size_t idx);
  absl::Status ProcessApplyThread(size_t idx);
  // Pops the first storage work item of `work`, performs it and queues its
  // responses, printing both; prints `none` if there is nothing to do.
  absl::Status ProcessThread(
      std::deque<Message>& work, absl::string_view none,
      const std::function<absl::Status(const Message&)>& perform);
  // Runs `step` on each node listed in `d`: bare for a single node, else
  // under a "> N <what>" header with the step's output indented.
  absl::Status ForEachNode(const datadriven::TestData& d,
                           absl::string_view what,
                           const std::function<absl::Status(size_t)>& step);
  absl::Status ProcessApply(size_t idx, absl::Span<const Entry> ents);
  absl::Status ApplyEntry(size_t idx, const Entry& e);
  absl::Status Persist(size_t idx, const HardState& hs,
                       const raftpb::Snapshot* snap,
                       const std::vector<Entry>& ents);
  // Delivers (or drops) the queued messages to `to` of type `type` (or any
  // type), returning how many were taken.
  absl::StatusOr<int> DeliverMsgs(uint64_t to, const raftpb::MessageType* type,
                                  bool drop);
  void QueueMessages(size_t idx, std::vector<Message> msgs);
  absl::Status RaftLogOutput(size_t idx);

  // Output.
  void Write(absl::string_view s);
  // Runs `fn`, indenting everything it writes by two spaces.
  absl::Status WithIndent(const std::function<absl::Status()>& fn);
  absl::Status SetLevel(absl::string_view name);

  // Argument helpers: node indexes are 1-based ids.
  absl::StatusOr<size_t> FirstNode(const datadriven::TestData& d) const;
  absl::StatusOr<std::vector<size_t>> NodeIdxs(
      const datadriven::TestData& d) const;
  absl::StatusOr<size_t> NodeIdx(uint64_t id) const;
  // Records a fatal error that ends the file.
  void Fatal(absl::Status s);

  std::vector<std::unique_ptr<Node>> nodes_;
  std::deque<Message> messages_;
  std::string* out_;
  std::string buf_;
  EnvLevel level_ = EnvLevel::kDebug;
  std::unique_ptr<EnvLogger> logger_;
  absl::Status fatal_;
};

}  // namespace craft::interaction

#endif  // CRAFT_TESTS_INTERACTION_INTERACTION_ENV_H_
