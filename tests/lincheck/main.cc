// craft-lincheck: judges whether a key-value history is linearizable, or
// generates one.
//
//   craft-lincheck FILE|-
//     Exit 0 and print "linearizable", or exit 1 and print "not
//     linearizable" and a small offending sub-history, one operation per
//     line. Exit 2 on unreadable or malformed input.
//   craft-lincheck --generate N [--clients C] [--keys K] [--seed S]
//                  [--violate]
//     Print a random history of N operations (see GenerateHistory).

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "lincheck/lincheck.h"

namespace craft::lincheck {
namespace {

constexpr int kExitLinearizable = 0;
constexpr int kExitNotLinearizable = 1;
constexpr int kExitError = 2;

constexpr char kUsage[] =
    "usage: craft-lincheck FILE|-\n"
    "       craft-lincheck --generate N [--clients C] [--keys K] [--seed S] "
    "[--violate]\n";

int UsageError(absl::string_view message) {
  std::cerr << "craft-lincheck: " << message << "\n" << kUsage;
  return kExitError;
}

void Write(absl::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// Parses --generate and its companions from `args` (all of argv after the
// program name) and prints the history.
int Generate(const std::vector<absl::string_view>& args) {
  GenerateOptions options;
  bool have_count = false;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view flag = args[i];
    if (flag == "--violate") {
      options.violate = true;
      continue;
    }
    // --flag VALUE or --flag=VALUE.
    absl::string_view value;
    if (size_t eq = flag.find('='); eq != absl::string_view::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return UsageError(absl::StrCat(flag, " needs a value"));
    }
    uint64_t number;
    if (!absl::SimpleAtoi(value, &number)) {
      return UsageError(
          absl::StrCat(flag, ": not a non-negative integer: ", value));
    }
    if (flag == "--generate") {
      if (number > 100'000'000) {
        return UsageError("--generate must be at most 100000000");
      }
      options.ops = number;
      have_count = true;
    } else if (flag == "--seed") {
      options.seed = number;
    } else if (flag == "--clients" || flag == "--keys") {
      if (number < 1 || number > 1'000'000) {
        return UsageError(absl::StrCat(flag, " must be in [1, 1000000]"));
      }
      (flag == "--clients" ? options.clients : options.keys) =
          static_cast<int>(number);
    } else {
      return UsageError(absl::StrCat("unknown flag ", flag));
    }
  }
  if (!have_count) return UsageError("--generate N is required");
  std::string out;
  for (const Operation& op : GenerateHistory(options)) {
    absl::StrAppend(&out, FormatOperation(op), "\n");
  }
  Write(out);
  return std::fflush(stdout) == 0 ? 0 : kExitError;
}

// Reads all of `file` into *text; false (with errno set) on failure.
bool ReadAll(std::FILE* file, std::string* text) {
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text->append(buffer, n);
  }
  return std::ferror(file) == 0;
}

int Judge(absl::string_view path) {
  const bool is_stdin = path == "-";
  const std::string name = is_stdin ? "<stdin>" : std::string(path);
  std::string text;
  std::FILE* file = is_stdin ? stdin : std::fopen(name.c_str(), "rb");
  bool read = file != nullptr && ReadAll(file, &text);
  const int error = errno;
  if (file != nullptr && !is_stdin) std::fclose(file);
  if (!read) {
    std::cerr << "craft-lincheck: cannot read " << name << ": "
              << std::strerror(error) << "\n";
    return kExitError;
  }
  absl::StatusOr<std::vector<Operation>> history = ParseHistory(text);
  if (!history.ok()) {
    std::cerr << "craft-lincheck: " << name << ": "
              << history.status().message() << "\n";
    return kExitError;
  }
  const Verdict verdict = Check(*history);
  if (verdict.linearizable) {
    Write("linearizable\n");
    return kExitLinearizable;
  }
  std::string out = "not linearizable\n";
  for (const Operation& op : verdict.counterexample) {
    absl::StrAppend(&out, FormatOperation(op), "\n");
  }
  Write(out);
  return kExitNotLinearizable;
}

int Main(int argc, char** argv) {
  std::vector<absl::string_view> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  for (absl::string_view arg : args) {
    if (arg == "--generate" || absl::StartsWith(arg, "--generate=")) {
      return Generate(args);
    }
  }
  if (args.size() != 1) return UsageError("expected one FILE (or -)");
  if (absl::StartsWith(args[0], "--")) {
    return UsageError(absl::StrCat("unknown flag ", args[0]));
  }
  return Judge(args[0]);
}

}  // namespace
}  // namespace craft::lincheck

int main(int argc, char** argv) { return craft::lincheck::Main(argc, argv); }
