// Runs the quorum and confchange languages over the project's own test
// files and over etcd-io/raft v3.6.0's, which must match byte for byte.

#include "datadriven/suites.h"

#include <string>
#include <vector>

#include "datadriven/runner.h"
#include "gtest/gtest.h"
#include "support/test_paths.h"

namespace craft::datadriven {
namespace {

std::string OwnTestdataDir() { return testing::TestdataDir(); }

// RunDir runs every file under `dir` and returns how many ran.
size_t RunDir(const std::string& dir, const HandlerFactory& suite) {
  absl::StatusOr<std::vector<std::string>> files = CollectFiles({dir});
  EXPECT_TRUE(files.ok()) << files.status();
  if (!files.ok()) return 0;
  for (const std::string& file : *files) {
    FileResult r = RunFile(file, suite, RunOptions{});
    EXPECT_TRUE(r.passed) << "FAIL " << file << "\n" << r.failure;
  }
  return files->size();
}

TEST(QuorumSuiteTest, ProjectTestdata) {
  EXPECT_GT(RunDir(OwnTestdataDir() + "/quorum", QuorumSuite()), 0u);
}

TEST(ConfChangeSuiteTest, ProjectTestdata) {
  EXPECT_GT(RunDir(OwnTestdataDir() + "/confchange", ConfChangeSuite()), 0u);
}

TEST(QuorumSuiteTest, EtcdConformance) {
  CRAFT_REQUIRE_CONFORMANCE_DIR(dir);
  EXPECT_EQ(RunDir(dir + "/etcd-v3.6.0/quorum", QuorumSuite()), 4u);
}

TEST(ConfChangeSuiteTest, EtcdConformance) {
  CRAFT_REQUIRE_CONFORMANCE_DIR(dir);
  EXPECT_EQ(RunDir(dir + "/etcd-v3.6.0/confchange", ConfChangeSuite()), 9u);
}

}  // namespace
}  // namespace craft::datadriven

namespace craft::datadriven {
namespace {

// The fatal errors of the two languages: a file that triggers one fails.
std::string Fatal(const HandlerFactory& suite, const std::string& contents) {
  FileResult r = RunContents("t", contents, suite, RunOptions{}, nullptr);
  EXPECT_FALSE(r.passed) << contents;
  return r.failure;
}

TEST(QuorumSuiteTest, FatalErrors) {
  EXPECT_EQ(Fatal(QuorumSuite(), "committed cfg=(1) foo=(2)\n----\n"),
            "t:1: committed cfg=(1) foo=(2)\nfatal: unknown arg foo\n");
  EXPECT_EQ(Fatal(QuorumSuite(), "committed cfg=(1) idx=(0)\n----\n"),
            "t:1: committed cfg=(1) idx=(0)\nfatal: cannot use 0 as idx\n");
  EXPECT_EQ(Fatal(QuorumSuite(), "vote cfg=(1) votes=(maybe)\n----\n"),
            "t:1: vote cfg=(1) votes=(maybe)\nfatal: unknown vote: maybe\n");
  EXPECT_EQ(Fatal(QuorumSuite(), "vote cfg=(1) cfgj=(zero,2)\n----\n"),
            "t:1: vote cfg=(1) cfgj=(zero,2)\n"
            "fatal: cannot mix 'zero' into configuration\n");
  EXPECT_EQ(Fatal(QuorumSuite(), "vote cfg=(x)\n----\n"),
            "t:1: vote cfg=(x)\nfatal: key cfg: strconv.ParseUint: parsing "
            "\"x\": invalid syntax\n");
  EXPECT_EQ(Fatal(QuorumSuite(), "tally cfg=(1) idx=(3)\n----\n"),
            "t:1: tally cfg=(1) idx=(3)\nfatal: unknown command: tally\n");
}

TEST(ConfChangeSuiteTest, FatalErrors) {
  EXPECT_EQ(Fatal(ConfChangeSuite(), "enter-joint auto=true\n----\n"),
            "t:1: enter-joint auto=true\nfatal: missing argument: autoleave\n");
  EXPECT_EQ(Fatal(ConfChangeSuite(), "enter-joint autoleave\n----\n"),
            "t:1: enter-joint autoleave\n"
            "fatal: cannot scan index 0 of key autoleave\n");
  EXPECT_EQ(Fatal(ConfChangeSuite(), "enter-joint autoleave=yes\n----\n"),
            "t:1: enter-joint autoleave=yes\nfatal: key autoleave: "
            "strconv.ParseBool: parsing \"yes\": invalid syntax\n");
}

TEST(ConfChangeSuiteTest, FreshStatePerFile) {
  const std::string file =
      "simple\nv1\n----\nvoters=(1)\n"
      "1: StateProbe match=0 next=1\n";
  const HandlerFactory suite = ConfChangeSuite();
  EXPECT_TRUE(RunContents("a", file, suite, RunOptions{}, nullptr).passed);
  EXPECT_TRUE(RunContents("b", file, suite, RunOptions{}, nullptr).passed);
}

}  // namespace
}  // namespace craft::datadriven
