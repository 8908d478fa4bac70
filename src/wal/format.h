// The on-disk format of the WAL: segment files, record framing and record
// payloads. Everything is little-endian.
//
// A WAL is a directory of segment files named "%016x-%016x.wal" (the
// segment's sequence number, then the index of the first entry it may hold:
// the log's last index plus one when it was created). Sequence numbers are
// consecutive from the oldest segment kept to the newest; only the newest is
// written to. A segment is created under a temporary name ("<name>.tmp"),
// preallocated with zeros, given its first records, synced, and renamed
// into place, so a segment that exists always begins with a durable header.
//
// A segment is a sequence of records, then zeros to the end of the file.
// A record is a 16-byte header and a payload:
//
//   offset  size  field
//        0     4  crc          CRC-32C of bytes [4, 16 + length) of the
//                              record, seeded with the crc of the record
//                              before it in the segment (0 for the first)
//        4     4  length       payload length
//        8     1  type         RecordType
//        9     3  reserved     zero
//       12     4  header_crc   CRC-32C (seed 0) of bytes [4, 12)
//       16     -  payload
//
// The header check lets a reader trust `length` (and tell a header that was
// damaged from a payload that was) before reading the payload; the chained
// crc means a record left over from an earlier write can never be taken for
// the one that follows, and that dropping or reordering records breaks the
// chain. Neither check passes on zeros, which is how a reader finds the end.
//
// Record types and their payloads:
//   kSegmentHeader  always the segment's first record:
//                     magic "craftwal" (8 bytes), format version (u32, 1),
//                     reserved (u32, 0), sequence number (u64), first index
//                     (u64, as in the name), and the crc of the last record
//                     of the previous segment (u32), which carries the chain
//                     across segments.
//   kEntry          a raftpb.Entry in protobuf encoding.
//   kEntries        consecutive entries, each a varint length and then a
//                     raftpb.Entry in protobuf encoding. Save writes its
//                     entries this way, in records of at most about 1 MiB:
//                     one record header per batch, not per entry.
//   kHardState      a raftpb.HardState in protobuf encoding.
//   kSnapshotMarker index (u64), term (u64), flags (u8: bit 0 set if the
//                     log kept its entries after the index, clear if the
//                     snapshot replaced the log), then a raftpb.ConfState in
//                     protobuf encoding.
// A new segment repeats the latest hard state and snapshot marker right
// after its header, so that deleting older segments never loses them.
//
// Since the magic and the version sit at fixed offsets (16 and 24), a
// reader can recognise a segment of a newer format even if that format
// frames its records differently.

#ifndef CRAFT_SRC_WAL_FORMAT_H_
#define CRAFT_SRC_WAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "craft/entry.h"
#include "craft/wal/wal.h"

