#include "craft/tracker/inflights.h"

#include <algorithm>
#include <memory>

namespace craft::tracker {

bool Inflights::Add(uint64_t index, uint64_t bytes) {
  if (Full()) return false;
  size_t next = size_t{start_} + count_;
  if (next >= limit_) next -= limit_;
  // Before the buffer reaches limit_ slots the window never wraps (start_
  // returns to 0 whenever the window empties, and the buffer grows before
  // the window outgrows it), so `next` is at most capacity_ here.
  if (next >= capacity_) Grow();
  buffer_[next] = Inflight{index, bytes};
  ++count_;
  bytes_ += bytes;
  return true;
}

Inflights::Inflights(const Inflights& other)
    : start_(other.start_),
      count_(other.count_),
      limit_(other.limit_),
      capacity_(other.capacity_),
      bytes_(other.bytes_),
      max_bytes_(other.max_bytes_) {
  if (capacity_ != 0) {
    buffer_ = std::make_unique<Inflight[]>(capacity_);
    std::copy_n(other.buffer_.get(), capacity_, buffer_.get());
  }
}

Inflights& Inflights::operator=(const Inflights& other) {
  if (this != &other) *this = Inflights(other);
  return *this;
}

void Inflights::Grow() {
  const auto new_capacity = static_cast<uint32_t>(std::min<uint64_t>(
      std::max<uint64_t>(1, uint64_t{capacity_} * 2), limit_));
  auto grown = std::make_unique<Inflight[]>(new_capacity);
  std::copy_n(buffer_.get(), capacity_, grown.get());
  buffer_ = std::move(grown);
  capacity_ = new_capacity;
}

void Inflights::FreeLE(uint64_t to) {
  if (count_ == 0 || to < buffer_[start_].index) return;
  uint32_t idx = start_;
  uint32_t freed = 0;
  uint64_t freed_bytes = 0;
  while (freed < count_ && buffer_[idx].index <= to) {
    freed_bytes += buffer_[idx].bytes;
    ++freed;
    if (++idx >= limit_) idx -= limit_;
  }
  count_ -= freed;
  bytes_ -= freed_bytes;
  start_ = count_ == 0 ? 0 : idx;
}

void Inflights::Reset() {
  start_ = 0;
  count_ = 0;
  bytes_ = 0;
}

}  // namespace craft::tracker
