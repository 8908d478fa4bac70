// The wire form of craft's messages: raftpb (proto/craft/raftpb.proto),
// byte for byte etcd-io/raft's encoding. The core works on plain values
// (craft/message.h, craft/entry.h); a transport encodes them here and
// decodes what arrives.

#ifndef CRAFT_WIRE_H_
#define CRAFT_WIRE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "craft/entry.h"
#include "craft/hard_state.h"
#include "craft/message.h"
#include "craft/raftpb.pb.h"

namespace craft {

// EncodeMessage returns `m` encoded as a raftpb.Message.
std::string EncodeMessage(const Message& m);

// DecodeMessage parses a raftpb.Message. InvalidArgument for bytes that are
// not one. (Whether the message makes sense is for Step to judge.)
absl::StatusOr<Message> DecodeMessage(absl::string_view bytes);

// The same entry or message as the generated protobuf class, and back; field
// presence is kept.
raftpb::HardState ToProto(const HardState& hs);
HardState FromProto(const raftpb::HardState& hs);
raftpb::Entry ToProto(const Entry& e);
raftpb::Message ToProto(const Message& m);
Entry FromProto(const raftpb::Entry& e);
Message FromProto(const raftpb::Message& m);

}  // namespace craft

#endif  // CRAFT_WIRE_H_
