#include "wal/crc32c.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace craft::wal_internal {
namespace {

TEST(Crc32cTest, KnownAnswers) {
  // The standard check value, and the test vectors of RFC 3720 (iSCSI),
  // appendix B.4.
  EXPECT_EQ(Crc32c(0, "123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(0, ""), 0u);
  EXPECT_EQ(Crc32c(0, std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(0, std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending(32, '\0');
  std::string descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(Crc32c(0, ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(0, descending), 0x113FDB5Cu);
}

TEST(Crc32cTest, Extends) {
  const std::string data =
      "The quick brown fox jumps over the lazy dog, and then some more bytes "
      "to cross a few of the accelerated code paths' block sizes.";
  const uint32_t whole = Crc32c(0, data);
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    const absl::string_view a = absl::string_view(data).substr(0, cut);
    const absl::string_view b = absl::string_view(data).substr(cut);
    EXPECT_EQ(Crc32c(Crc32c(0, a), b), whole) << "cut at " << cut;
  }
  // An empty extension changes nothing.
  EXPECT_EQ(Crc32c(whole, ""), whole);
}

TEST(Crc32cTest, SeedMatters) {
  // The WAL chains records by seeding each one's crc with the previous
  // one's: the same bytes under another seed must check differently.
  EXPECT_NE(Crc32c(1, "record"), Crc32c(0, "record"));
  EXPECT_NE(Crc32c(0xDEADBEEF, "record"), Crc32c(0xDEADBEEE, "record"));
}

TEST(Crc32cTest, LargeBuffer) {
  // Longer than any single SIMD block, computed in pieces and whole.
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i * 131 + (i >> 9));
  }
  uint32_t pieces = 0;
  for (size_t off = 0; off < big.size(); off += 100000) {
    pieces = Crc32c(pieces, absl::string_view(big).substr(off, 100000));
  }
  EXPECT_EQ(Crc32c(0, big), pieces);
}

}  // namespace
}  // namespace craft::wal_internal
