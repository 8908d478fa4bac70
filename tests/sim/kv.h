// The simulator's replicated state machine: a key-value map with put,
// delete and compare-and-set, applied from log entries. Every operation
// carries its client's id and sequence number; an operation applies at most
// once (the network may duplicate a proposal, and a client's timed-out
// operation may be overtaken by its next one), as client sessions do in
// real systems.

#ifndef CRAFT_TESTS_SIM_KV_H_
#define CRAFT_TESTS_SIM_KV_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace craft::sim {

enum class KvOpKind { kPut, kDelete, kCas };

struct KvOp {
  uint64_t client = 0;
  uint64_t seq = 0;
  KvOpKind kind = KvOpKind::kPut;
  std::string key;
  std::string value = {};     // put, cas
  std::string expected = {};  // cas
};

// The outcome of applying an operation.
enum class KvOutcome { kOk, kFailed, kDuplicate };

// Entry payloads: EncodeOp's output, or anything else (ignored on apply).
std::string EncodeOp(const KvOp& op);
std::optional<KvOp> DecodeOp(absl::string_view data);

class KvStore {
 public:
  KvOutcome Apply(const KvOp& op);
  std::optional<std::string> Get(const std::string& key) const;

  // The whole state, for snapshots; Restore is its inverse.
  std::string Serialize() const;
  static absl::StatusOr<KvStore> Restore(absl::string_view data);

  friend bool operator==(const KvStore&, const KvStore&) = default;

 private:
  std::map<std::string, std::string> data_;
  // The last sequence number applied per client.
  std::map<uint64_t, uint64_t> last_seq_;
};

}  // namespace craft::sim

#endif  // CRAFT_TESTS_SIM_KV_H_
