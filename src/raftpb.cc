#include "craft/raftpb.h"

#include <string>

namespace craft {

absl::string_view MessageTypeName(raftpb::MessageType t) {
  const std::string& name = raftpb::MessageType_Name(t);
  return name;
}

absl::string_view EntryTypeName(raftpb::EntryType t) {
  const std::string& name = raftpb::EntryType_Name(t);
  return name;
}

}  // namespace craft
