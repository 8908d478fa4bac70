#include "datadriven/datadriven.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "datadriven/cli.h"
#include "datadriven/runner.h"
#include "gtest/gtest.h"

namespace craft::datadriven {
namespace {

struct Parsed {
  std::string cmd;
  std::vector<CmdArg> args;
};

Parsed MustParse(absl::string_view line) {
  Parsed p;
  absl::Status s = ParseDirective(line, &p.cmd, &p.args);
  EXPECT_TRUE(s.ok()) << s;
  return p;
}

std::vector<std::string> Keys(const Parsed& p) {
  std::vector<std::string> keys;
  for (const CmdArg& a : p.args) keys.push_back(a.key);
  return keys;
}

using Vals = std::vector<std::string>;

TEST(ParseDirectiveTest, CommandAndArguments) {
  Parsed p =
      MustParse("  add-nodes 3 voters=(1,2,3)   index=10 content=\"x\"  ");
  EXPECT_EQ(p.cmd, "add-nodes");
  EXPECT_EQ(Keys(p), (Vals{"3", "voters", "index", "content"}));
  EXPECT_TRUE(p.args[0].vals.empty());
  EXPECT_EQ(p.args[1].vals, (Vals{"1", "2", "3"}));
  EXPECT_EQ(p.args[2].vals, (Vals{"10"}));
  // Quotes are ordinary characters.
  EXPECT_EQ(p.args[3].vals, (Vals{"\"x\""}));

  p = MustParse("cmd");
  EXPECT_EQ(p.cmd, "cmd");
  EXPECT_TRUE(p.args.empty());

  p = MustParse("");
  EXPECT_EQ(p.cmd, "");
}

TEST(ParseDirectiveTest, Lists) {
  // Spaces after a comma are skipped; others are kept.
  Parsed p = MustParse("x a=(1, 2 ,  3) b=( 4)");
  EXPECT_EQ(p.args[0].vals, (Vals{"1", "2 ", "3"}));
  EXPECT_EQ(p.args[1].vals, (Vals{" 4"}));
  // Nested parentheses stay within one value.
  p = MustParse("x a=(f(1,2), (g)) b");
  EXPECT_EQ(p.args[0].vals, (Vals{"f(1,2)", "(g)"}));
  EXPECT_EQ(Keys(p), (Vals{"a", "b"}));
  // An empty list has one empty value; so has a bare "=".
  p = MustParse("x a=() b= c=");
  EXPECT_EQ(p.args[0].vals, (Vals{""}));
  EXPECT_EQ(p.args[1].vals, (Vals{""}));
  EXPECT_EQ(p.args[2].vals, (Vals{""}));
  // A list written with spaces instead of commas is one value.
  p = MustParse("x voters=(1 2 3)");
  EXPECT_EQ(p.args[0].vals, (Vals{"1 2 3"}));
  // Duplicate keys are kept in order.
  p = MustParse("x k=1 k=2");
  EXPECT_EQ(Keys(p), (Vals{"k", "k"}));
  EXPECT_EQ(p.args[1].vals, (Vals{"2"}));
}

TEST(ParseDirectiveTest, OnlySpacesSeparate) {
  Parsed p = MustParse("x\ta=1");
  EXPECT_EQ(p.cmd, "x\ta=1");
  p = MustParse("x a=1\tb");
  EXPECT_EQ(p.args[0].vals, (Vals{"1\tb"}));
}

TEST(ParseDirectiveTest, Errors) {
  std::string cmd;
  std::vector<CmdArg> args;
  EXPECT_FALSE(ParseDirective("x =1", &cmd, &args).ok());
  EXPECT_FALSE(ParseDirective("x a=(1,2", &cmd, &args).ok());
  EXPECT_FALSE(ParseDirective("x a=((1)", &cmd, &args).ok());
}

TEST(ScanTest, GoRules) {
  Parsed p =
      MustParse("x n=42 b=T s=hello neg=-3 bad=4x big=18446744073709551616");
  uint64_t n = 0;
  ASSERT_TRUE(p.args[0].Scan(0, &n).ok());
  EXPECT_EQ(n, 42u);
  bool b = false;
  ASSERT_TRUE(p.args[1].Scan(0, &b).ok());
  EXPECT_TRUE(b);
  std::string s;
  ASSERT_TRUE(p.args[2].Scan(0, &s).ok());
  EXPECT_EQ(s, "hello");
  int i = 0;
  ASSERT_TRUE(p.args[3].Scan(0, &i).ok());
  EXPECT_EQ(i, -3);
  EXPECT_FALSE(p.args[3].Scan(0, &n).ok());
  EXPECT_FALSE(p.args[4].Scan(0, &n).ok());
  EXPECT_FALSE(p.args[5].Scan(0, &n).ok());
  EXPECT_FALSE(p.args[0].Scan(1, &n).ok());  // no second value
  EXPECT_FALSE(p.args[2].Scan(0, &b).ok());

  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    EXPECT_EQ(ParseBool(t).value_or(false), true) << t;
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    EXPECT_EQ(ParseBool(f).value_or(true), false) << f;
  }
  EXPECT_EQ(ParseBool("yes").status().message(),
            "strconv.ParseBool: parsing \"yes\": invalid syntax");
  EXPECT_EQ(ParseUint64("x").status().message(),
            "strconv.ParseUint: parsing \"x\": invalid syntax");
  EXPECT_EQ(ParseInt64("-9223372036854775808").value_or(0), INT64_MIN);
  EXPECT_FALSE(ParseInt64("9223372036854775808").ok());

