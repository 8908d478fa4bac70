// Inflights: the window of append messages sent to one follower and not yet
// acknowledged, bounded both by message count and by payload bytes.

#ifndef CRAFT_TRACKER_INFLIGHTS_H_
#define CRAFT_TRACKER_INFLIGHTS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

namespace craft::tracker {

// A ring buffer of (last index, payload bytes) per in-flight message, in
// increasing index order. The buffer grows on demand, doubling up to the
// count limit, so that without a byte limit an idle follower costs no
// buffer.
class Inflights {
 public:
  // `limit` bounds the number of messages (Config::max_inflight_msgs, an
  // int); `max_bytes` bounds their total payload, 0 or the largest uint64_t
  // meaning no byte limit (max_bytes() then says 0).
  Inflights(size_t limit, uint64_t max_bytes);

  // Copies hold their own buffer (the configuration changer works on a copy
  // of the progress map).
  Inflights(const Inflights& other);
  Inflights& operator=(const Inflights& other);
  // A moved-from window is empty and has no buffer (and no limits).
  Inflights(Inflights&& other) noexcept
      : start_(std::exchange(other.start_, 0)),
        count_(std::exchange(other.count_, 0)),
        buffer_(std::move(other.buffer_)) {}
  Inflights& operator=(Inflights&& other) noexcept {
    start_ = std::exchange(other.start_, 0);
    count_ = std::exchange(other.count_, 0);
    buffer_ = std::move(other.buffer_);
    return *this;
  }

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
    const uint64_t max = max_bytes();
    return count_ == limit() || (max != 0 && bytes() >= max);
  }

  // The number of messages in flight.
  size_t count() const { return count_; }
  // Their total payload bytes.
  uint64_t bytes() const { return buffer_ != nullptr ? header().bytes : 0; }

  // Reset empties the window, keeping the buffer for reuse.
  void Reset();

  // The most messages that may be in flight.
  uint32_t limit() const {
    return buffer_ != nullptr ? header().limit : start_;
  }
  uint64_t max_bytes() const {
    return buffer_ != nullptr ? header().max_bytes : 0;
  }
  // The allocated slots (for tests of the lazy growth).
  size_t capacity() const { return buffer_ != nullptr ? header().capacity : 0; }

 private:
  struct Inflight {
    uint64_t index;
    uint64_t bytes;
  };
  // The buffer's first two slots: the limits, the slot count and the
  // payload bytes in flight.
  struct Header {
    uint32_t limit;
    uint32_t capacity;
    uint64_t max_bytes;
    uint64_t bytes;
    uint64_t unused;
  };
  static constexpr size_t kHeaderSlots = sizeof(Header) / sizeof(Inflight);
  static_assert(sizeof(Header) == kHeaderSlots * sizeof(Inflight));

  Header header() const {
    Header h;
    std::memcpy(&h, buffer_.get(), sizeof(h));
    return h;
  }
  void set_header(const Header& h) {
    std::memcpy(buffer_.get(), &h, sizeof(h));
  }
  Inflight* slots() const { return buffer_.get() + kHeaderSlots; }
  void Grow();

  // Every Progress holds one of these, so an idle follower's costs 16 bytes:
  // 32-bit counters, everything else in the buffer. Without a byte limit
  // there is no buffer until the first Add, and nothing in flight
  // (count_ == 0): start_ holds the count limit meanwhile. With a byte limit
  // the buffer, header only, exists from the start: such configurations pay
  // a 32-byte allocation per Progress (rebuilt at every term change) for
  // the idle case to fit in 16 bytes.
  //
  // The slot of the oldest message; messages occupy count_ consecutive
  // slots from start_, wrapping at the limit.
  uint32_t start_;
  uint32_t count_ = 0;
  // kHeaderSlots + capacity slots: the Header, then the slots, which grow
  // up to the limit. A slot is in use only inside the window.
  std::unique_ptr<Inflight[]> buffer_;
};

}  // namespace craft::tracker

#endif  // CRAFT_TRACKER_INFLIGHTS_H_
