// ReadState answers a ReadIndex request: once the application has applied
// the log up to `index`, a read issued with `request_ctx` sees every write
// committed before the request was made (linearizable reads).

#ifndef CRAFT_READ_STATE_H_
#define CRAFT_READ_STATE_H_

#include <cstdint>
#include <string>

namespace craft {

struct ReadState {
  uint64_t index = 0;
  std::string request_ctx;

  friend bool operator==(const ReadState&, const ReadState&) = default;
};

}  // namespace craft

#endif  // CRAFT_READ_STATE_H_
