#include "wal/format.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "craft/raftpb.h"
#include "craft/wire.h"
#include "gtest/gtest.h"
#include "wal/crc32c.h"

namespace craft::wal_internal {
namespace {

std::string Encode(const Entry& e) {
  std::string s(EncodedEntrySize(e), '\0');
  EncodeEntry(e, s.data());
  return s;
}

std::vector<Entry> CodecCases() {
  std::vector<Entry> cases;
  cases.push_back(Entry());  // no field present
  cases.push_back(MakeEntry(1, 1));
  Entry e = MakeEntry(uint64_t{1} << 40, kMaxTerm, raftpb::EntryConfChangeV2);
  e.set_data(std::string(300, 'x'));  // a two-byte length
  cases.push_back(e);
  Entry only_data;
  only_data.set_data(std::string("\0\1\2", 3));
  cases.push_back(only_data);
  Entry empty_data = MakeEntry(7, 3);
  empty_data.set_data("");  // present but empty
  cases.push_back(empty_data);
  Entry max = MakeEntry(std::numeric_limits<uint64_t>::max(),
                        std::numeric_limits<uint64_t>::max());
  cases.push_back(max);
  return cases;
}

TEST(FormatTest, EntryEncodingIsRaftpb) {
  for (const Entry& e : CodecCases()) {
    const std::string want = ToProto(e).SerializeAsString();
    EXPECT_EQ(Encode(e), want);
    EXPECT_EQ(EncodedEntrySize(e), e.EncodedSize());
    absl::StatusOr<Entry> back = DecodeEntry(want);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(ToProto(*back).SerializeAsString(), want);
  }
}

TEST(FormatTest, EntryBatchRoundTripAndGarbage) {
  const std::vector<Entry> cases = CodecCases();
  std::string payload(EncodedEntriesSize(cases), '\0');
  EncodeEntries(cases, payload.data());
  std::vector<Entry> back;
  ASSERT_TRUE(DecodeEntries(payload, &back).ok());
  ASSERT_EQ(back.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(ToProto(back[i]).SerializeAsString(),
              ToProto(cases[i]).SerializeAsString());
  }
  // Cut anywhere inside the last entry, or a length past the end: refused.
  for (size_t cut = 1; cut <= Encode(cases.back()).size(); ++cut) {
    std::vector<Entry> out;
    EXPECT_FALSE(
        DecodeEntries(payload.substr(0, payload.size() - cut), &out).ok() &&
        out.size() == cases.size())
        << cut;
  }
  std::vector<Entry> out;
  EXPECT_FALSE(DecodeEntries(std::string("\x7f\x08", 2), &out).ok());
}

TEST(FormatTest, EntryDecodingSkipsUnknownFieldsAndRejectsGarbage) {
  raftpb::Entry p;
  p.set_index(5);
  p.set_term(2);
  std::string bytes = p.SerializeAsString();
  bytes += std::string("\x28\x07", 2);    // field 5, varint: unknown
  bytes += std::string("\x32\x02xy", 4);  // field 6, bytes: unknown
  absl::StatusOr<Entry> e = DecodeEntry(bytes);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->index(), 5u);
  EXPECT_EQ(e->term(), 2u);

