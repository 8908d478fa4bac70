// Inflights: the window of append messages sent to one follower and not yet
// acknowledged, bounded both by message count and by payload bytes.

#ifndef CRAFT_TRACKER_INFLIGHTS_H_
#define CRAFT_TRACKER_INFLIGHTS_H_

#include <cstddef>
#include <cstdint>
#include <memory>

namespace craft::tracker {

// A ring buffer of (last index, payload bytes) per in-flight message, in
// increasing index order. The buffer grows on demand, doubling up to the
// count limit, so idle followers cost no memory.
class Inflights {
 public:
  // `limit` bounds the number of messages (Config::max_inflight_msgs, an
  // int); `max_bytes` bounds their total payload, 0 meaning no byte limit.
  Inflights(size_t limit, uint64_t max_bytes)
      : limit_(static_cast<uint32_t>(limit)), max_bytes_(max_bytes) {}

  // Copies hold their own buffer (the configuration changer works on a copy
  // of the progress map).
  Inflights(const Inflights& other);
  Inflights& operator=(const Inflights& other);
  Inflights(Inflights&&) noexcept = default;
  Inflights& operator=(Inflights&&) noexcept = default;

  // Add records a message whose last entry has `index`, carrying `bytes`
  // payload bytes. Indexes must be added in increasing order. Adding to a
  // full window records nothing and returns false: callers check Full()
  // before sending.
  bool Add(uint64_t index, uint64_t bytes);

  // FreeLE drops every message whose last index is <= `to` (they have been
  // acknowledged).
  void FreeLE(uint64_t to);

  // Full: no more messages may be sent, because the count limit is reached
  // or a byte limit is set and reached.
  bool Full() const {
    return count_ == limit_ || (max_bytes_ != 0 && bytes_ >= max_bytes_);
  }

  // The number of messages in flight.
  size_t count() const { return count_; }
  // Their total payload bytes.
  uint64_t bytes() const { return bytes_; }

  // Reset empties the window, keeping the buffer for reuse.
  void Reset();

  // The most messages that may be in flight.
  size_t limit() const { return limit_; }
  uint64_t max_bytes() const { return max_bytes_; }
  // The allocated slots (for tests of the lazy growth).
  size_t capacity() const { return capacity_; }

 private:
  struct Inflight {
    uint64_t index;
    uint64_t bytes;
  };

  void Grow();

  // The slot of the oldest message; messages occupy count_ consecutive slots
  // from start_, wrapping at limit_.
  // (32-bit counters and a bare array: every Progress holds one.)
  uint32_t start_ = 0;
  uint32_t count_ = 0;
  uint32_t limit_;
  // The slots allocated in buffer_; grows up to limit_. A slot is in use
  // only inside the window.
  uint32_t capacity_ = 0;
  uint64_t bytes_ = 0;
  uint64_t max_bytes_;
  std::unique_ptr<Inflight[]> buffer_;
};

}  // namespace craft::tracker

#endif  // CRAFT_TRACKER_INFLIGHTS_H_
