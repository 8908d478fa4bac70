#include "craft/tracker/inflights.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>

namespace craft::tracker {

Inflights::Inflights(size_t limit, uint64_t max_bytes)
    : start_(static_cast<uint32_t>(limit)) {
  if (max_bytes != 0 && max_bytes != std::numeric_limits<uint64_t>::max()) {
    buffer_ = std::make_unique<Inflight[]>(kHeaderSlots);
    set_header(Header{start_, 0, max_bytes, 0, 0});
    start_ = 0;
  }
}

bool Inflights::Add(uint64_t index, uint64_t bytes) {
  if (Full()) return false;
  if (buffer_ == nullptr) Grow();  // the first: moves the limit to it
  size_t next = size_t{start_} + count_;
  if (const uint32_t limit = header().limit; next >= limit) next -= limit;
  // Before the buffer reaches `limit` slots the window never wraps (start_
  // returns to 0 whenever the window empties, and the buffer grows before
  // the window outgrows it), so `next` is at most the capacity here.
  if (next >= header().capacity) Grow();
  slots()[next] = Inflight{index, bytes};
  ++count_;
  Header h = header();
  h.bytes += bytes;
  set_header(h);
  return true;
}

Inflights::Inflights(const Inflights& other)
    : start_(other.start_), count_(other.count_) {
  if (other.buffer_ != nullptr) {
    const size_t n = kHeaderSlots + size_t{other.header().capacity};
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
    h = Header{start_, 0, 0, 0, 0};
    start_ = 0;
  } else {
    h = header();
  }
  const uint32_t old_capacity = h.capacity;
  h.capacity = static_cast<uint32_t>(std::min<uint64_t>(
      std::max<uint64_t>(1, uint64_t{old_capacity} * 2), h.limit));
  auto grown = std::make_unique<Inflight[]>(kHeaderSlots + size_t{h.capacity});
  if (buffer_ != nullptr) {
    std::copy_n(slots(), old_capacity, grown.get() + kHeaderSlots);
  }
  buffer_ = std::move(grown);
  set_header(h);
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
  Header h = header();
  h.bytes -= freed_bytes;
  set_header(h);
  start_ = count_ == 0 ? 0 : idx;
}

void Inflights::Reset() {
  if (buffer_ == nullptr) return;  // nothing in flight; the limit stays
  start_ = 0;
  count_ = 0;
  Header h = header();
  h.bytes = 0;
  set_header(h);
}

}  // namespace craft::tracker
