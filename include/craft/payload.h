// Payload is an entry's data: immutable bytes shared by reference count.
//
// A payload is allocated once, when it is made, and every copy after that
// (the unstable log, the Ready, the storage, each follower's append, the
// committed entries handed to the application) shares the same bytes: a
// copy costs one atomic increment, never an allocation or a byte copy.
// Copies may be used and destroyed on different threads.

#ifndef CRAFT_PAYLOAD_H_
#define CRAFT_PAYLOAD_H_

#include <atomic>
#include <cstddef>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace craft {

class Payload {
 public:
  // An empty payload (no allocation).
  Payload() = default;
  // A payload holding a copy of `bytes` (one allocation; none if empty).
  explicit Payload(absl::string_view bytes);

  Payload(const Payload& other) : rep_(other.rep_) { Ref(); }
  Payload(Payload&& other) noexcept
      : rep_(std::exchange(other.rep_, nullptr)) {}
  Payload& operator=(const Payload& other) {
    Payload(other).swap(*this);
    return *this;
  }
  Payload& operator=(Payload&& other) noexcept {
    Payload(std::move(other)).swap(*this);
    return *this;
  }
  ~Payload() { Unref(); }

  void swap(Payload& other) noexcept { std::swap(rep_, other.rep_); }

  const char* data() const { return rep_ == nullptr ? "" : rep_->bytes(); }
  size_t size() const { return rep_ == nullptr ? 0 : rep_->size; }
  bool empty() const { return size() == 0; }
  absl::string_view view() const { return absl::string_view(data(), size()); }
  operator absl::string_view() const { return view(); }  // NOLINT
  std::string ToString() const { return std::string(view()); }

  friend bool operator==(const Payload& a, const Payload& b) {
    return a.view() == b.view();
  }
  friend bool operator==(const Payload& a, absl::string_view b) {
    return a.view() == b;
  }

 private:
  struct Rep {
    std::atomic<size_t> refs;
    size_t size;
    char* bytes() { return reinterpret_cast<char*>(this + 1); }
    const char* bytes() const {
      return reinterpret_cast<const char*>(this + 1);
    }
  };

  void Ref() const {
    if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void Unref() {
    if (rep_ != nullptr &&
        rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      Free(rep_);
    }
  }
  static void Free(Rep* rep);

  Rep* rep_ = nullptr;
};

}  // namespace craft

#endif  // CRAFT_PAYLOAD_H_
