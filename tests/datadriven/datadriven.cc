#include "datadriven/datadriven.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "craft/describe.h"

namespace craft::datadriven {
namespace {

absl::Status SyntaxError(absl::string_view fn, absl::string_view s,
                         absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("strconv.", fn, ": parsing ", QuoteData(s), ": ", what));
}

bool IsBlank(absl::string_view line) {
  return absl::StripAsciiWhitespace(line).empty();
}

}  // namespace

absl::StatusOr<uint64_t> ParseUint64(absl::string_view s) {
  if (s.empty()) return SyntaxError("ParseUint", s, "invalid syntax");
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return SyntaxError("ParseUint", s, "invalid syntax");
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > kMax / 10 || n * 10 > kMax - d) {
      return SyntaxError("ParseUint", s, "value out of range");
    }
    n = n * 10 + d;
  }
  return n;
}

absl::StatusOr<int64_t> ParseInt64(absl::string_view s) {
  absl::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  absl::StatusOr<uint64_t> u = ParseUint64(digits);
  if (!u.ok()) {
    if (absl::StrContains(u.status().message(), "out of range")) {
      return SyntaxError("ParseInt", s, "value out of range");
    }
    return SyntaxError("ParseInt", s, "invalid syntax");
  }
  constexpr uint64_t kMaxPositive = std::numeric_limits<int64_t>::max();
  if (!negative && *u > kMaxPositive) {
    return SyntaxError("ParseInt", s, "value out of range");
  }
  if (negative && *u > kMaxPositive + 1) {
    return SyntaxError("ParseInt", s, "value out of range");
  }
  return negative ? static_cast<int64_t>(0 - *u) : static_cast<int64_t>(*u);
}

absl::StatusOr<bool> ParseBool(absl::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" ||
      s == "True") {
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" ||
      s == "False") {
    return false;
  }
  return SyntaxError("ParseBool", s, "invalid syntax");
}

namespace {

absl::Status IndexError(const CmdArg& arg, size_t i) {
  return absl::InvalidArgumentError(
      absl::StrCat("cannot scan index ", i, " of key ", arg.key));
}

template <typename T, typename Parse>
absl::Status ScanWith(const CmdArg& arg, size_t i, T* out, Parse parse) {
  if (i >= arg.vals.size()) return IndexError(arg, i);
  auto v = parse(arg.vals[i]);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", arg.key, ": ", v.status().message()));
  }
  *out = static_cast<T>(*v);
  return absl::OkStatus();
}

}  // namespace

absl::Status CmdArg::Scan(size_t i, uint64_t* out) const {
  return ScanWith(*this, i, out, ParseUint64);
}

absl::Status CmdArg::Scan(size_t i, int64_t* out) const {
  return ScanWith(*this, i, out, ParseInt64);
}

absl::Status CmdArg::Scan(size_t i, int* out) const {
  return ScanWith(*this, i, out,
                  [](absl::string_view s) -> absl::StatusOr<int> {
                    absl::StatusOr<int64_t> v = ParseInt64(s);
                    if (!v.ok()) return v.status();
                    if (*v < std::numeric_limits<int>::min() ||
                        *v > std::numeric_limits<int>::max()) {
                      return SyntaxError("Atoi", s, "value out of range");
                    }
                    return static_cast<int>(*v);
                  });
}

absl::Status CmdArg::Scan(size_t i, bool* out) const {
  return ScanWith(*this, i, out, ParseBool);
}

absl::Status CmdArg::Scan(size_t i, std::string* out) const {
  if (i >= vals.size()) return IndexError(*this, i);
  *out = vals[i];
  return absl::OkStatus();
}

const CmdArg* TestData::Arg(absl::string_view key) const {
  for (const CmdArg& arg : cmd_args) {
    if (arg.key == key) return &arg;
  }
  return nullptr;
}

absl::Status TestData::MissingArg(absl::string_view key) const {
  return absl::InvalidArgumentError(absl::StrCat("missing argument: ", key));
}

