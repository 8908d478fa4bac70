#include "datadriven/runner.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace craft::datadriven {
namespace {

namespace fs = std::filesystem;

// The largest alignment table UnifiedDiff builds (lines x lines).
constexpr size_t kMaxDiffCells = size_t{1} << 22;

std::vector<absl::string_view> SplitLines(absl::string_view s) {
  if (s.empty()) return {};
  if (absl::EndsWith(s, "\n")) s.remove_suffix(1);
  return absl::StrSplit(s, '\n');
}

bool IsLogLine(absl::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  line.remove_prefix(i);
  for (absl::string_view level :
       {"DEBUG ", "INFO ", "WARN ", "ERROR ", "FATAL "}) {
    if (absl::StartsWith(line, level)) return true;
  }
  return false;
}

bool SkippedName(const std::string& name) {
  return name.empty() || name[0] == '.' || name.back() == '~' ||
         (name.size() >= 2 && name.front() == '#' && name.back() == '#');
}

absl::Status Walk(const fs::path& dir, std::vector<std::string>* files) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    entries.push_back(*it);
  }
  if (ec) {
    return absl::NotFoundError(absl::StrCat("cannot read directory ",
                                            dir.string(), ": ", ec.message()));
  }
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) {
              return a.path().filename().string() <
                     b.path().filename().string();
            });
  for (const fs::directory_entry& e : entries) {
    if (SkippedName(e.path().filename().string())) continue;
    if (e.is_directory(ec)) {
      if (absl::Status s = Walk(e.path(), files); !s.ok()) return s;
    } else if (e.is_regular_file(ec)) {
      files->push_back(e.path().string());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteAll(const std::string& path, absl::string_view contents) {
  const std::string tmp = path + ".rewrite~";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) {
      return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp));
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return absl::PermissionDeniedError(
        absl::StrCat("cannot replace ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string NormalizeLogLines(absl::string_view output) {
  std::string out;
  for (absl::string_view line : SplitLines(output)) {
    if (!IsLogLine(line)) absl::StrAppend(&out, line, "\n");
  }
  return out.empty() ? "ok\n" : out;
}

std::string UnifiedDiff(absl::string_view from, absl::string_view to,
                        absl::string_view from_label,
                        absl::string_view to_label, int context) {
  const std::vector<absl::string_view> a = SplitLines(from);
  const std::vector<absl::string_view> b = SplitLines(to);
  const size_t n = a.size();
  const size_t m = b.size();
  if (n * m > kMaxDiffCells) {
    // Too large to align cheaply: show everything as replaced.
    std::string out = absl::StrCat("--- ", from_label, "\n+++ ", to_label,
                                   "\n@@ -1,", n, " +1,", m, " @@\n");
    for (absl::string_view l : a) absl::StrAppend(&out, "-", l, "\n");
    for (absl::string_view l : b) absl::StrAppend(&out, "+", l, "\n");
    return out;
  }
  // lcs[i][j]: length of the longest common subsequence of a[i:] and b[j:].
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1
                               : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  // The edit script: ' ' keep, '-' delete from a, '+' insert from b.
  struct Op {
    char kind;
    size_t ai;  // lines of a consumed before this op
    size_t bi;
    absl::string_view text;
  };
  std::vector<Op> ops;
  size_t i = 0;
  size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back({' ', i, j, a[i]});
      ++i;
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', i, j, a[i]});
      ++i;
    } else {
      ops.push_back({'+', i, j, b[j]});
      ++j;
    }
  }
  std::string out;
  const size_t ctx = static_cast<size_t>(std::max(context, 0));
  size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from ctx lines before this change to ctx lines after the last
    // change that is within 2*ctx lines of the previous one.
    size_t begin = k >= ctx ? k - ctx : 0;
    size_t end = k;
    size_t last_change = k;
    for (size_t x = k; x < ops.size(); ++x) {
      if (ops[x].kind != ' ') {
        last_change = x;
      } else if (x - last_change > 2 * ctx) {
        break;
      }
      end = x + 1;
    }
    end = std::min(end, last_change + ctx + 1);
    size_t a_count = 0;
    size_t b_count = 0;
    for (size_t x = begin; x < end; ++x) {
      if (ops[x].kind != '+') ++a_count;
      if (ops[x].kind != '-') ++b_count;
    }
    if (out.empty())
      absl::StrAppend(&out, "--- ", from_label, "\n+++ ", to_label, "\n");
    auto range = [](size_t start, size_t count) {
      // Unified diff numbers lines from 1; an empty range names the line
      // before it.
      return count == 0 ? absl::StrCat(start, ",0")
                        : absl::StrCat(start + 1, ",", count);
    };
    absl::StrAppend(&out, "@@ -", range(ops[begin].ai, a_count), " +",
                    range(ops[begin].bi, b_count), " @@\n");
    for (size_t x = begin; x < end; ++x) {
      absl::StrAppend(&out, std::string(1, ops[x].kind), ops[x].text, "\n");
    }
    k = end;
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> CollectFiles(
    const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      if (absl::Status s = Walk(p, &files); !s.ok()) return s;
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      return absl::NotFoundError(
          absl::StrCat("no such file or directory: ", p));
    }
  }
  return files;
}

FileResult RunContents(const std::string& path, absl::string_view contents,
                       const HandlerFactory& suite, const RunOptions& options,
                       std::string* rewritten) {
  FileResult result;
  result.path = path;
  absl::StatusOr<ParsedFile> file = ParseFile(path, contents);
  if (!file.ok()) {
    result.failure = std::string(file.status().message());
    return result;
  }
  Handler handler = suite();
  std::vector<std::string> outputs;
  for (const ParsedFile::Case& c : file->cases) {
    absl::StatusOr<std::string> actual = handler(c.data);
    if (!actual.ok()) {
      result.failure =
          absl::StrCat(c.data.pos, ": ", c.data.directive,
                       "\nfatal: ", actual.status().message(), "\n");
      return result;
    }
    if (!actual->empty() && actual->back() != '\n') actual->push_back('\n');
    if (options.rewrite) {
      outputs.push_back(*std::move(actual));
      continue;
    }
    std::string expected = c.data.expected;
    if (options.ignore_log_lines) {
      expected = NormalizeLogLines(expected);
      *actual = NormalizeLogLines(*actual);
    }
    if (*actual != expected) {
      result.failure = absl::StrCat(c.data.pos, ": ", c.data.directive, "\n",
                                    UnifiedDiff(expected, *actual));
      return result;
    }
  }
  if (options.rewrite && rewritten != nullptr) {
    *rewritten = Rewrite(*file, outputs);
    result.rewritten = *rewritten != contents;
  }
  result.passed = true;
  return result;
}

FileResult RunFile(const std::string& path, const HandlerFactory& suite,
                   const RunOptions& options) {
  absl::StatusOr<std::string> contents = ReadAll(path);
  if (!contents.ok()) {
    FileResult result;
    result.path = path;
    result.failure = std::string(contents.status().message());
    return result;
  }
  std::string rewritten;
  FileResult result = RunContents(path, *contents, suite, options, &rewritten);
  if (options.rewrite && result.passed && result.rewritten) {
    if (absl::Status s = WriteAll(path, rewritten); !s.ok()) {
      result.passed = false;
      result.failure = std::string(s.message());
    }
  }
  return result;
}

}  // namespace craft::datadriven
