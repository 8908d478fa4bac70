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
    term_ = v;
    has_ |= kTerm;
  }
  void set_index(uint64_t v) {
    index_ = v;
    has_ |= kIndex;
  }
  void set_type(raftpb::EntryType v) {
    type_ = v;
    has_ |= kType;
  }
  void set_data(Payload v) {
    data_ = std::move(v);
    has_ |= kData;
  }
  void set_data(absl::string_view v) { set_data(Payload(v)); }

  bool has_term() const { return (has_ & kTerm) != 0; }
  bool has_index() const { return (has_ & kIndex) != 0; }
  bool has_type() const { return (has_ & kType) != 0; }
  bool has_data() const { return (has_ & kData) != 0; }

  void clear_term() {
    term_ = 0;
    has_ &= ~kTerm;
  }
  void clear_data() {
    data_ = Payload();
    has_ &= ~kData;
  }

  // The size of the encoded Entry.
  uint64_t EncodedSize() const;

 private:
  static constexpr uint8_t kTerm = 1, kIndex = 2, kType = 4, kData = 8;

  uint64_t term_ = 0;
  uint64_t index_ = 0;
  raftpb::EntryType type_ = raftpb::EntryNormal;
  uint8_t has_ = 0;
  Payload data_;
};

}  // namespace craft

#endif  // CRAFT_ENTRY_H_
