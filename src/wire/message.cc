#include "craft/message.h"

#include "craft/entry.h"

namespace craft {

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
