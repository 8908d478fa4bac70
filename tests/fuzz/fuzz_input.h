// FuzzInput reads a fuzzer's bytes front to back as small decisions. Past
// the end every read yields zero, so that any input, however short, decodes
// to something; callers stop when empty() says the input is used up.

#ifndef CRAFT_TESTS_FUZZ_FUZZ_INPUT_H_
#define CRAFT_TESTS_FUZZ_FUZZ_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace craft::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  size_t remaining() const { return empty() ? 0 : size_ - pos_; }

  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }

  // A value in [0, n), 0 when n is 0. One byte decides when n <= 256, two
  // bytes otherwise, so that every choice among up to 65536 is reachable.
  uint64_t Below(uint64_t n) {
    if (n <= 1) return 0;
    uint64_t v = Byte();
    if (n > 256) v = (v << 8) | Byte();
    return v % n;
  }

  // The next `n` bytes, fewer if the input ends first.
  std::string Take(size_t n) {
    n = std::min(n, remaining());
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace craft::fuzz

#endif  // CRAFT_TESTS_FUZZ_FUZZ_INPUT_H_
