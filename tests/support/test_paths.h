// Where tests find their data: the project's own testdata and etcd-io/raft's
// conformance material in ../shared/conformance.

#ifndef CRAFT_TESTS_SUPPORT_TEST_PATHS_H_
#define CRAFT_TESTS_SUPPORT_TEST_PATHS_H_

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace craft::testing {

// The project's tests/testdata directory (CRAFT_TESTDATA_DIR overrides).
std::string TestdataDir();

// The conformance directory if it exists, else nullopt: by default
// ../shared/conformance beside the checkout, as configured; the
// CRAFT_CONFORMANCE_DIR environment variable overrides it.
std::optional<std::string> ConformanceDir();

// Whether a missing conformance directory must fail the test rather than
// skip it: under CI (CI=true), the material is required.
bool ConformanceRequired();

// ReadFileOrDie returns a file's contents, failing the test if unreadable.
std::string ReadFile(const std::string& path);

}  // namespace craft::testing

// Declares `var` as the conformance directory, or ends the test: a failure
// under CI, a visible skip elsewhere.
#define CRAFT_REQUIRE_CONFORMANCE_DIR(var)                                    \
  std::string var;                                                            \
  if (auto craft_dir_ = ::craft::testing::ConformanceDir()) {                 \
    var = *craft_dir_;                                                        \
  } else if (::craft::testing::ConformanceRequired()) {                       \
    FAIL() << "conformance material not found (CRAFT_CONFORMANCE_DIR); "      \
              "CI requires ../shared/conformance";                            \
  } else {                                                                    \
    GTEST_SKIP() << "conformance material not found (CRAFT_CONFORMANCE_DIR)"; \
  }

#endif  // CRAFT_TESTS_SUPPORT_TEST_PATHS_H_
