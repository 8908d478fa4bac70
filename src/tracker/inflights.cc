#include "craft/tracker/inflights.h"

#include <algorithm>

namespace craft::tracker {

bool Inflights::Add(uint64_t index, uint64_t bytes) {
  if (Full()) return false;
  size_t next = size_t{start_} + count_;
  if (next >= limit_) next -= limit_;
  // Before the buffer reaches limit_ slots the window never wraps (start_
  // returns to 0 whenever the window empties, and the buffer grows before
  // the window outgrows it), so `next` is at most buffer_.size() here.
  if (next >= buffer_.size()) Grow();
  buffer_[next] = Inflight{index, bytes};
  ++count_;
  bytes_ += bytes;
  return true;
}

void Inflights::Grow() {
  size_t new_size = std::max<size_t>(1, buffer_.size() * 2);
  new_size = std::min<size_t>(new_size, limit_);
  buffer_.resize(new_size);
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
