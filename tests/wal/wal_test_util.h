// Helpers shared by craft::wal's tests: scratch directories, entries, files.

#ifndef CRAFT_TESTS_WAL_WAL_TEST_UTIL_H_
#define CRAFT_TESTS_WAL_WAL_TEST_UTIL_H_

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "craft/entry.h"
#include "craft/hard_state.h"
#include "craft/raftpb.h"
#include "craft/wire.h"
#include "gtest/gtest.h"

namespace craft::wal_test {

// A fresh directory under the test's temporary directory, removed with
// everything in it when destroyed.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = ::testing::TempDir();
    if (tmpl.empty() || tmpl.back() != '/') tmpl += '/';
    tmpl += "craft_wal_XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << tmpl;
    path_ = tmpl;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(absl::string_view name) const {
    return absl::StrCat(path_, "/", name);
  }

 private:
  std::string path_;
};

// An entry with every field present and `data` as its payload.
inline Entry E(uint64_t index, uint64_t term, absl::string_view data = "") {
  Entry e = MakeEntry(index, term);
  e.set_data(data);
  return e;
}

// A deterministic payload for entry `index` (so that a reader can check
// any entry without keeping the writer's copy); `salt` varies it.
inline std::string PayloadFor(uint64_t index, uint64_t salt = 0,
                              size_t max_len = 120) {
  const size_t len = static_cast<size_t>((index * 37 + salt * 11) % max_len);
  std::string s(len, '\0');
  uint64_t x = index * 0x9E3779B97F4A7C15ull + salt;
  for (char& c : s) {
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    c = static_cast<char>(x >> 56);
  }
  return s;
}

// A hard state with vote 1.
inline HardState HS(uint64_t term, uint64_t commit) {
  HardState hs;
  hs.set_term(term);
  hs.set_vote(1);
  hs.set_commit(commit);
  return hs;
}

// Entries [first, first + n) of `term` with PayloadFor payloads.
inline std::vector<Entry> Entries(uint64_t first, uint64_t n, uint64_t term,
                                  uint64_t salt = 0) {
  std::vector<Entry> out;
  for (uint64_t i = first; i < first + n; ++i) {
    out.push_back(E(i, term, PayloadFor(i, salt)));
  }
  return out;
}

// An entry's full wire form, to compare entries field by field (presence
// included).
inline std::string Wire(const Entry& e) {
  return ToProto(e).SerializeAsString();
}

inline ::testing::AssertionResult SameEntries(const std::vector<Entry>& got,
                                              const std::vector<Entry>& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure()
           << "got " << got.size() << " entries ["
           << (got.empty() ? 0 : got.front().index()) << ", "
           << (got.empty() ? 0 : got.back().index()) << "], want "
           << want.size() << " [" << (want.empty() ? 0 : want.front().index())
           << ", " << (want.empty() ? 0 : want.back().index()) << "]";
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (Wire(got[i]) != Wire(want[i])) {
      return ::testing::AssertionFailure()
             << "entry " << i << " differs: got index " << got[i].index()
             << " term " << got[i].term() << " (" << got[i].data().size()
             << " bytes), want index " << want[i].index() << " term "
             << want[i].term() << " (" << want[i].data().size() << " bytes)";
    }
  }
  return ::testing::AssertionSuccess();
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteAll(const std::string& path, absl::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// The names of the files in `dir` ending in `suffix`, sorted.
inline std::vector<std::string> FilesIn(const std::string& dir,
                                        absl::string_view suffix) {
  std::vector<std::string> names;
  for (const auto& ent : std::filesystem::directory_iterator(dir)) {
    const std::string name = ent.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix.data(),
                     suffix.size()) == 0) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Copies the regular files of `from` into `to` (created if needed).
inline void CopyDir(const std::string& from, const std::string& to) {
  std::filesystem::create_directories(to);
  for (const auto& ent : std::filesystem::directory_iterator(from)) {
    if (!ent.is_regular_file()) continue;
    std::filesystem::copy_file(
        ent.path(), std::filesystem::path(to) / ent.path().filename(),
        std::filesystem::copy_options::overwrite_existing);
  }
}

}  // namespace craft::wal_test

#endif  // CRAFT_TESTS_WAL_WAL_TEST_UTIL_H_
