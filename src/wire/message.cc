#include "craft/message.h"

#include "craft/entry.h"
#include "google/protobuf/io/coded_stream.h"

namespace craft {
namespace {

// The size of a varint field with a one-byte tag (every field number of
// raftpb.Entry is below 16).
uint64_t VarintField(uint64_t v) {
  return 1 + google::protobuf::io::CodedOutputStream::VarintSize64(v);
}

}  // namespace

uint64_t Entry::EncodedSize() const {
  uint64_t n = 0;
  if (has_term()) n += VarintField(term_);
  if (has_index()) n += VarintField(index_);
  // Enums encode as sign-extended varints.
  if (has_type()) n += VarintField(static_cast<uint64_t>(int64_t{type_}));
  if (has_data()) n += VarintField(data_.size()) + data_.size();
  return n;
}

Message::Message(const Message& other)
    : to_(other.to_),
      from_(other.from_),
      term_(other.term_),
      log_term_(other.log_term_),
      index_(other.index_),
      commit_(other.commit_),
      vote_(other.vote_),
      reject_hint_(other.reject_hint_),
      type_(other.type_),
      reject_(other.reject_),
      has_(other.has_),
      entries_(other.entries_),
      snapshot_(other.snapshot_ == nullptr
                    ? nullptr
                    : std::make_unique<raftpb::Snapshot>(*other.snapshot_)),
      context_(other.context_),
      responses_(other.responses_) {}

Message& Message::operator=(const Message& other) {
  if (this != &other) *this = Message(other);
  return *this;
}

const raftpb::Snapshot& Message::snapshot() const {
  return snapshot_ == nullptr ? raftpb::Snapshot::default_instance()
                              : *snapshot_;
}

raftpb::Snapshot* Message::mutable_snapshot() {
  if (snapshot_ == nullptr) snapshot_ = std::make_unique<raftpb::Snapshot>();
  return snapshot_.get();
}

}  // namespace craft