  TestData d;
  d.cmd_args = p.args;
  ASSERT_TRUE(d.ScanArg("n", &n).ok());
  EXPECT_FALSE(d.ScanArg("missing", &n).ok());
  EXPECT_TRUE(d.HasArg("b"));
  EXPECT_FALSE(d.HasArg("n=42"));
}

constexpr absl::string_view kFile =
    "# A comment, then a blank line.\n"
    "\n"
    "first a=1\n"
    "  some input  \n"
    "more input\n"
    "----\n"
    "out 1\n"
    "out 2\n"
    "   \n"
    "  # indented comment\n"
    "second\n"
    "----\n"
    "\n"
    "third\n"
    "----\n"
    "----\n"
    "with\n"
    "\n"
    "----\n"
    "blank lines\n"
    "----\n"
    "----\n"
    "\n"
    "fourth \\\n"
    "   b=2\n"
    "----\n"
    "last";

TEST(ParseFileTest, Cases) {
  absl::StatusOr<ParsedFile> f = ParseFile("f.txt", kFile);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->cases.size(), 4u);
  EXPECT_FALSE(f->trailing_newline);

  const TestData& first = f->cases[0].data;
  EXPECT_EQ(first.pos, "f.txt:3");
  EXPECT_EQ(first.cmd, "first");
  EXPECT_EQ(first.input, "some input  \nmore input");
  EXPECT_EQ(first.expected, "out 1\nout 2\n");

  const TestData& second = f->cases[1].data;
  EXPECT_EQ(second.pos, "f.txt:11");
  EXPECT_EQ(second.input, "");
  EXPECT_EQ(second.expected, "");

  const TestData& third = f->cases[2].data;
  EXPECT_EQ(third.expected, "with\n\n----\nblank lines\n");

  const TestData& fourth = f->cases[3].data;
  EXPECT_EQ(fourth.directive, "fourth  b=2");
  EXPECT_EQ(fourth.cmd_args[0].key, "b");
  EXPECT_EQ(fourth.expected, "last\n");
}

TEST(ParseFileTest, EdgeCases) {
  // No separator before the end: the rest is input, no output expected.
  absl::StatusOr<ParsedFile> f = ParseFile("f", "cmd\nin 1\nin 2\n");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->cases.size(), 1u);
  EXPECT_FALSE(f->cases[0].has_separator);
  EXPECT_EQ(f->cases[0].data.input, "in 1\nin 2");
  EXPECT_EQ(f->cases[0].data.expected, "");

  // Something other than a blank line after a double-separator block.
  EXPECT_FALSE(ParseFile("f", "cmd\n----\n----\nx\n----\n----\ny\n").ok());
  // A bad directive.
  f = ParseFile("f", "\n\ncmd a=(\n----\n");
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(absl::StartsWith(f.status().message(), "f:3: "));
  // Empty file, and subtest markers.
  f = ParseFile("f", "");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->cases.empty());
  f = ParseFile("f", "subtest a\ncmd\n----\nx\n\nsubtest end\n");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->cases.size(), 1u);
  EXPECT_EQ(f->cases[0].data.expected, "x\n");
}

