// Entry is one log entry, as the core, the Ready and the storage hold it: a
// plain value (32 bytes) whose data is a shared Payload, so that copying an
// entry never copies its bytes.
//
// Its accessors follow the generated protobuf class Entry (the wire
// form, proto/craft/raftpb.proto), including proto2's field presence, so
// that EncodedSize() is exactly the size of the encoded Entry (the
// unit of every byte budget, as in etcd-io/raft) and the conversion to and
// from the wire form (craft/wire.h) round-trips.

#ifndef CRAFT_ENTRY_H_
#define CRAFT_ENTRY_H_

#include <cstdint>

#include "absl/numeric/bits.h"
#include "absl/strings/string_view.h"
#include "craft/payload.h"
#include "craft/raftpb.pb.h"

namespace craft {

class Entry {
 public:
  Entry() = default;

  uint64_t term() const { return term_; }
  uint64_t index() const { return index_; }
  raftpb::EntryType type() const { return type_; }
  const Payload& data() const { return data_; }

  void set_term(uint64_t v) {
    Resize(kTerm, has_term() ? FieldSize(term_) : 0, FieldSize(v));
    term_ = v;
  }
  void set_index(uint64_t v) {
    Resize(kIndex, has_index() ? FieldSize(index_) : 0, FieldSize(v));
    index_ = v;
  }
  void set_type(raftpb::EntryType v) {
    Resize(kType, has_type() ? TypeSize(type_) : 0, TypeSize(v));
    type_ = v;
  }
  void set_data(Payload v) {
    Resize(kData, has_data() ? FieldSize(data_.size()) : 0,
           FieldSize(v.size()));
    data_ = std::move(v);
  }
  void set_data(absl::string_view v) { set_data(Payload(v)); }

  bool has_term() const { return (has_ & kTerm) != 0; }
  bool has_index() const { return (has_ & kIndex) != 0; }
  bool has_type() const { return (has_ & kType) != 0; }
  bool has_data() const { return (has_ & kData) != 0; }

  void clear_term() {
    if (has_term()) Resize(kTerm, FieldSize(term_), 0);
    has_ &= ~kTerm;
    term_ = 0;
  }
  void clear_data() {
    if (has_data()) Resize(kData, FieldSize(data_.size()), 0);
    has_ &= ~kData;
    data_ = Payload();
  }

  // The size of the encoded Entry: the byte budgets ask it of every entry
  // of every append and Ready, so the setters keep the size of everything
  // but the data bytes up to date.
  uint64_t EncodedSize() const { return header_size_ + data_.size(); }

 private:
  // The length of `v` as a protobuf varint: one byte per started group of
  // seven bits, at least one.
  static uint8_t VarintSize(uint64_t v) {
    const int bits = 64 - absl::countl_zero(v | 1);
    return static_cast<uint8_t>((bits * 9 + 64) / 64);
  }
  // A varint field with its one-byte tag (every field number of
  // raftpb.Entry is below 16); for data, its length prefix.
  static uint8_t FieldSize(uint64_t v) { return 1 + VarintSize(v); }
  // Enums encode as sign-extended varints.
  static uint8_t TypeSize(raftpb::EntryType t) {
    return FieldSize(static_cast<uint64_t>(int64_t{t}));
  }
  void Resize(uint8_t field, uint8_t old_size, uint8_t new_size) {
    header_size_ = static_cast<uint8_t>(header_size_ - old_size + new_size);
    has_ |= field;
  }

  static constexpr uint8_t kTerm = 1, kIndex = 2, kType = 4, kData = 8;

  uint64_t term_ = 0;
  uint64_t index_ = 0;
  raftpb::EntryType type_ = raftpb::EntryNormal;
  uint8_t has_ = 0;
  // The encoded size of the present fields, less the data bytes (at most
  // four tags and four ten-byte varints).
  uint8_t header_size_ = 0;
  Payload data_;
};

}  // namespace craft

#endif  // CRAFT_ENTRY_H_