absl::Status ParseDirective(absl::string_view line, std::string* cmd,
                            std::vector<CmdArg>* args) {
  cmd->clear();
  args->clear();
  line = absl::StripAsciiWhitespace(line);
  if (line.empty()) return absl::OkStatus();
  // Only U+0020 separates; other whitespace belongs to the tokens.
  size_t sp = line.find(' ');
  *cmd = std::string(line.substr(0, sp));
  absl::string_view rest =
      sp == absl::string_view::npos
          ? absl::string_view()
          : absl::StripAsciiWhitespace(line.substr(sp + 1));
  while (!rest.empty()) {
    size_t end = rest.find_first_of(" =");
    absl::string_view key = rest.substr(0, end);
    if (key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot parse directive: empty key in ", line));
    }
    CmdArg arg{std::string(key), {}};
    rest.remove_prefix(key.size());
    if (!rest.empty() && rest[0] == '=') {
      rest.remove_prefix(1);
      if (rest.empty() || rest[0] == ' ') {
        arg.vals.emplace_back();
      } else if (rest[0] != '(') {
        size_t val_end = rest.find(' ');
        arg.vals.emplace_back(rest.substr(0, val_end));
        rest.remove_prefix(val_end == absl::string_view::npos ? rest.size()
                                                              : val_end);
      } else {
        // A list: split at the commas of nesting depth 1.
        int depth = 0;
        size_t pos = 0;
        size_t val_begin = 1;
        bool closed = false;
        for (; pos < rest.size(); ++pos) {
          const char c = rest[pos];
          if (c == '(') {
            ++depth;
          } else if (c == ')') {
            if (--depth == 0) {
              arg.vals.emplace_back(rest.substr(val_begin, pos - val_begin));
              closed = true;
              break;
            }
          } else if (c == ',' && depth == 1) {
            arg.vals.emplace_back(rest.substr(val_begin, pos - val_begin));
            while (pos + 1 < rest.size() && rest[pos + 1] == ' ') ++pos;
            val_begin = pos + 1;
          }
        }
        if (!closed) {
          return absl::InvalidArgumentError(
              absl::StrCat("cannot parse directive: missing ')' in ", line));
        }
        rest.remove_prefix(pos + 1);
      }
    }
    args->push_back(std::move(arg));
    rest = absl::StripAsciiWhitespace(rest);
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedFile> ParseFile(absl::string_view path,
                                     absl::string_view contents) {
  ParsedFile file;
  file.path = std::string(path);
  if (!contents.empty()) {
    file.lines = absl::StrSplit(contents, '\n');
    file.trailing_newline = absl::EndsWith(contents, "\n");
    // StrSplit yields an empty last piece after a final newline.
    if (file.trailing_newline) file.lines.pop_back();
  }
  const std::vector<std::string>& lines = file.lines;
  const size_t n = lines.size();
  size_t i = 0;
  while (i < n) {
    std::string line(absl::StripAsciiWhitespace(lines[i]));
    const size_t directive_line = i;
    ++i;
    if (absl::StartsWith(line, "#")) continue;
    while (absl::EndsWith(line, "\\") && i < n) {
      line.pop_back();
      absl::StrAppend(&line, " ", absl::StripAsciiWhitespace(lines[i]));
      ++i;
    }
    ParsedFile::Case c;
    c.data.pos = absl::StrCat(path, ":", directive_line + 1);
    c.data.directive = line;
    if (absl::Status s = ParseDirective(line, &c.data.cmd, &c.data.cmd_args);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(c.data.pos, ": ", s.message()));
    }
    // Blank lines and datadriven's subtest grouping carry no case.
    if (c.data.cmd.empty() || c.data.cmd == "subtest") continue;

    std::vector<absl::string_view> input;
    while (i < n && lines[i] != "----") input.push_back(lines[i++]);
    c.data.input =
        std::string(absl::StripAsciiWhitespace(absl::StrJoin(input, "\n")));
    if (i == n) {
      c.has_separator = false;
      c.block_begin = c.block_end = n;
      file.cases.push_back(std::move(c));
      break;
    }
    ++i;  // the separator
    c.block_begin = i;
    std::vector<absl::string_view> output;
    if (i < n && lines[i] == "----") {
      // Double-separator form: up to a "----" pair.
      ++i;
      bool closed = false;
      while (i < n) {
        if (lines[i] == "----" && i + 1 < n && lines[i + 1] == "----") {
          i += 2;
          closed = true;
          break;
        }
        output.push_back(lines[i++]);
      }
      if (closed && i < n && !IsBlank(lines[i])) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ":", i + 1,
            ": expected a blank line after the closing ---- ----"));
      }
    } else {
      while (i < n && !IsBlank(lines[i])) output.push_back(lines[i++]);
    }
    c.block_end = i;
    for (absl::string_view l : output)
      absl::StrAppend(&c.data.expected, l, "\n");
    file.cases.push_back(std::move(c));
  }
  return file;
}

std::vector<std::string> FormatExpectedBlock(absl::string_view output) {
  std::vector<std::string> lines;
  if (output.empty()) return lines;
  if (absl::EndsWith(output, "\n")) output.remove_suffix(1);
  lines = absl::StrSplit(output, '\n');
  bool needs_double = lines.front() == "----";
  for (const std::string& l : lines) needs_double |= IsBlank(l);
  if (needs_double) {
    lines.insert(lines.begin(), "----");
    lines.push_back("----");
    lines.push_back("----");
  }
  return lines;
}

std::string Rewrite(const ParsedFile& file,
                    const std::vector<std::string>& outputs) {
  std::vector<absl::string_view> out;
  std::vector<std::vector<std::string>> blocks;  // keeps replacements alive
  blocks.reserve(file.cases.size());
  size_t next = 0;  // first original line not yet emitted
  bool ends_with_block = false;
  for (size_t k = 0; k < file.cases.size() && k < outputs.size(); ++k) {
    const ParsedFile::Case& c = file.cases[k];
    for (; next < c.block_begin; ++next) out.push_back(file.lines[next]);
    blocks.push_back(FormatExpectedBlock(outputs[k]));
    if (!c.has_separator) out.push_back("----");
    for (const std::string& l : blocks.back()) out.push_back(l);
    next = c.block_end;
    ends_with_block = next == file.lines.size();
  }
  for (; next < file.lines.size(); ++next) {
    out.push_back(file.lines[next]);
    ends_with_block = false;
  }
  std::string text = absl::StrJoin(out, "\n");
  if (!out.empty() && (file.trailing_newline || ends_with_block)) {
    text.push_back('\n');
  }
  return text;
}

}  // namespace craft::datadriven
