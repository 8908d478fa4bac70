#include "datadriven/cli.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"

namespace craft::datadriven {

void SuiteRegistry::Register(std::string name, HandlerFactory factory) {
  suites_.insert_or_assign(std::move(name), std::move(factory));
}

const HandlerFactory* SuiteRegistry::Find(absl::string_view name) const {
  auto it = suites_.find(name);
  return it == suites_.end() ? nullptr : &it->second;
}

std::vector<std::string> SuiteRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : suites_) names.push_back(name);
  return names;
}

namespace {

void Usage(const SuiteRegistry& registry, std::ostream& os) {
  os << "usage: craft-datadriven --suite "
     << absl::StrJoin(registry.Names(), "|")
     << " [--rewrite] [--ignore-log-lines] PATH...\n";
}

}  // namespace

int RunCli(const std::vector<std::string>& args, const SuiteRegistry& registry,
           std::ostream& out, std::ostream& err) {
  std::string suite_name;
  RunOptions options;
  std::vector<std::string> paths;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--suite") {
      if (i + 1 == args.size()) {
        err << "--suite needs a value\n";
        Usage(registry, err);
        return 2;
      }
      suite_name = args[++i];
    } else if (absl::StartsWith(a, "--suite=")) {
      suite_name = a.substr(8);
    } else if (a == "--rewrite") {
      options.rewrite = true;
    } else if (a == "--ignore-log-lines") {
      options.ignore_log_lines = true;
    } else if (a == "-h" || a == "--help") {
      Usage(registry, out);
      return 0;
    } else if (a == "--") {
      paths.insert(paths.end(), args.begin() + i + 1, args.end());
      break;
    } else if (absl::StartsWith(a, "-")) {
      err << "unknown flag " << a << "\n";
      Usage(registry, err);
      return 2;
    } else {
      paths.push_back(a);
    }
  }
  const HandlerFactory* suite = registry.Find(suite_name);
  if (suite == nullptr) {
    err << (suite_name.empty() ? std::string("--suite is required")
                               : "unknown suite " + suite_name)
        << "\n";
    Usage(registry, err);
    return 2;
  }
  if (paths.empty()) {
    err << "no paths given\n";
    Usage(registry, err);
    return 2;
  }
  absl::StatusOr<std::vector<std::string>> files = CollectFiles(paths);
  if (!files.ok()) {
    err << files.status().message() << "\n";
    return 2;
  }
  int passed = 0;
  int failed = 0;
  for (const std::string& file : *files) {
    FileResult r = RunFile(file, *suite, options);
    if (r.passed) {
      ++passed;
      out << (r.rewritten ? "REWROTE " : "PASS ") << file << "\n";
    } else {
      ++failed;
      out << "FAIL " << file << "\n" << r.failure;
      if (!r.failure.empty() && r.failure.back() != '\n') out << "\n";
    }
  }
  out << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace craft::datadriven
