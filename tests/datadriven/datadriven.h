// A reader for datadriven test files, the format of
// github.com/cockroachdb/datadriven (v1.0.2) that etcd-io/raft's tests use:
//
//   # a comment
//   command key=value key=(a, b) positional
//   optional input lines
//   ----
//   expected output, up to the first blank line
//
// with a double-separator form ("----" twice, output, "----" twice) for
// outputs that contain blank lines. The grammar is that of
// ../shared/conformance/INTERACTION.md section 1; this header parses it,
// runner.h runs handlers over it and rewrites expected outputs.

#ifndef CRAFT_TESTS_DATADRIVEN_DATADRIVEN_H_
#define CRAFT_TESTS_DATADRIVEN_DATADRIVEN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace craft::datadriven {

// One argument of a directive: `key` (positional: no values),
// `key=value` (one value) or `key=(a,b,...)` (a list).
struct CmdArg {
  std::string key;
  std::vector<std::string> vals;

  // Scan parses vals[i] into `out` (Go strconv rules: base-10 integers,
  // ParseBool booleans, strings verbatim). A missing index or a bad value
  // is an error; handlers treat it as fatal.
  absl::Status Scan(size_t i, uint64_t* out) const;
  absl::Status Scan(size_t i, int64_t* out) const;
  absl::Status Scan(size_t i, int* out) const;
  absl::Status Scan(size_t i, bool* out) const;
  absl::Status Scan(size_t i, std::string* out) const;
};

// One test case (directive) of a file.
struct TestData {
  // "path:line" of the directive, for messages.
  std::string pos;
  // The directive line as parsed (continuations joined).
  std::string directive;
  std::string cmd;
  std::vector<CmdArg> cmd_args;
  // The lines between the directive and "----", joined and stripped.
  std::string input;
  // The expected output: empty, or lines each ending with "\n".
  std::string expected;

  // The first argument named `key`, or nullptr.
  const CmdArg* Arg(absl::string_view key) const;
  bool HasArg(absl::string_view key) const { return Arg(key) != nullptr; }

  // ScanArg scans the first value of the argument `key`; a missing
  // argument is an error.
  template <typename T>
  absl::Status ScanArg(absl::string_view key, T* out) const {
    const CmdArg* arg = Arg(key);
    if (arg == nullptr) return MissingArg(key);
    return arg->Scan(0, out);
  }

 private:
  absl::Status MissingArg(absl::string_view key) const;
};

// ParseDirective splits a directive line into its command and arguments.
// An empty (or all-blank) line yields an empty command. Syntax errors (an
// empty key, an unclosed list) are errors.
absl::Status ParseDirective(absl::string_view line, std::string* cmd,
                            std::vector<CmdArg>* args);

// Go-compatible value parsing, with Go's error texts (e.g.
// `strconv.ParseBool: parsing "x": invalid syntax`).
absl::StatusOr<uint64_t> ParseUint64(absl::string_view s);
absl::StatusOr<int64_t> ParseInt64(absl::string_view s);
absl::StatusOr<bool> ParseBool(absl::string_view s);

// A file split into lines, with the location of every test case so that
// the expected blocks can be replaced while everything else (comments,
// blank lines, inputs) is kept byte for byte.
struct ParsedFile {
  struct Case {
    TestData data;
    // The expected block occupies lines [block_begin, block_end); for the
    // double-separator form this includes the opening "----" after the
    // separator and the closing "----" pair.
    size_t block_begin = 0;
    size_t block_end = 0;
    // False when the file ended before a "----" line: the rewrite adds one.
    bool has_separator = true;
  };

  std::string path;
  std::vector<std::string> lines;
  // Whether the last line ended with "\n".
  bool trailing_newline = true;
  std::vector<Case> cases;
};

// ParseFile reads the cases of `contents`; `path` is used for positions.
absl::StatusOr<ParsedFile> ParseFile(absl::string_view path,
                                     absl::string_view contents);

// FormatExpectedBlock renders `output` (empty, or newline-terminated) as the
// lines that follow a "----" separator: the output's own lines, or the
// double-separator form when the output contains a blank line or starts
// with "----".
std::vector<std::string> FormatExpectedBlock(absl::string_view output);

// Rewrite returns the file's text with each case's expected block replaced
// by outputs[i] (cases without an entry in `outputs` keep theirs).
std::string Rewrite(const ParsedFile& file,
                    const std::vector<std::string>& outputs);

}  // namespace craft::datadriven

#endif  // CRAFT_TESTS_DATADRIVEN_DATADRIVEN_H_
