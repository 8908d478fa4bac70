#include "craft/config.h"

#include <limits>

#include "absl/strings/str_format.h"

namespace craft {

absl::Status Config::Validate() const {
  if (id == kNone) return absl::InvalidArgumentError("cannot use none as id");
  if (IsReservedNodeId(id)) {
    return absl::InvalidArgumentError("cannot use local target as id");
  }
  if (heartbeat_tick <= 0) {
    return absl::InvalidArgumentError("heartbeat tick must be greater than 0");
  }
  if (election_tick <= heartbeat_tick) {
    return absl::InvalidArgumentError(
        "election tick must be greater than heartbeat tick");
  }
  // Randomized election timeouts reach twice the election tick.
  if (election_tick > std::numeric_limits<int>::max() / 2) {
    return absl::InvalidArgumentError(
        absl::StrFormat("election tick must be at most %d",
                        std::numeric_limits<int>::max() / 2));
  }
  if (storage == nullptr) {
    return absl::InvalidArgumentError("storage cannot be nil");
  }
  if (max_inflight_msgs <= 0) {
    return absl::InvalidArgumentError(
        "max inflight messages must be greater than 0");
  }
  if (max_inflight_bytes != 0 && max_inflight_bytes < max_size_per_msg) {
    return absl::InvalidArgumentError(
        "max inflight bytes must be >= max message size");
  }
  if (read_only_option == ReadOnlyOption::kLeaseBased && !check_quorum) {
    return absl::InvalidArgumentError(
        "CheckQuorum must be enabled when ReadOnlyOption is "
        "ReadOnlyLeaseBased");
  }
  return absl::OkStatus();
}

}  // namespace craft