TEST(RewriteTest, KeepsEverythingButOutputs) {
  absl::StatusOr<ParsedFile> f = ParseFile("f.txt", kFile);
  ASSERT_TRUE(f.ok());
  std::vector<std::string> same;
  for (const auto& c : f->cases) same.push_back(c.data.expected);
  // Unchanged outputs reproduce the file, except that the last line gains
  // its newline.
  EXPECT_EQ(Rewrite(*f, same), absl::StrCat(kFile, "\n"));

  const std::string rewritten =
      Rewrite(*f, {"new\n", "now has output\n", "single\n", "a\n\nb\n"});
  EXPECT_EQ(rewritten,
            "# A comment, then a blank line.\n"
            "\n"
            "first a=1\n"
            "  some input  \n"
            "more input\n"
            "----\n"
            "new\n"
            "   \n"
            "  # indented comment\n"
            "second\n"
            "----\n"
            "now has output\n"
            "\n"
            "third\n"
            "----\n"
            "single\n"
            "\n"
            "fourth \\\n"
            "   b=2\n"
            "----\n"
            "----\n"
            "a\n"
            "\n"
            "b\n"
            "----\n"
            "----\n");
  // Reading the rewritten file gives the new outputs.
  absl::StatusOr<ParsedFile> again = ParseFile("f.txt", rewritten);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->cases.size(), 4u);
  EXPECT_EQ(again->cases[3].data.expected, "a\n\nb\n");
  EXPECT_EQ(again->cases[1].data.expected, "now has output\n");
}

TEST(RewriteTest, AddsMissingSeparator) {
  absl::StatusOr<ParsedFile> f = ParseFile("f", "# c\ncmd\nin\n");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Rewrite(*f, {"out\n"}), "# c\ncmd\nin\n----\nout\n");
}

TEST(RewriteTest, FormatExpectedBlock) {
  EXPECT_TRUE(FormatExpectedBlock("").empty());
  EXPECT_EQ(FormatExpectedBlock("a\nb\n"), (Vals{"a", "b"}));
  EXPECT_EQ(FormatExpectedBlock("a\n  \nb\n"),
            (Vals{"----", "a", "  ", "b", "----", "----"}));
  // An output starting with a separator would read as the double form.
  EXPECT_EQ(FormatExpectedBlock("----\nx\n"),
            (Vals{"----", "----", "x", "----", "----"}));
}

TEST(NormalizeLogLinesTest, DropsLoggerLines) {
  EXPECT_EQ(NormalizeLogLines("INFO 1 became leader\n"
                              "> 1 handling Ready\n"
                              "  DEBUG 1 something\n"
                              "  Ready MustSync=true:\n"
                              "WARN x\nERROR y\nFATAL z\n"),
            "> 1 handling Ready\n  Ready MustSync=true:\n");
  EXPECT_EQ(NormalizeLogLines("INFO a\n  DEBUG b\n"), "ok\n");
  EXPECT_EQ(NormalizeLogLines(""), "ok\n");
  EXPECT_EQ(NormalizeLogLines("ok\n"), "ok\n");
  // Only a level followed by a space, after optional spaces.
  EXPECT_EQ(NormalizeLogLines("INFOx\ninfo y\n\tINFO z\n"),
            "INFOx\ninfo y\n\tINFO z\n");
}

TEST(UnifiedDiffTest, Hunks) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n"), "");
  EXPECT_EQ(UnifiedDiff("a\nb\nc\n", "a\nB\nc\n"),
            "--- expected\n+++ actual\n"
            "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
  EXPECT_EQ(UnifiedDiff("", "x\n", "old", "new"),
            "--- old\n+++ new\n@@ -0,0 +1,1 @@\n+x\n");
  // Far-apart changes make separate hunks with one line of context.
  EXPECT_EQ(
      UnifiedDiff("1\n2\n3\n4\n5\n6\n", "0\n2\n3\n4\n5\n7\n", "e", "a", 1),
      "--- e\n+++ a\n"
      "@@ -1,2 +1,2 @@\n-1\n+0\n 2\n"
      "@@ -5,2 +5,2 @@\n 5\n-6\n+7\n");
}

// A toy language: "echo" returns its input, "count" the number of cases
// seen in this file, "logs" some logger lines, "fatal" fails.
HandlerFactory ToySuite() {
  return [] {
    auto count = std::make_shared<int>(0);
    return Handler([count](const TestData& d) -> absl::StatusOr<std::string> {
      ++*count;
      if (d.cmd == "echo") return d.input;
      if (d.cmd == "count") return absl::StrCat(*count);
      if (d.cmd == "logs") return std::string("INFO x\n  DEBUG y\nresult\n");
      return absl::InvalidArgumentError(
          absl::StrCat("unknown command ", d.cmd));
    });
  };
}

