// Running datadriven files: a suite's handler over every case, comparing
// outputs (optionally ignoring logger lines), reporting unified diffs, or
// rewriting the expected outputs in place.

#ifndef CRAFT_TESTS_DATADRIVEN_RUNNER_H_
#define CRAFT_TESTS_DATADRIVEN_RUNNER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "datadriven/datadriven.h"

namespace craft::datadriven {

// A Handler runs one case and returns its output. A non-OK status is a
// fatal test error (bad arguments, unknown command where the language
// treats that as fatal): the file fails and its remaining cases are
// skipped. An output that does not end with "\n" gets one appended.
using Handler = std::function<absl::StatusOr<std::string>(const TestData&)>;

// A suite creates a fresh Handler, with fresh state, for every file.
using HandlerFactory = std::function<Handler()>;

struct RunOptions {
  // Replace the expected outputs with the actual ones instead of comparing.
  bool rewrite = false;
  // Compare without logger lines (see NormalizeLogLines).
  bool ignore_log_lines = false;
};

struct FileResult {
  std::string path;
  bool passed = false;
  // In rewrite mode: whether the file's contents changed.
  bool rewritten = false;
  // Why the file failed: the case's position and directive, then a
  // unified diff of expected vs actual output, or the fatal error.
  std::string failure;
};

// RunFile runs every case of the file at `path` with a handler from
// `suite`. Processing stops at the first failing case.
FileResult RunFile(const std::string& path, const HandlerFactory& suite,
                   const RunOptions& options);

// RunContents is RunFile over in-memory contents; in rewrite mode the new
// contents are stored in *rewritten (never written anywhere).
FileResult RunContents(const std::string& path, absl::string_view contents,
                       const HandlerFactory& suite, const RunOptions& options,
                       std::string* rewritten);

// CollectFiles expands `paths`: files are taken as given, directories are
// walked recursively, entries in name order, skipping names that start
// with '.', end with '~', or look like "#...#" (editor leftovers).
absl::StatusOr<std::vector<std::string>> CollectFiles(
    const std::vector<std::string>& paths);

// NormalizeLogLines drops every line that matches
// `^ *(DEBUG|INFO|WARN|ERROR|FATAL) ` (logger output, which only the
// implementation defines); an output left empty reads "ok\n". This is the
// comparison of INTERACTION.md section 8.
std::string NormalizeLogLines(absl::string_view output);

// UnifiedDiff renders the line differences between `from` and `to` as a
// unified diff with `context` lines of context; empty when equal.
std::string UnifiedDiff(absl::string_view from, absl::string_view to,
                        absl::string_view from_label = "expected",
                        absl::string_view to_label = "actual", int context = 3);

}  // namespace craft::datadriven

#endif  // CRAFT_TESTS_DATADRIVEN_RUNNER_H_
