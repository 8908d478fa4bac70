#include "craft/wire.h"

#include <limits>
#include <string>

#include "absl/status/status.h"

namespace craft {

raftpb::HardState ToProto(const HardState& hs) {
  raftpb::HardState p;
  p.set_term(hs.term());
  p.set_vote(hs.vote());
  p.set_commit(hs.commit());
  return p;
}

HardState FromProto(const raftpb::HardState& p) {
  HardState hs;
  hs.set_term(p.term());
  hs.set_vote(p.vote());
  hs.set_commit(p.commit());
  return hs;
}

raftpb::Entry ToProto(const Entry& e) {
  raftpb::Entry p;
  if (e.has_term()) p.set_term(e.term());
  if (e.has_index()) p.set_index(e.index());
  if (e.has_type()) p.set_type(e.type());
  if (e.has_data()) p.set_data(e.data().data(), e.data().size());
  return p;
}

Entry FromProto(const raftpb::Entry& p) {
  Entry e;
  if (p.has_term()) e.set_term(p.term());
  if (p.has_index()) e.set_index(p.index());
  if (p.has_type()) e.set_type(p.type());
  if (p.has_data()) e.set_data(absl::string_view(p.data()));
  return e;
}

raftpb::Message ToProto(const Message& m) {
  raftpb::Message p;
  if (m.has_type()) p.set_type(m.type());
  if (m.has_to()) p.set_to(m.to());
  if (m.has_from()) p.set_from(m.from());
  if (m.has_term()) p.set_term(m.term());
  if (m.has_log_term()) p.set_log_term(m.log_term());
  if (m.has_index()) p.set_index(m.index());
  p.mutable_entries()->Reserve(m.entries_size());
  for (const Entry& e : m.entries()) *p.add_entries() = ToProto(e);
  if (m.has_commit()) p.set_commit(m.commit());
  if (m.has_vote()) p.set_vote(m.vote());
  if (m.has_snapshot()) *p.mutable_snapshot() = m.snapshot();
  if (m.has_reject()) p.set_reject(m.reject());
  if (m.has_reject_hint()) p.set_reject_hint(m.reject_hint());
  if (m.has_context()) p.set_context(m.context().ToString());
  for (const Message& r : m.responses()) *p.add_responses() = ToProto(r);
  return p;
}

Message FromProto(const raftpb::Message& p) {
  Message m;
  if (p.has_type()) m.set_type(p.type());
  if (p.has_to()) m.set_to(p.to());
  if (p.has_from()) m.set_from(p.from());
  if (p.has_term()) m.set_term(p.term());
  if (p.has_log_term()) m.set_log_term(p.log_term());
  if (p.has_index()) m.set_index(p.index());
  m.mutable_entries()->reserve(p.entries_size());
  for (const raftpb::Entry& e : p.entries()) {
    m.mutable_entries()->push_back(FromProto(e));
  }
  if (p.has_commit()) m.set_commit(p.commit());
  if (p.has_vote()) m.set_vote(p.vote());
  if (p.has_snapshot()) *m.mutable_snapshot() = p.snapshot();
  if (p.has_reject()) m.set_reject(p.reject());
  if (p.has_reject_hint()) m.set_reject_hint(p.reject_hint());
  if (p.has_context()) m.set_context(absl::string_view(p.context()));
  for (const raftpb::Message& r : p.responses()) {
    *m.add_responses() = FromProto(r);
  }
  return m;
}

std::string EncodeMessage(const Message& m) {
  return ToProto(m).SerializeAsString();
}

absl::StatusOr<Message> DecodeMessage(absl::string_view bytes) {
  raftpb::Message p;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("not a raftpb.Message");
  }
  return FromProto(p);
}

}  // namespace craft