TEST(RunContentsTest, PassesAndFails) {
  FileResult r = RunContents("t", "echo\nhi\n----\nhi\n\ncount\n----\n2\n",
                             ToySuite(), {}, nullptr);
  EXPECT_TRUE(r.passed) << r.failure;

  r = RunContents("t", "echo\nhi\n----\nho\n\nbad\n----\n", ToySuite(), {},
                  nullptr);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.failure,
            "t:1: echo\n--- expected\n+++ actual\n@@ -1,1 +1,1 @@\n-ho\n+hi\n");

  r = RunContents("t", "echo\n----\n\nbad a=1\n----\n", ToySuite(), {},
                  nullptr);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.failure, "t:4: bad a=1\nfatal: unknown command bad\n");
}

TEST(RunContentsTest, IgnoreLogLines) {
  const std::string contents = "logs\n----\nINFO other\nresult\n";
  EXPECT_FALSE(RunContents("t", contents, ToySuite(), {}, nullptr).passed);
  RunOptions options;
  options.ignore_log_lines = true;
  EXPECT_TRUE(RunContents("t", contents, ToySuite(), options, nullptr).passed);
  // Logs only on one side, nothing on the other: both read "ok".
  EXPECT_TRUE(RunContents("t", "echo\n----\nDEBUG something\n", ToySuite(),
                          options, nullptr)
                  .passed);
}

TEST(RunContentsTest, Rewrite) {
  RunOptions options;
  options.rewrite = true;
  std::string out;
  FileResult r = RunContents("t", "# c\necho\nx\n----\nold\n\ncount\n----\n2\n",
                             ToySuite(), options, &out);
  EXPECT_TRUE(r.passed);
  EXPECT_TRUE(r.rewritten);
  EXPECT_EQ(out, "# c\necho\nx\n----\nx\n\ncount\n----\n2\n");
  std::string again;
  r = RunContents("t", out, ToySuite(), options, &again);
  EXPECT_FALSE(r.rewritten);
  EXPECT_EQ(again, out);
}

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("craft_datadriven_test_", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "sub");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& contents) {
    std::ofstream(dir_ / name) << contents;
    return (dir_ / name).string();
  }

  std::filesystem::path dir_;
};

TEST_F(FilesTest, CollectFilesWalksInNameOrder) {
  Write("b.txt", "");
  Write("a.txt", "");
  Write("sub/c.txt", "");
  Write(".hidden", "");
  Write("backup~", "");
  Write("#autosave#", "");
  absl::StatusOr<std::vector<std::string>> files =
      CollectFiles({dir_.string()});
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*files, (Vals{(dir_ / "a.txt").string(), (dir_ / "b.txt").string(),
                          (dir_ / "sub/c.txt").string()}));
  // Files named explicitly are taken as given.
  files = CollectFiles({(dir_ / "backup~").string()});
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 1u);
  EXPECT_FALSE(CollectFiles({(dir_ / "missing").string()}).ok());
}

TEST_F(FilesTest, Cli) {
  SuiteRegistry registry;
  registry.Register("toy", ToySuite());
  EXPECT_EQ(registry.Names(), (Vals{"toy"}));
  const std::string good = Write("good.txt", "echo\nx\n----\nx\n");
  const std::string bad = Write("sub/bad.txt", "echo\nx\n----\ny\n");
  auto run = [&registry](const Vals& args, std::string* out) {
    std::ostringstream o;
    std::ostringstream e;
    int rc = RunCli(args, registry, o, e);
    *out = o.str() + e.str();
    return rc;
  };
  std::string out;
  EXPECT_EQ(run({"--suite", "toy", good}, &out), 0);
  EXPECT_EQ(out, absl::StrCat("PASS ", good, "\n1 passed, 0 failed\n"));

  EXPECT_EQ(run({"--suite=toy", dir_.string()}, &out), 1);
  EXPECT_EQ(out, absl::StrCat("PASS ", good, "\nFAIL ", bad, "\n", bad,
                              ":1: echo\n--- expected\n+++ actual\n"
                              "@@ -1,1 +1,1 @@\n-y\n+x\n"
                              "1 passed, 1 failed\n"));

  EXPECT_EQ(run({"--suite", "toy", "--rewrite", bad}, &out), 0);
  EXPECT_EQ(out, absl::StrCat("REWROTE ", bad, "\n1 passed, 0 failed\n"));
  EXPECT_EQ(run({"--suite", "toy", bad}, &out), 0);

  EXPECT_EQ(run({good}, &out), 2);                     // no suite
  EXPECT_EQ(run({"--suite", "nope", good}, &out), 2);  // unknown suite
  EXPECT_EQ(run({"--suite", "toy"}, &out), 2);         // no paths
  EXPECT_EQ(run({"--suite", "toy", "--bogus", good}, &out), 2);
  EXPECT_EQ(run({"--suite", "toy", "/nonexistent/x"}, &out), 2);
}

}  // namespace
}  // namespace craft::datadriven
