// craft's wire and storage types (generated from proto/craft/raftpb.proto)
// and the small vocabulary around them that every layer shares.

#ifndef CRAFT_RAFTPB_H_
#define CRAFT_RAFTPB_H_

#include <cstddef>
#include <cstdint>
#include <limits>

#include "absl/strings/string_view.h"
#include "craft/entry.h"
#include "craft/hard_state.h"
#include "craft/message.h"
#include "craft/raftpb.pb.h"

namespace craft {

// The names of the wire enums ("MsgApp", "EntryNormal"), as etcd-io/raft
// prints them; empty for a value this build does not know.
absl::string_view MessageTypeName(raftpb::MessageType t);
absl::string_view EntryTypeName(raftpb::EntryType t);

// kNone is the id of no node: no leader, no vote.
inline constexpr uint64_t kNone = 0;

// kNoLimit disables a byte budget (max sizes of messages, Ready batches).
inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

// The pseudo-node ids of the local storage threads that, with asynchronous
// storage writes, receive MsgStorageAppend and MsgStorageApply.
inline constexpr uint64_t kLocalAppendThread =
    std::numeric_limits<uint64_t>::max();
inline constexpr uint64_t kLocalApplyThread =
    std::numeric_limits<uint64_t>::max() - 1;

// IsReservedNodeId tells the ids that can never name a member: the local
// storage threads' pseudo-ids.
inline constexpr bool IsReservedNodeId(uint64_t id) {
  return id == kLocalAppendThread || id == kLocalApplyThread;
}

// The largest term and log index a node accepts from a peer, from its
// storage or from its own campaigns and proposals. A term or index beyond
// them is refused with a Status: each leaves 2^63 values of room above it,
// so that no increment and no index arithmetic of the core can wrap around
// (a term that wrapped to 0 would undo every vote; an index that wrapped
// would overwrite the log's start).
inline constexpr uint64_t kMaxTerm = std::numeric_limits<int64_t>::max();
inline constexpr uint64_t kMaxIndex = std::numeric_limits<int64_t>::max();

// EntrySize is an entry's encoded size, the unit of every byte budget that
// limits how many entries travel together (max-size-per-msg, the committed
// entries of one Ready).
inline uint64_t EntrySize(const Entry& e) { return e.EncodedSize(); }

// PayloadSize is the size of an entry's data alone, the unit of the
// uncommitted-log and in-flight byte limits.
inline uint64_t PayloadSize(const Entry& e) { return e.data().size(); }

// The sums of EntrySize and PayloadSize over a list of entries.
template <typename Entries>
uint64_t EntriesSize(const Entries& ents) {
  uint64_t s = 0;
  for (const Entry& e : ents) s += EntrySize(e);
  return s;
}
template <typename Entries>
uint64_t PayloadsSize(const Entries& ents) {
  uint64_t s = 0;
  for (const Entry& e : ents) s += PayloadSize(e);
  return s;
}

// LimitSize returns how many leading entries of `ents` fit in `max_size`
// bytes, counting EntrySize. It is never less than one for a non-empty
// list: an entry larger than the budget still travels, alone.
template <typename Entries>
size_t LimitSize(const Entries& ents, uint64_t max_size) {
  if (ents.empty()) return 0;
  uint64_t size = EntrySize(ents[0]);
  for (size_t n = 1; n < ents.size(); ++n) {
    size += EntrySize(ents[n]);
    if (size > max_size) return n;
  }
  return ents.size();
}

// IsEmptyHardState reports whether every field of `hs` is zero.
inline bool IsEmptyHardState(const HardState& hs) {
  return hs.term() == 0 && hs.vote() == 0 && hs.commit() == 0;
}

// IsEmptySnapshot reports whether `s` describes no snapshot (index 0).
inline bool IsEmptySnapshot(const raftpb::Snapshot& s) {
  return s.metadata().index() == 0;
}

// HardStateEqual compares by value, ignoring field presence.
inline bool HardStateEqual(const HardState& a, const HardState& b) {
  return a.term() == b.term() && a.vote() == b.vote() &&
         a.commit() == b.commit();
}

// MakeEntry builds an entry with every scalar field present, as etcd encodes
// them.
inline Entry MakeEntry(uint64_t index, uint64_t term,
                       raftpb::EntryType type = raftpb::EntryNormal) {
  Entry e;
  e.set_term(term);
  e.set_index(index);
  e.set_type(type);
  return e;
}

}  // namespace craft

#endif  // CRAFT_RAFTPB_H_
