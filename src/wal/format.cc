#include "wal/format.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "craft/wire.h"
#include "wal/crc32c.h"

namespace craft::wal_internal {

void PutFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}

void PutFixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}

uint32_t GetFixed32(const char* src) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= uint32_t{static_cast<unsigned char>(src[i])} << (8 * i);
  }
  return v;
}

uint64_t GetFixed64(const char* src) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= uint64_t{static_cast<unsigned char>(src[i])} << (8 * i);
  }
  return v;
}

size_t BeginRecord(std::string* dst, RecordType type, size_t payload_size) {
  const size_t start = dst->size();
  dst->resize(start + kRecordHeaderSize + payload_size);
  char* h = dst->data() + start;
  PutFixed32(h + 4, static_cast<uint32_t>(payload_size));
  h[8] = static_cast<char>(type);
  h[9] = h[10] = h[11] = 0;
  return start + kRecordHeaderSize;
}

void FinishRecord(std::string* dst, size_t payload_pos, uint32_t* chain) {
  char* h = dst->data() + payload_pos - kRecordHeaderSize;
  PutFixed32(h + 12, Crc32c(0, absl::string_view(h + 4, 8)));
  const size_t length = GetFixed32(h + 4);
  const uint32_t crc =
      Crc32c(*chain, absl::string_view(h + 4, kRecordHeaderSize - 4 + length));
  PutFixed32(h, crc);
  *chain = crc;
}

void AppendRecord(std::string* dst, RecordType type, absl::string_view payload,
                  uint32_t* chain) {
  const size_t pos = BeginRecord(dst, type, payload.size());
  if (!payload.empty()) {
    std::memcpy(dst->data() + pos, payload.data(), payload.size());
  }
  FinishRecord(dst, pos, chain);
}

bool AllZero(absl::string_view data, uint64_t from) {
  if (from >= data.size()) return true;
  const char* p = data.data() + from;
  const char* end = data.data() + data.size();
  // Word at a time once aligned: segments end in megabytes of zeros.
  while (p < end && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    if (*p++ != 0) return false;
  }
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (w != 0) return false;
    p += 8;
  }
  while (p < end) {
    if (*p++ != 0) return false;
  }
  return true;
}

ReadResult ReadRecord(absl::string_view data, uint64_t offset, uint32_t seed) {
  ReadResult r;
  if (AllZero(data, offset)) return r;  // kEnd
  r.kind = ReadResult::kBad;
  const uint64_t remaining = data.size() - offset;
  if (remaining < kRecordHeaderSize) {
    r.incomplete = true;
    r.reason = absl::StrFormat(
        "record header cut short by the end of the file (%d of %d bytes)",
        remaining, kRecordHeaderSize);
    return r;
  }
  const char* h = data.data() + offset;
  const uint32_t length = GetFixed32(h + 4);
  r.rest = offset + kRecordHeaderSize;
  r.ends_in_zero = true;  // unknown extent: zeros after the header suffice
  if (Crc32c(0, absl::string_view(h + 4, 8)) != GetFixed32(h + 12)) {
    r.reason = "record header checksum mismatch";
    return r;
  }
  if (h[9] != 0 || h[10] != 0 || h[11] != 0) {
    r.ends_in_zero = false;
    r.reason = "record header has reserved bits set";
    return r;
  }
  if (length > kMaxRecordPayload) {
    r.ends_in_zero = false;
    r.reason = absl::StrFormat("record length %d exceeds the limit of %d",
                               length, kMaxRecordPayload);
    return r;
  }
  if (length > remaining - kRecordHeaderSize) {
    r.incomplete = true;
    r.reason = absl::StrFormat(
        "record of %d bytes cut short by the end of the file (%d bytes "
        "present)",
        kRecordHeaderSize + length, remaining);
    return r;
  }
  const uint64_t end = offset + kRecordHeaderSize + length;
  r.rest = end;
  r.ends_in_zero = data[end - 1] == 0;
  const uint32_t crc = Crc32c(seed, data.substr(offset + 4, end - offset - 4));
  if (crc != GetFixed32(h)) {
    r.reason =
        "record checksum mismatch (damaged, or not the record that "
        "follows the one before it)";
    return r;
  }
  r.kind = ReadResult::kRecord;
  r.type = static_cast<RecordType>(static_cast<uint8_t>(h[8]));
  r.payload = data.substr(offset + kRecordHeaderSize, length);
  r.crc = crc;
  r.next = end;
  return r;
}

