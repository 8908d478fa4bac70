// The replicated state of craft-kvstore: the key-value map and the member
// addresses, changed only by applying committed entries. Every member
// applies the same entries in the same order and so decides every command
// alike, from the command alone.

#ifndef CRAFT_EXAMPLES_KVSTORE_STATE_MACHINE_H_
#define CRAFT_EXAMPLES_KVSTORE_STATE_MACHINE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kvstore {

// A client's write, carried in a log entry's data (or, for a membership
// change, in the ConfChange's context with only `id` and `value`, the new
// member's address).
struct Command {
  enum class Op : uint8_t { kPut = 1, kCas = 2, kDelete = 3, kMember = 4 };
  Op op = Op::kPut;
  // Unique per request: the member that proposed it waits for this id.
  uint64_t id = 0;
  std::string key;
  std::string value;
  std::string expected;  // kCas: the value the key must hold
};

std::string EncodeCommand(const Command& c);
// InvalidArgument for bytes EncodeCommand did not produce.
absl::StatusOr<Command> DecodeCommand(absl::string_view data);

// What applying a command did.
enum class Outcome {
  kOk,         // put, delete, or a cas whose expectation held
  kMismatch,   // a cas whose key was absent or held another value
  kMalformed,  // not a command; the entry consumed its index only
};

class StateMachine {
 public:
  // Applies the entry at `index` (entries already applied, index <=
  // applied_index(), are skipped: a restart replays them).
  Outcome Apply(uint64_t index, const Command& c);
  // An entry that carries no command (a leader's empty entry, a
  // configuration change) still advances the applied index.
  void Skip(uint64_t index);

  std::optional<std::string> Get(absl::string_view key) const;
  uint64_t applied_index() const;

  // Member addresses (id -> host:port), kept in the snapshots so that a
  // member restarted or caught up from one knows where its peers are.
  void SetMember(uint64_t id, std::string address);
  void RemoveMember(uint64_t id);
  std::map<uint64_t, std::string> members() const;

  // The whole state, and its replacement (from a snapshot at `index`).
  std::string Serialize() const;
  absl::Status Restore(uint64_t index, absl::string_view data);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> data_;  // guarded by mu_
  std::map<uint64_t, std::string> members_;  // guarded by mu_
  uint64_t applied_ = 0;                     // guarded by mu_
};

}  // namespace kvstore

#endif  // CRAFT_EXAMPLES_KVSTORE_STATE_MACHINE_H_
