// Runs the interaction transcripts: the project's own corpus under
// tests/testdata/interaction, compared exactly, and the conformance
// scenarios produced by etcd-io/raft v3.6.0, compared with logger lines
// ignored (INTERACTION.md section 8).

#include <string>
#include <vector>

#include "datadriven/runner.h"
#include "gtest/gtest.h"
#include "interaction/interaction_suite.h"
#include "support/test_paths.h"

namespace craft::interaction {
namespace {

void RunAll(const std::string& dir, bool ignore_log_lines) {
  absl::StatusOr<std::vector<std::string>> files =
      datadriven::CollectFiles({dir});
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_FALSE(files->empty()) << "no files under " << dir;
  datadriven::RunOptions opts;
  opts.ignore_log_lines = ignore_log_lines;
  for (const std::string& f : *files) {
    datadriven::FileResult r = datadriven::RunFile(f, InteractionSuite(), opts);
    EXPECT_TRUE(r.passed) << "FAIL " << f << "\n" << r.failure;
  }
}

TEST(InteractionTest, ProjectCorpus) {
  RunAll(testing::TestdataDir() + "/interaction", /*ignore_log_lines=*/false);
}

TEST(InteractionTest, EtcdScenarios) {
  CRAFT_REQUIRE_CONFORMANCE_DIR(dir);
  RunAll(dir + "/scenarios/etcd-v3.6.0", /*ignore_log_lines=*/true);
}

TEST(InteractionTest, CraftScenariosProducedByEtcd) {
  CRAFT_REQUIRE_CONFORMANCE_DIR(dir);
  RunAll(dir + "/scenarios/craft", /*ignore_log_lines=*/true);
}

}  // namespace
}  // namespace craft::interaction
