// Small builders for log entries and messages in tests.

#ifndef CRAFT_TESTS_SUPPORT_ENTRIES_H_
#define CRAFT_TESTS_SUPPORT_ENTRIES_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "craft/raftpb.h"

namespace craft::testing {

// Entries builds entries from (index, term) pairs.
inline std::vector<Entry> Entries(
    std::initializer_list<std::pair<uint64_t, uint64_t>> ids) {
  std::vector<Entry> out;
  for (auto [index, term] : ids) out.push_back(MakeEntry(index, term));
  return out;
}

// Consecutive builds the entries [first, last] all at `term`.
inline std::vector<Entry> Consecutive(uint64_t first, uint64_t last,
                                      uint64_t term) {
  std::vector<Entry> out;
  for (uint64_t i = first; i <= last; ++i) out.push_back(MakeEntry(i, term));
  return out;
}

// Msg builds a message header.
inline Message Msg(raftpb::MessageType type, uint64_t from, uint64_t to,
                   uint64_t term) {
  Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  return m;
}

// SnapshotAt builds an empty-state snapshot at (index, term).
inline raftpb::Snapshot SnapshotAt(uint64_t index, uint64_t term) {
  raftpb::Snapshot s;
  s.mutable_metadata()->set_index(index);
  s.mutable_metadata()->set_term(term);
  return s;
}

inline Entry DataEntry(uint64_t index, uint64_t term, std::string data) {
  Entry e = MakeEntry(index, term);
  e.set_data(std::move(data));
  return e;
}

// Ids lists the (index, term) pairs of `ents` for compact comparisons.
template <typename Ents>
std::vector<std::pair<uint64_t, uint64_t>> Ids(const Ents& ents) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const Entry& e : ents) out.emplace_back(e.index(), e.term());
  return out;
}

using IdList = std::vector<std::pair<uint64_t, uint64_t>>;

}  // namespace craft::testing

#endif  // CRAFT_TESTS_SUPPORT_ENTRIES_H_
