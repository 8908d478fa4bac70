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
      context_(other.context_),
      rare_(other.rare_ == nullptr
                ? nullptr
                : std::make_unique<RareFields>(*other.rare_)) {}

Message& Message::operator=(const Message& other) {
  if (this != &other) *this = Message(other);
  return *this;
}

Message::RareFields& Message::Rare() {
  if (rare_ == nullptr) rare_ = std::make_unique<RareFields>();
  return *rare_;
}

const raftpb::Snapshot& Message::snapshot() const {
  return has_snapshot() ? rare_->snapshot
                        : raftpb::Snapshot::default_instance();
}

raftpb::Snapshot* Message::mutable_snapshot() {
  RareFields& rare = Rare();
  rare.has_snapshot = true;
  return &rare.snapshot;
}

void Message::clear_snapshot() {
  if (rare_ == nullptr) return;
  rare_->has_snapshot = false;
  rare_->snapshot.Clear();
}

const std::vector<Message>& Message::responses() const {
  static const std::vector<Message>* const kNone = new std::vector<Message>();
  return rare_ == nullptr ? *kNone : rare_->responses;
}

}  // namespace craft