namespace craft::wal_internal {

inline constexpr size_t kRecordHeaderSize = 16;
// The largest payload a record may have (a reader refuses larger lengths).
inline constexpr uint32_t kMaxRecordPayload = uint32_t{1} << 30;

enum class RecordType : uint8_t {
  kSegmentHeader = 1,
  kEntry = 2,
  kHardState = 3,
  kSnapshotMarker = 4,
  kEntries = 5,
};

inline constexpr absl::string_view kSegmentMagic = "craftwal";
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kMagicOffset = kRecordHeaderSize;
inline constexpr size_t kVersionOffset = kMagicOffset + 8;
inline constexpr size_t kSegmentHeaderPayloadSize = 8 + 4 + 4 + 8 + 8 + 4;

// Fixed-width little-endian integers.
void PutFixed32(char* dst, uint32_t v);
void PutFixed64(char* dst, uint64_t v);
uint32_t GetFixed32(const char* src);
uint64_t GetFixed64(const char* src);

// Appends one record to *dst: reserves its header and `payload_size` bytes
// of payload, which the caller fills in at the returned position (the
// offset of the payload in *dst), then calls FinishRecord.
size_t BeginRecord(std::string* dst, RecordType type, size_t payload_size);
// Computes the header check and the crc of the record whose payload starts
// at `payload_pos` in *dst, chained from *chain, and sets *chain to it.
void FinishRecord(std::string* dst, size_t payload_pos, uint32_t* chain);
// Both at once for a payload already built.
void AppendRecord(std::string* dst, RecordType type, absl::string_view payload,
                  uint32_t* chain);

// The framed size of a record with a payload of `payload_size` bytes.
inline uint64_t RecordSize(uint64_t payload_size) {
  return kRecordHeaderSize + payload_size;
}

// What ReadRecord found at an offset of a segment.
struct ReadResult {
  enum Kind {
    kRecord,  // a whole record whose checks pass
    kEnd,     // zeros from the offset to the end of the data (or no data)
    kBad,     // anything else; see `incomplete`, `rest` and `reason`
  };
  Kind kind = kEnd;
  RecordType type = RecordType::kSegmentHeader;
  absl::string_view payload;
  uint32_t crc = 0;         // the record's crc (the next record's seed)
  uint64_t next = 0;        // kRecord: the offset just past the record
  bool incomplete = false;  // kBad: the data ends inside the record
  // kBad and not incomplete: the offset from which everything would have to
  // be zero for the damage to be a torn write (just past the record if its
  // header verified, just past the header if not), and whether the record's
  // last byte is zero (a torn write leaves the end of a record unwritten).
  uint64_t rest = 0;
  bool ends_in_zero = false;
  std::string reason;  // kBad: what is wrong
};

// Reads the record at `offset` of `data`, whose crc must chain from `seed`.
ReadResult ReadRecord(absl::string_view data, uint64_t offset, uint32_t seed);

// Whether data[from, end) is all zero.
bool AllZero(absl::string_view data, uint64_t from);

// The segment header record's payload.
struct SegmentHeader {
  uint64_t seq = 0;
  uint64_t first_index = 0;
  uint32_t prev_crc = 0;
};
std::string EncodeSegmentHeader(const SegmentHeader& h);
// InvalidArgument with a reason for a payload that is not one (the caller
// adds the file and offset).
absl::StatusOr<SegmentHeader> DecodeSegmentHeader(absl::string_view payload);

// Entries in raftpb.Entry's encoding, byte for byte what
// ToProto(e).SerializeAsString() gives, without the protobuf object.
size_t EncodedEntrySize(const Entry& e);
// Writes the encoding to dst (EncodedEntrySize(e) bytes).
void EncodeEntry(const Entry& e, char* dst);
absl::StatusOr<Entry> DecodeEntry(absl::string_view payload);

// A kEntries payload.
size_t EncodedEntriesSize(absl::Span<const Entry> entries);
void EncodeEntries(absl::Span<const Entry> entries, char* dst);
// Appends the entries to *out; InvalidArgument (with *out possibly
// extended) for a payload that is not one.
absl::Status DecodeEntries(absl::string_view payload, std::vector<Entry>* out);

std::string EncodeHardState(const HardState& hs);
absl::StatusOr<HardState> DecodeHardState(absl::string_view payload);

std::string EncodeSnapshotMarker(const SnapshotMarker& m, bool keeps_log);
struct DecodedMarker {
  SnapshotMarker marker;
  bool keeps_log = false;
};
absl::StatusOr<DecodedMarker> DecodeSnapshotMarker(absl::string_view payload);

// Segment file names.
std::string SegmentName(uint64_t seq, uint64_t first_index);
// The sequence number and first index of a segment file name; nullopt for
// any other name.
struct SegmentId {
  uint64_t seq = 0;
  uint64_t first_index = 0;
};
std::optional<SegmentId> ParseSegmentName(absl::string_view name);
inline constexpr absl::string_view kTempSuffix = ".tmp";

// Parses exactly 16 lowercase hexadecimal digits.
std::optional<uint64_t> ParseHex16(absl::string_view s);

}  // namespace craft::wal_internal

#endif  // CRAFT_SRC_WAL_FORMAT_H_
