// Exercises the installed headers and library: exits non-zero on any
// unexpected result.
#include <cstdio>
#include <vector>

#include "craft/craft.h"

int main() {
  craft::MemoryStorage storage;
  std::vector<craft::raftpb::Entry> ents;
  for (uint64_t i = 1; i <= 3; ++i) ents.push_back(craft::MakeEntry(i, 1));
  if (!storage.Append(ents).ok()) return 1;
  absl::StatusOr<uint64_t> last = storage.LastIndex();
  if (!last.ok() || *last != 3) return 2;
  if (!storage.Compact(2).ok()) return 3;
  if (!craft::IsCompacted(storage.Term(1).status())) return 4;
  std::printf("%s\n", craft::DescribeEntry(ents[0]).c_str());
  return 0;
}
