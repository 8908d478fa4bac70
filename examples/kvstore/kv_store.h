// KvStore is the replicated state machine of the example: a map from keys
// to values, changed only by applying committed log entries.

#ifndef CRAFT_EXAMPLES_KVSTORE_KV_STORE_H_
#define CRAFT_EXAMPLES_KVSTORE_KV_STORE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kvstore {

// A command is "key=value" (put); the entry's data carries it.
std::string EncodePut(absl::string_view key, absl::string_view value);

class KvStore {
 public:
  // Apply applies the command of the entry at `index`; an entry without a
  // command (a new leader's empty entry, a configuration change) only
  // advances the applied index. A malformed command is refused but still
  // consumes its index: every replica decides alike, from the command alone.
  absl::Status Apply(uint64_t index, absl::string_view command);

  std::optional<std::string> Get(absl::string_view key) const;
  uint64_t applied_index() const;
  size_t size() const;

  // The whole state, and its replacement, for snapshots.
  std::string Serialize() const;
  absl::Status Restore(uint64_t index, absl::string_view data);

  bool operator==(const KvStore& other) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> data_;  // guarded by mu_
  uint64_t applied_index_ = 0;               // guarded by mu_
};

}  // namespace kvstore

#endif  // CRAFT_EXAMPLES_KVSTORE_KV_STORE_H_