  for (const std::string& bad :
       {std::string("\x10", 1), std::string("\x22\x05zz", 4),
        std::string("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11),
        std::string("\x0b", 1), std::string("\x00\x01", 2)}) {
    EXPECT_FALSE(DecodeEntry(bad).ok()) << absl::CEscape(bad);
  }
}

TEST(FormatTest, RecordRoundTripAndChain) {
  std::string seg;
  uint32_t chain = 0;
  AppendRecord(&seg, RecordType::kEntry, "first", &chain);
  const uint32_t after_first = chain;
  AppendRecord(&seg, RecordType::kHardState, "", &chain);
  AppendRecord(&seg, RecordType::kEntry, std::string(1000, 'z'), &chain);
  seg += std::string(100, '\0');  // preallocated space

  ReadResult r = ReadRecord(seg, 0, 0);
  ASSERT_EQ(r.kind, ReadResult::kRecord) << r.reason;
  EXPECT_EQ(r.type, RecordType::kEntry);
  EXPECT_EQ(r.payload, "first");
  EXPECT_EQ(r.crc, after_first);
  // The second record only verifies chained from the first.
  EXPECT_EQ(ReadRecord(seg, r.next, 0).kind, ReadResult::kBad);
  r = ReadRecord(seg, r.next, after_first);
  ASSERT_EQ(r.kind, ReadResult::kRecord) << r.reason;
  EXPECT_EQ(r.type, RecordType::kHardState);
  EXPECT_TRUE(r.payload.empty());
  r = ReadRecord(seg, r.next, r.crc);
  ASSERT_EQ(r.kind, ReadResult::kRecord) << r.reason;
  EXPECT_EQ(r.payload.size(), 1000u);
  EXPECT_EQ(r.crc, chain);
  EXPECT_EQ(ReadRecord(seg, r.next, r.crc).kind, ReadResult::kEnd);
}

TEST(FormatTest, ZerosNeverVerify) {
  // A zero header fails its own check, whatever the seed.
  const std::string zeros(64, '\0');
  EXPECT_NE(Crc32c(0, zeros.substr(0, 8)), 0u);
  EXPECT_EQ(ReadRecord(zeros, 0, 0).kind, ReadResult::kEnd);
  std::string s = zeros;
  s[40] = 1;
  const ReadResult r = ReadRecord(s, 0, 0);
  EXPECT_EQ(r.kind, ReadResult::kBad);
  EXPECT_EQ(r.rest, kRecordHeaderSize);
}

TEST(FormatTest, DamageIsClassified) {
  std::string seg;
  uint32_t chain = 0;
  AppendRecord(&seg, RecordType::kEntry, "payload bytes", &chain);
  // Cut short: incomplete.
  for (size_t n = 1; n < seg.size(); ++n) {
    std::string cut = seg.substr(0, n);
    if (AllZero(cut, 0)) continue;
    const ReadResult r = ReadRecord(cut, 0, 0);
    EXPECT_EQ(r.kind, ReadResult::kBad) << n;
    EXPECT_TRUE(r.incomplete) << n;
  }
  // Every single-bit flip is caught.
  for (size_t byte = 0; byte < seg.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = seg;
      flipped[byte] = static_cast<char>(flipped[byte] ^ (1 << bit));
      flipped += std::string(8, '\0');
      EXPECT_NE(ReadRecord(flipped, 0, 0).kind, ReadResult::kRecord)
          << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(FormatTest, SegmentNames) {
  EXPECT_EQ(SegmentName(1, 0x2a), "0000000000000001-000000000000002a.wal");
  auto id = ParseSegmentName("00000000000000ff-0000000000000100.wal");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->seq, 0xffu);
  EXPECT_EQ(id->first_index, 0x100u);
  for (const char* bad :
       {"0000000000000001-000000000000002a.wal.tmp",
        "000000000000001-000000000000002a.wal",
        "0000000000000001_000000000000002a.wal",
        "000000000000000G-000000000000002a.wal",
        "0000000000000001-000000000000002A.wal", "LOCK", ""}) {
    EXPECT_FALSE(ParseSegmentName(bad).has_value()) << bad;
  }
}

TEST(FormatTest, HeaderAndMarkerPayloads) {
  absl::StatusOr<SegmentHeader> h =
      DecodeSegmentHeader(EncodeSegmentHeader({3, 99, 0xabcdef01}));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->seq, 3u);
  EXPECT_EQ(h->first_index, 99u);
  EXPECT_EQ(h->prev_crc, 0xabcdef01u);
  EXPECT_FALSE(DecodeSegmentHeader("short").ok());

  SnapshotMarker m;
  m.index = 10;
  m.term = 4;
  m.conf_state.add_voters(1);
  m.conf_state.add_learners(7);
  absl::StatusOr<DecodedMarker> d =
      DecodeSnapshotMarker(EncodeSnapshotMarker(m, true));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->keeps_log);
  EXPECT_EQ(d->marker.index, 10u);
  EXPECT_EQ(d->marker.term, 4u);
  EXPECT_EQ(d->marker.conf_state.SerializeAsString(),
            m.conf_state.SerializeAsString());
  std::string bad_flags = EncodeSnapshotMarker(m, false);
  bad_flags[16] = 4;
  EXPECT_FALSE(DecodeSnapshotMarker(bad_flags).ok());
}

}  // namespace
}  // namespace craft::wal_internal