std::string EncodeSegmentHeader(const SegmentHeader& h) {
  std::string s(kSegmentHeaderPayloadSize, '\0');
  std::memcpy(s.data(), kSegmentMagic.data(), kSegmentMagic.size());
  PutFixed32(s.data() + 8, kFormatVersion);
  PutFixed32(s.data() + 12, 0);
  PutFixed64(s.data() + 16, h.seq);
  PutFixed64(s.data() + 24, h.first_index);
  PutFixed32(s.data() + 32, h.prev_crc);
  return s;
}

absl::StatusOr<SegmentHeader> DecodeSegmentHeader(absl::string_view payload) {
  if (payload.size() != kSegmentHeaderPayloadSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("segment header of %d bytes, want %d", payload.size(),
                        kSegmentHeaderPayloadSize));
  }
  if (payload.substr(0, 8) != kSegmentMagic) {
    return absl::InvalidArgumentError("bad magic in segment header");
  }
  if (const uint32_t v = GetFixed32(payload.data() + 8); v != kFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrFormat("unsupported format version %d", v));
  }
  if (GetFixed32(payload.data() + 12) != 0) {
    return absl::InvalidArgumentError("segment header has reserved bits set");
  }
  SegmentHeader h;
  h.seq = GetFixed64(payload.data() + 16);
  h.first_index = GetFixed64(payload.data() + 24);
  h.prev_crc = GetFixed32(payload.data() + 32);
  return h;
}

