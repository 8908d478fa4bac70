// EntryId names one log entry by its (term, index) pair. Two logs that hold
// an entry with the same id hold the same entries up to it (the Log
// Matching Property), which is what every consistency check relies on.

#ifndef CRAFT_LOG_ENTRY_ID_H_
#define CRAFT_LOG_ENTRY_ID_H_

#include <cstdint>

#include "craft/raftpb.h"

namespace craft {

struct EntryId {
  uint64_t term = 0;
  uint64_t index = 0;

  friend bool operator==(const EntryId&, const EntryId&) = default;
};

inline EntryId IdOf(const Entry& e) { return {e.term(), e.index()}; }

}  // namespace craft

#endif  // CRAFT_LOG_ENTRY_ID_H_
