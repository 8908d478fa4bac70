// Message is what nodes send each other (and, with asynchronous storage
// writes, what a node exchanges with its storage threads): a plain value
// whose entries share their payloads (craft/entry.h).
//
// Its accessors follow the generated protobuf class Message, the
// wire form (proto/craft/raftpb.proto), including proto2's field presence;
// craft/wire.h converts between the two and encodes and decodes messages
// byte for byte as etcd-io/raft does. A one-entry append carries its entry
// inline, without an allocation. The context is a shared Payload (a
// heartbeat round shares one among its messages and their responses), and
// the fields only local or snapshot messages use live behind one pointer,
// which keeps a message small (128 bytes) and cheap to move.

#ifndef CRAFT_MESSAGE_H_
#define CRAFT_MESSAGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "craft/entry.h"
#include "craft/raftpb.pb.h"

namespace craft {

class Message {
 public:
  using EntryList = absl::InlinedVector<Entry, 1>;

  Message() = default;
  Message(const Message& other);
  Message& operator=(const Message& other);
  Message(Message&&) noexcept = default;
  Message& operator=(Message&&) noexcept = default;
  ~Message() = default;

  raftpb::MessageType type() const { return type_; }
  uint64_t to() const { return to_; }
  uint64_t from() const { return from_; }
  uint64_t term() const { return term_; }
  uint64_t log_term() const { return log_term_; }
  uint64_t index() const { return index_; }
  uint64_t commit() const { return commit_; }
  uint64_t vote() const { return vote_; }
  bool reject() const { return reject_; }
  uint64_t reject_hint() const { return reject_hint_; }
  const Payload& context() const { return context_; }

  void set_type(raftpb::MessageType v) { Set(type_, v, kType); }
  void set_to(uint64_t v) { Set(to_, v, kTo); }
  void set_from(uint64_t v) { Set(from_, v, kFrom); }
  void set_term(uint64_t v) { Set(term_, v, kTerm); }
  void set_log_term(uint64_t v) { Set(log_term_, v, kLogTerm); }
  void set_index(uint64_t v) { Set(index_, v, kIndex); }
  void set_commit(uint64_t v) { Set(commit_, v, kCommit); }
  void set_vote(uint64_t v) { Set(vote_, v, kVote); }
  void set_reject(bool v) { Set(reject_, v, kReject); }
  void set_reject_hint(uint64_t v) { Set(reject_hint_, v, kRejectHint); }
  void set_context(Payload v) { Set(context_, std::move(v), kContext); }
  void set_context(absl::string_view v) { set_context(Payload(v)); }

  bool has_type() const { return Has(kType); }
  bool has_to() const { return Has(kTo); }
  bool has_from() const { return Has(kFrom); }
  bool has_term() const { return Has(kTerm); }
  bool has_log_term() const { return Has(kLogTerm); }
  bool has_index() const { return Has(kIndex); }
  bool has_commit() const { return Has(kCommit); }
  bool has_vote() const { return Has(kVote); }
  bool has_reject() const { return Has(kReject); }
  bool has_reject_hint() const { return Has(kRejectHint); }
  bool has_context() const { return Has(kContext); }
  bool has_snapshot() const { return rare_ != nullptr && rare_->has_snapshot; }

  void clear_type() { Clear(type_, kType); }
  void clear_to() { Clear(to_, kTo); }
  void clear_from() { Clear(from_, kFrom); }
  void clear_term() { Clear(term_, kTerm); }
  void clear_log_term() { Clear(log_term_, kLogTerm); }
  void clear_index() { Clear(index_, kIndex); }
  void clear_commit() { Clear(commit_, kCommit); }
  void clear_vote() { Clear(vote_, kVote); }
  void clear_reject() { Clear(reject_, kReject); }
  void clear_reject_hint() { Clear(reject_hint_, kRejectHint); }
  void clear_context() { Clear(context_, kContext); }
  void clear_entries() { entries_.clear(); }
  void clear_responses() {
    if (rare_ != nullptr) rare_->responses.clear();
  }

  // Entries.
  const EntryList& entries() const { return entries_; }
  const Entry& entries(int i) const { return entries_[i]; }
  int entries_size() const { return static_cast<int>(entries_.size()); }
  Entry* add_entries() { return &entries_.emplace_back(); }
  EntryList* mutable_entries() { return &entries_; }
  Entry* mutable_entries(int i) { return &entries_[i]; }

  // The snapshot (MsgSnap, MsgStorageAppend), kept out of line: rare and
  // large.
  const raftpb::Snapshot& snapshot() const;
  raftpb::Snapshot* mutable_snapshot();
  void clear_snapshot();

  // The responses a storage thread steps back (asynchronous storage
  // writes).
  const std::vector<Message>& responses() const;
  const Message& responses(int i) const { return responses()[i]; }
  int responses_size() const {
    return rare_ == nullptr ? 0 : static_cast<int>(rare_->responses.size());
  }
  Message* add_responses() { return &Rare().responses.emplace_back(); }
  std::vector<Message>* mutable_responses() { return &Rare().responses; }

 private:
  enum Field : uint16_t {
    kType = 1 << 0,
    kTo = 1 << 1,
    kFrom = 1 << 2,
    kTerm = 1 << 3,
    kLogTerm = 1 << 4,
    kIndex = 1 << 5,
    kCommit = 1 << 6,
    kVote = 1 << 7,
    kReject = 1 << 8,
    kRejectHint = 1 << 9,
    kContext = 1 << 10,
  };

  template <typename T, typename V>
  void Set(T& field, V&& v, Field f) {
    field = std::forward<V>(v);
    has_ |= f;
  }
  template <typename T>
  void Clear(T& field, Field f) {
    field = T();
    has_ &= ~f;
  }
  bool Has(Field f) const { return (has_ & f) != 0; }

  uint64_t to_ = 0;
  uint64_t from_ = 0;
  uint64_t term_ = 0;
  uint64_t log_term_ = 0;
  uint64_t index_ = 0;
  uint64_t commit_ = 0;
  uint64_t vote_ = 0;
  uint64_t reject_hint_ = 0;
  raftpb::MessageType type_ = raftpb::MsgHup;
  bool reject_ = false;
  uint16_t has_ = 0;
  EntryList entries_;
  Payload context_;
  // What only MsgSnap and the storage threads' messages carry.
  struct RareFields {
    bool has_snapshot = false;
    raftpb::Snapshot snapshot;
    std::vector<Message> responses;
  };
  RareFields& Rare();
  std::unique_ptr<RareFields> rare_;
};

}  // namespace craft

#endif  // CRAFT_MESSAGE_H_
