// CRC-32C (Castagnoli), the checksum of every WAL record and snapshot file,
// computed by ISA-L (hardware-accelerated where the CPU allows).

#ifndef CRAFT_SRC_WAL_CRC32C_H_
#define CRAFT_SRC_WAL_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace craft::wal_internal {

// Crc32c returns the standard CRC-32C of the bytes that `seed` is the CRC of,
// followed by `data`: Crc32c(0, "123456789") == 0xE3069283, and
// Crc32c(Crc32c(0, a), b) == Crc32c(0, a + b).
uint32_t Crc32c(uint32_t seed, absl::string_view data);

}  // namespace craft::wal_internal

#endif  // CRAFT_SRC_WAL_CRC32C_H_