namespace {

// Protobuf wire format: tags and varints.
constexpr uint8_t kTagType = (1 << 3) | 0;   // field 1, varint
constexpr uint8_t kTagTerm = (2 << 3) | 0;   // field 2, varint
constexpr uint8_t kTagIndex = (3 << 3) | 0;  // field 3, varint
constexpr uint8_t kTagData = (4 << 3) | 2;   // field 4, length-delimited

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* PutVarint(char* dst, uint64_t v) {
  while (v >= 0x80) {
    *dst++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *dst++ = static_cast<char>(v);
  return dst;
}

// Reads a varint at *p (before end); false if malformed or cut short.
bool GetVarint(const char** p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    const uint64_t byte = static_cast<unsigned char>(*(*p)++);
    if (shift == 63 && byte > 1) return false;  // overflows 64 bits
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

uint64_t EnumValue(raftpb::EntryType t) {
  return static_cast<uint64_t>(static_cast<int64_t>(t));
}

}  // namespace

size_t EncodedEntrySize(const Entry& e) {
  size_t n = 0;
  if (e.has_type()) n += 1 + VarintSize(EnumValue(e.type()));
  if (e.has_term()) n += 1 + VarintSize(e.term());
  if (e.has_index()) n += 1 + VarintSize(e.index());
  if (e.has_data()) n += 1 + VarintSize(e.data().size()) + e.data().size();
  return n;
}

void EncodeEntry(const Entry& e, char* dst) {
  if (e.has_type()) {
    *dst++ = static_cast<char>(kTagType);
    dst = PutVarint(dst, EnumValue(e.type()));
  }
  if (e.has_term()) {
    *dst++ = static_cast<char>(kTagTerm);
    dst = PutVarint(dst, e.term());
  }
  if (e.has_index()) {
    *dst++ = static_cast<char>(kTagIndex);
    dst = PutVarint(dst, e.index());
  }
  if (e.has_data()) {
    *dst++ = static_cast<char>(kTagData);
    dst = PutVarint(dst, e.data().size());
    if (!e.data().empty()) {
      std::memcpy(dst, e.data().data(), e.data().size());
    }
  }
}

absl::StatusOr<Entry> DecodeEntry(absl::string_view payload) {
  Entry e;
  const char* p = payload.data();
  const char* end = p + payload.size();
  auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a raftpb.Entry: ", what));
  };
  while (p < end) {
    uint64_t tag;
    if (!GetVarint(&p, end, &tag)) return bad("malformed tag");
    const uint64_t field = tag >> 3;
    const int wire_type = static_cast<int>(tag & 7);
    if (field == 0) return bad("field number 0");
    if (wire_type == 0) {
      uint64_t v;
      if (!GetVarint(&p, end, &v)) return bad("malformed varint");
      if (field == 1) {
        const auto t = static_cast<int64_t>(v);
        // An enum value this build does not know is an unknown field (as
        // protobuf parses proto2's closed enums).
        if (t >= std::numeric_limits<int>::min() &&
            t <= std::numeric_limits<int>::max() &&
            raftpb::EntryType_IsValid(static_cast<int>(t))) {
          e.set_type(static_cast<raftpb::EntryType>(t));
        }
      } else if (field == 2) {
        e.set_term(v);
      } else if (field == 3) {
        e.set_index(v);
      }
    } else if (wire_type == 2) {
      uint64_t len;
      if (!GetVarint(&p, end, &len)) return bad("malformed length");
      if (len > static_cast<uint64_t>(end - p)) return bad("field cut short");
      if (field == 4) e.set_data(absl::string_view(p, len));
      p += len;
    } else if (wire_type == 1 || wire_type == 5) {
      const int n = wire_type == 1 ? 8 : 4;
      if (end - p < n) return bad("field cut short");
      p += n;
    } else {
      return bad(absl::StrFormat("unsupported wire type %d", wire_type));
    }
  }
  return e;
}

size_t EncodedEntriesSize(absl::Span<const Entry> entries) {
  size_t n = 0;
  for (const Entry& e : entries) {
    const size_t size = EncodedEntrySize(e);
    n += VarintSize(size) + size;
  }
  return n;
}

void EncodeEntries(absl::Span<const Entry> entries, char* dst) {
  for (const Entry& e : entries) {
    const size_t size = EncodedEntrySize(e);
    dst = PutVarint(dst, size);
    EncodeEntry(e, dst);
    dst += size;
  }
}

absl::Status DecodeEntries(absl::string_view payload, std::vector<Entry>* out) {
  const char* p = payload.data();
  const char* end = p + payload.size();
  while (p < end) {
    uint64_t len;
    if (!GetVarint(&p, end, &len) || len > static_cast<uint64_t>(end - p)) {
      return absl::InvalidArgumentError(
          "not a batch of entries: an entry's length runs past the record");
    }
    absl::StatusOr<Entry> e = DecodeEntry(absl::string_view(p, len));
    if (!e.ok()) return e.status();
    out->push_back(*std::move(e));
    p += len;
  }
  return absl::OkStatus();
}

std::string EncodeHardState(const HardState& hs) {
  return ToProto(hs).SerializeAsString();
}

absl::StatusOr<HardState> DecodeHardState(absl::string_view payload) {
  raftpb::HardState p;
  if (!p.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError("not a raftpb.HardState");
  }
  return FromProto(p);
}

namespace {
constexpr uint8_t kMarkerKeepsLog = 1;
constexpr size_t kMarkerFixedSize = 8 + 8 + 1;
}  // namespace

std::string EncodeSnapshotMarker(const SnapshotMarker& m, bool keeps_log) {
  std::string s(kMarkerFixedSize, '\0');
  PutFixed64(s.data(), m.index);
  PutFixed64(s.data() + 8, m.term);
  s[16] = static_cast<char>(keeps_log ? kMarkerKeepsLog : 0);
  m.conf_state.AppendToString(&s);
  return s;
}

absl::StatusOr<DecodedMarker> DecodeSnapshotMarker(absl::string_view payload) {
  if (payload.size() < kMarkerFixedSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("snapshot marker of %d bytes, want at least %d",
                        payload.size(), kMarkerFixedSize));
  }
  DecodedMarker d;
  d.marker.index = GetFixed64(payload.data());
  d.marker.term = GetFixed64(payload.data() + 8);
  const uint8_t flags = static_cast<uint8_t>(payload[16]);
  if ((flags & ~kMarkerKeepsLog) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("snapshot marker has unknown flags 0x%x", flags));
  }
  d.keeps_log = (flags & kMarkerKeepsLog) != 0;
  const absl::string_view cs = payload.substr(kMarkerFixedSize);
  if (!d.marker.conf_state.ParseFromArray(cs.data(),
                                          static_cast<int>(cs.size()))) {
    return absl::InvalidArgumentError(
        "snapshot marker's ConfState does not parse");
  }
  return d;
}

std::string SegmentName(uint64_t seq, uint64_t first_index) {
  return absl::StrFormat("%016x-%016x.wal", seq, first_index);
}

std::optional<uint64_t> ParseHex16(absl::string_view s) {
  if (s.size() != 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

std::optional<SegmentId> ParseSegmentName(absl::string_view name) {
  constexpr absl::string_view kSuffix = ".wal";
  if (name.size() != 16 + 1 + 16 + kSuffix.size() || name[16] != '-' ||
      name.substr(33) != kSuffix) {
    return std::nullopt;
  }
  std::optional<uint64_t> seq = ParseHex16(name.substr(0, 16));
  std::optional<uint64_t> first = ParseHex16(name.substr(17, 16));
  if (!seq || !first) return std::nullopt;
  return SegmentId{*seq, *first};
}

}  // namespace craft::wal_internal
