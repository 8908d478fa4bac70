#include "craft/tracker/inflights.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace craft::tracker {

bool Inflights::Add(uint64_t index, uint64_t bytes) {
  if (Full()) return false;
  if (buffer_ == nullptr) Grow();  // the first: moves the limits to it
  const uint32_t limit = header().limit;
  size_t next = size_t{start_} + count_;
  if (next >= limit) next -= limit;
  // Before the buffer reaches `limit` slots the window never wraps (start_
  // returns to 0 whenever the window empties, and the buffer grows before
  // the window outgrows it), so `next` is at most the capacity here.
  if (next >= header().capacity) Grow();
  slots()[next] = Inflight{index, bytes};
  ++count_;
  bytes_ += bytes;
  return true;
}

Inflights::Inflights(const Inflights& other)
    : start_(other.start_), count_(other.count_), bytes_(other.bytes_) {
  if (other.buffer_ != nullptr) {
    const size_t n = 1 + size_t{other.header().capacity};
    buffer_ = std::make_unique<Inflight[]>(n);
    std::copy_n(other.buffer_.get(), n, buffer_.get());
  }
}

Inflights& Inflights::operator=(const Inflights& other) {
  if (this != &other) *this = Inflights(other);
  return *this;
}

void Inflights::Grow() {
  Header h;
  if (buffer_ == nullptr) {
    h = Header{start_, 0, bytes_};
    start_ = 0;
    bytes_ = 0;
  } else {
    h = header();
  }
  const uint32_t old_capacity = h.capacity;
  h.capacity = static_cast<uint32_t>(std::min<uint64_t>(
      std::max<uint64_t>(1, uint64_t{old_capacity} * 2), h.limit));
  auto grown = std::make_unique<Inflight[]>(1 + size_t{h.capacity});
  if (buffer_ != nullptr) {
    std::copy_n(slots(), old_capacity, grown.get() + 1);
  }
  std::memcpy(grown.get(), &h, sizeof(h));
  buffer_ = std::move(grown);
}

void Inflights::FreeLE(uint64_t to) {
  if (count_ == 0 || to < slots()[start_].index) return;
  const uint32_t limit = header().limit;
  uint32_t idx = start_;
  uint32_t freed = 0;
  uint64_t freed_bytes = 0;
  while (freed < count_ && slots()[idx].index <= to) {
    freed_bytes += slots()[idx].bytes;
    ++freed;
    if (++idx >= limit) idx -= limit;
  }
  count_ -= freed;
  bytes_ -= freed_bytes;
  start_ = count_ == 0 ? 0 : idx;
}

void Inflights::Reset() {
  if (buffer_ == nullptr) return;  // nothing in flight; the limits stay
  start_ = 0;
  count_ = 0;
  bytes_ = 0;
}

}  // namespace craft::tracker
