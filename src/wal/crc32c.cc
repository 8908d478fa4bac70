#include "wal/crc32c.h"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "isa-l/crc.h"

namespace craft::wal_internal {

uint32_t Crc32c(uint32_t seed, absl::string_view data) {
  // ISA-L's crc32_iscsi neither inverts its initial value nor its result;
  // the standard CRC-32C does both, so invert around it. Extending a CRC
  // then works: the inverted result is the raw register the next call
  // starts from.
  uint32_t crc = ~seed;
  // Its length is an int: feed longer buffers in pieces.
  constexpr size_t kMaxChunk = size_t{1} << 30;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  while (n > 0) {
    const size_t chunk = std::min(n, kMaxChunk);
    // crc32_iscsi takes a non-const pointer but does not write through it.
    crc = crc32_iscsi(const_cast<unsigned char*>(p), static_cast<int>(chunk),
                      crc);
    p += chunk;
    n -= chunk;
  }
  return ~crc;
}

}  // namespace craft::wal_internal
