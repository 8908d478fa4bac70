#include "support/test_paths.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace craft::testing {

std::string TestdataDir() {
  const char* dir = std::getenv("CRAFT_TESTDATA_DIR");
  return dir != nullptr ? dir : CRAFT_DEFAULT_TESTDATA_DIR;
}

std::optional<std::string> ConformanceDir() {
  const char* env = std::getenv("CRAFT_CONFORMANCE_DIR");
  const char* dir = env != nullptr ? env : CRAFT_DEFAULT_CONFORMANCE_DIR;
  if (!std::filesystem::is_directory(dir)) {
    return std::nullopt;
  }
  return std::string(dir);
}

bool ConformanceRequired() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace craft::testing
