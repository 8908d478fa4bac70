#include "lincheck/lincheck.h"

#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace craft::lincheck {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<Operation> Parse(absl::string_view jsonl) {
  absl::StatusOr<std::vector<Operation>> history = ParseHistory(jsonl);
  EXPECT_TRUE(history.ok()) << history.status();
  return history.ok() ? *history : std::vector<Operation>{};
}

Verdict CheckJsonl(absl::string_view jsonl) { return Check(Parse(jsonl)); }

std::string Format(const std::vector<Operation>& ops) {
  std::vector<std::string> lines;
  for (const Operation& op : ops) lines.push_back(FormatOperation(op));
  return absl::StrJoin(lines, "\n");
}

// Expects `jsonl` to be linearizable.
void ExpectLinearizable(absl::string_view jsonl) {
  Verdict verdict = CheckJsonl(jsonl);
  EXPECT_TRUE(verdict.linearizable) << Format(verdict.counterexample);
  EXPECT_THAT(verdict.counterexample, IsEmpty());
}

// Expects `jsonl` not to be linearizable, with a counterexample of `size`
// operations, and returns the counterexample.
std::vector<Operation> ExpectViolation(absl::string_view jsonl, size_t size) {
  Verdict verdict = CheckJsonl(jsonl);
  EXPECT_FALSE(verdict.linearizable);
  EXPECT_THAT(verdict.counterexample, SizeIs(size))
      << Format(verdict.counterexample);
  // A counterexample is itself a violation.
  EXPECT_FALSE(Check(verdict.counterexample).linearizable);
  return verdict.counterexample;
}

TEST(LincheckTest, EmptyHistoryIsLinearizable) { ExpectLinearizable(""); }

TEST(LincheckTest, SequentialHistory) {
  ExpectLinearizable(R"(
{"client":1,"op":"get","key":"k","call":1,"return":2,"result":"not_found"}
{"client":1,"op":"put","key":"k","value":"a","call":3,"return":4,"result":"ok"}
{"client":2,"op":"get","key":"k","call":5,"return":6,"result":"ok","value":"a"}
{"client":2,"op":"put","key":"k","value":"b","call":7,"return":8,"result":"ok"}
{"client":1,"op":"get","key":"k","call":9,"return":10,"result":"ok","value":"b"}
)");
  // The same, but the last read returns the first value.
  ExpectViolation(R"(
{"client":1,"op":"get","key":"k","call":1,"return":2,"result":"not_found"}
{"client":1,"op":"put","key":"k","value":"a","call":3,"return":4,"result":"ok"}
{"client":2,"op":"get","key":"k","call":5,"return":6,"result":"ok","value":"a"}
{"client":2,"op":"put","key":"k","value":"b","call":7,"return":8,"result":"ok"}
{"client":1,"op":"get","key":"k","call":9,"return":10,"result":"ok","value":"a"}
)",
                  3);
}

TEST(LincheckTest, ConcurrentWritesReadMaySeeEither) {
  for (absl::string_view seen : {"a", "b"}) {
    SCOPED_TRACE(seen);
    ExpectLinearizable(absl::StrCat(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":5,"result":"ok"}
{"client":2,"op":"put","key":"k","value":"b","call":2,"return":6,"result":"ok"}
{"client":3,"op":"get","key":"k","call":3,"return":4,"result":"ok","value":")",
                                    seen, R"("}
{"client":3,"op":"get","key":"k","call":7,"return":8,"result":"ok","value":")",
                                    seen, R"("}
)"));
  }
  // Once both writes completed the winner is fixed: reads may not flip.
  ExpectViolation(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":5,"result":"ok"}
{"client":2,"op":"put","key":"k","value":"b","call":2,"return":6,"result":"ok"}
{"client":3,"op":"get","key":"k","call":7,"return":8,"result":"ok","value":"b"}
{"client":3,"op":"get","key":"k","call":9,"return":10,"result":"ok","value":"a"}
)",
                  4);
}

TEST(LincheckTest, OperationsThatTouchAreConcurrent) {
  // The get is called at the put's return: it may still precede the put.
  ExpectLinearizable(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"get","key":"k","call":2,"return":3,"result":"not_found"}
)");
}

TEST(LincheckTest, StaleReadShrinksToThreeOperations) {
  std::vector<Operation> counterexample = ExpectViolation(R"(
{"client":3,"op":"get","key":"k","call":0,"return":0.5,"result":"not_found"}
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":3,"op":"get","key":"k","call":2.5,"return":2.8,"result":"ok","value":"a"}
{"client":1,"op":"put","key":"k","value":"b","call":3,"return":4,"result":"ok"}
{"client":4,"op":"put","key":"k","value":"c","call":3,"return":4.5,"result":"unknown"}
{"client":2,"op":"get","key":"k","call":5,"return":6,"result":"ok","value":"a"}
{"client":3,"op":"get","key":"k","call":7,"return":8,"result":"ok","value":"b"}
)",
                                                          3);
  EXPECT_EQ(
      Format(counterexample),
      R"({"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":1,"op":"put","key":"k","value":"b","call":3,"return":4,"result":"ok"}
{"client":2,"op":"get","key":"k","call":5,"return":6,"result":"ok","value":"a"})");
}

TEST(LincheckTest, LostWrite) {
  ExpectViolation(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"get","key":"k","call":3,"return":4,"result":"not_found"}
)",
                  2);
  ExpectViolation(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":1,"op":"put","key":"k","value":"b","call":3,"return":4,"result":"ok"}
{"client":2,"op":"get","key":"k","call":5,"return":6,"result":"ok","value":"a"}
)",
                  3);
}

TEST(LincheckTest, ReadOfValueNeverWritten) {
  ExpectViolation(R"(
{"client":2,"op":"get","key":"k","call":3,"return":4,"result":"ok","value":"x"}
)",
                  1);
}

TEST(LincheckTest, CasOnAbsentKeyNeverSucceeds) {
  ExpectViolation(R"(
{"client":1,"op":"cas","key":"k","expected":"a","value":"b","call":1,"return":2,"result":"ok"}
)",
                  1);
  ExpectViolation(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":1,"op":"delete","key":"k","call":3,"return":4,"result":"ok"}
{"client":2,"op":"cas","key":"k","expected":"a","value":"b","call":5,"return":6,"result":"ok"}
)",
                  3);
  ExpectLinearizable(R"(
{"client":1,"op":"cas","key":"k","expected":"a","value":"b","call":1,"return":2,"result":"failed"}
{"client":1,"op":"get","key":"k","call":3,"return":4,"result":"not_found"}
)");
}

TEST(LincheckTest, CasSemantics) {
  ExpectLinearizable(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"cas","key":"k","expected":"a","value":"b","call":3,"return":4,"result":"ok"}
{"client":3,"op":"cas","key":"k","expected":"a","value":"c","call":5,"return":6,"result":"failed"}
{"client":1,"op":"get","key":"k","call":7,"return":8,"result":"ok","value":"b"}
)");
  // Concurrent cas a->b and a->c: exactly one may succeed.
  ExpectLinearizable(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"cas","key":"k","expected":"a","value":"b","call":3,"return":6,"result":"failed"}
{"client":3,"op":"cas","key":"k","expected":"a","value":"c","call":4,"return":5,"result":"ok"}
)");
  ExpectViolation(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"cas","key":"k","expected":"a","value":"b","call":3,"return":6,"result":"ok"}
{"client":3,"op":"cas","key":"k","expected":"a","value":"c","call":4,"return":5,"result":"ok"}
)",
                  3);
  // A failed cas although the value matched.
  ExpectViolation(R"(
{"client":3,"op":"get","key":"k","call":0,"return":0.5,"result":"not_found"}
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"cas","key":"k","expected":"a","value":"b","call":3,"return":4,"result":"failed"}
)",
                  2);
  // A cas whose effect is lost.
  ExpectViolation(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"cas","key":"k","expected":"a","value":"b","call":3,"return":4,"result":"ok"}
{"client":1,"op":"get","key":"k","call":5,"return":6,"result":"ok","value":"a"}
)",
                  3);
}

TEST(LincheckTest, DeleteSemantics) {
  ExpectLinearizable(R"(
{"client":1,"op":"delete","key":"k","call":1,"return":2,"result":"ok"}
{"client":1,"op":"put","key":"k","value":"a","call":3,"return":4,"result":"ok"}
{"client":2,"op":"delete","key":"k","call":5,"return":6,"result":"ok"}
{"client":1,"op":"get","key":"k","call":7,"return":8,"result":"not_found"}
{"client":2,"op":"delete","key":"k","call":9,"return":10,"result":"ok"}
)");
  ExpectViolation(R"(
{"client":1,"op":"put","key":"k","value":"a","call":3,"return":4,"result":"ok"}
{"client":2,"op":"delete","key":"k","call":5,"return":6,"result":"ok"}
{"client":1,"op":"get","key":"k","call":7,"return":8,"result":"ok","value":"a"}
)",
                  3);
}

TEST(LincheckTest, UnknownWriteThatTookEffect) {
  // Even long after the client gave up on it.
  ExpectLinearizable(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"put","key":"k","value":"b","call":3,"return":4,"result":"unknown"}
{"client":3,"op":"get","key":"k","call":5,"return":6,"result":"ok","value":"a"}
{"client":3,"op":"get","key":"k","call":10,"return":11,"result":"ok","value":"b"}
)");
  // A chain of unknown writes: put b, then cas b->c.
  ExpectLinearizable(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"put","key":"k","value":"b","call":3,"return":4,"result":"unknown"}
{"client":4,"op":"cas","key":"k","expected":"b","value":"c","call":3,"return":4,"result":"unknown"}
{"client":3,"op":"get","key":"k","call":5,"return":6,"result":"ok","value":"c"}
)");
  ExpectLinearizable(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"delete","key":"k","call":3,"return":4,"result":"unknown"}
{"client":3,"op":"get","key":"k","call":5,"return":6,"result":"not_found"}
{"client":4,"op":"cas","key":"k","expected":"a","value":"b","call":7,"return":8,"result":"failed"}
)");
}

TEST(LincheckTest, UnknownWriteThatDidNotTakeEffect) {
  ExpectLinearizable(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"put","key":"k","value":"b","call":3,"return":4,"result":"unknown"}
{"client":2,"op":"delete","key":"k","call":4,"return":5,"result":"unknown"}
{"client":2,"op":"cas","key":"k","expected":"a","value":"c","call":5,"return":6,"result":"unknown"}
{"client":3,"op":"get","key":"k","call":7,"return":8,"result":"ok","value":"a"}
{"client":3,"op":"get","key":"k","call":20,"return":21,"result":"ok","value":"a"}
)");
}

TEST(LincheckTest, UnknownCasTakesEffectOnlyIfMatched) {
  ExpectLinearizable(R"(
{"client":1,"op":"put","key":"k","value":"z","call":1,"return":2,"result":"ok"}
{"client":2,"op":"cas","key":"k","expected":"z","value":"c","call":3,"return":4,"result":"unknown"}
{"client":3,"op":"get","key":"k","call":5,"return":6,"result":"ok","value":"c"}
)");
  ExpectViolation(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"cas","key":"k","expected":"z","value":"c","call":3,"return":4,"result":"unknown"}
{"client":3,"op":"get","key":"k","call":5,"return":6,"result":"ok","value":"c"}
)",
                  2);
}

TEST(LincheckTest, UnknownWriteCannotTakeEffectBeforeItsCall) {
  ExpectViolation(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":3,"op":"get","key":"k","call":3,"return":4,"result":"ok","value":"b"}
{"client":2,"op":"put","key":"k","value":"b","call":5,"return":6,"result":"unknown"}
)",
                  1);
}

TEST(LincheckTest, UnknownReadIsDropped) {
  ExpectLinearizable(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"get","key":"k","call":3,"return":4,"result":"unknown"}
{"client":2,"op":"get","key":"k","call":5,"return":6,"result":"unknown","value":"zz"}
)");
  // Not dropped, the second read would be a violation.
  std::vector<Operation> history = Parse(R"(
{"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"}
{"client":2,"op":"get","key":"k","call":5,"return":6,"result":"unknown","value":"zz"}
)");
  ASSERT_THAT(history, SizeIs(2));
  history[1].result = OpResult::kOk;
  EXPECT_FALSE(Check(history).linearizable);
}

TEST(LincheckTest, OnlyTheViolatedKeyIsReported) {
  std::vector<Operation> counterexample = ExpectViolation(R"(
{"client":1,"op":"put","key":"k1","value":"x1","call":1,"return":2,"result":"ok"}
{"client":2,"op":"put","key":"k2","value":"a","call":1.5,"return":2.5,"result":"ok"}
{"client":3,"op":"get","key":"k1","call":2.2,"return":3,"result":"ok","value":"x1"}
{"client":1,"op":"get","key":"k2","call":3,"return":3.5,"result":"ok","value":"a"}
{"client":4,"op":"put","key":"k3","value":"z","call":3,"return":9,"result":"ok"}
{"client":2,"op":"put","key":"k2","value":"b","call":4,"return":5,"result":"ok"}
{"client":3,"op":"delete","key":"k1","call":4,"return":6,"result":"ok"}
{"client":1,"op":"get","key":"k2","call":5.5,"return":6,"result":"ok","value":"b"}
{"client":2,"op":"get","key":"k2","call":6.5,"return":7,"result":"ok","value":"a"}
{"client":3,"op":"get","key":"k1","call":7,"return":8,"result":"not_found"}
{"client":1,"op":"get","key":"k3","call":7,"return":8,"result":"not_found"}
{"client":2,"op":"get","key":"k3","call":9.5,"return":10,"result":"ok","value":"z"}
{"client":1,"op":"get","key":"k2","call":9,"return":10,"result":"ok","value":"b"}
)",
                                                          3);
  for (const Operation& op : counterexample) EXPECT_EQ(op.key, "k2");
}

TEST(LincheckTest, ImpossibleResultIsNeverLinearizable) {
  Operation put;
  put.kind = OpKind::kPut;
  put.key = "k";
  put.value = "a";
  put.call = 1;
  put.ret = 2;
  put.result = OpResult::kNotFound;
  EXPECT_FALSE(Check({put}).linearizable);
}

TEST(LincheckTest, NanTimesDoNotCrash) {
  Operation put;
  put.kind = OpKind::kPut;
  put.key = "k";
  put.value = "a";
  put.call = std::numeric_limits<double>::quiet_NaN();
  put.ret = std::numeric_limits<double>::quiet_NaN();
  Operation get;
  get.key = "k";
  get.value = "a";
  get.call = 1;
  get.ret = 2;
  EXPECT_TRUE(Check({put, get}).linearizable);
}

TEST(LincheckTest, CounterexampleIsAWitnessNotAnyViolatingSubset) {
  // The real violation is the read of "a", which nobody wrote. {delete at
  // 0, put b, get not_found} is not linearizable by itself either, but is
  // no witness: the delete left out (0 to 4) may have come after the put.
  std::vector<Operation> counterexample = ExpectViolation(R"(
{"client":0,"op":"put","key":"k","value":"b","call":1,"return":1,"result":"ok"}
{"client":1,"op":"delete","key":"k","call":0,"return":4,"result":"ok"}
{"client":2,"op":"get","key":"k","call":4,"return":4,"result":"not_found"}
{"client":3,"op":"delete","key":"k","call":0,"return":0,"result":"ok"}
{"client":4,"op":"get","key":"k","call":6,"return":6,"result":"ok","value":"a"}
)",
                                                          1);
  EXPECT_EQ(counterexample[0].value, "a");

  // The two reads contradict each other. {put a at 0, delete, get a} is no
  // witness: the other put of "a" may have come after the delete.
  counterexample = ExpectViolation(R"(
{"client":0,"op":"put","key":"k","value":"a","call":0,"return":2,"result":"ok"}
{"client":1,"op":"get","key":"k","call":3,"return":7,"result":"not_found"}
{"client":2,"op":"put","key":"k","value":"a","call":0,"return":0,"result":"ok"}
{"client":3,"op":"delete","key":"k","call":1,"return":3,"result":"ok"}
{"client":4,"op":"get","key":"k","call":6,"return":10,"result":"ok","value":"a"}
)",
                                   4);
  EXPECT_EQ(counterexample[0].result, OpResult::kNotFound);
}

TEST(LincheckTest, ParseErrorsNameTheLine) {
  struct Case {
    std::string jsonl;
    std::string error;
  };
  const std::string ok =
      R"({"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"ok"})";
  const std::vector<Case> cases = {
      {"{\"client\":1,", "line 1: invalid JSON"},
      {"[1,2]", "line 1: not a JSON object"},
      {ok + "\n\n" +
           R"({"op":"get","key":"k","call":1,"return":2,"result":"not_found"})",
       "line 3: missing field \"client\""},
      {R"({"client":-1,"op":"get","key":"k","call":1,"return":2,"result":"not_found"})",
       "line 1: field \"client\" is not a non-negative integer"},
      {R"({"client":1.5,"op":"get","key":"k","call":1,"return":2,"result":"not_found"})",
       "line 1: field \"client\""},
      {R"({"client":1,"op":"get","call":1,"return":2,"result":"not_found"})",
       "line 1: missing field \"key\""},
      {R"({"client":1,"op":"get","key":7,"call":1,"return":2,"result":"not_found"})",
       "line 1: field \"key\" is not a string"},
      {R"({"client":1,"op":"incr","key":"k","call":1,"return":2,"result":"ok"})",
       "line 1: unknown op \"incr\""},
      {ok + "\n" +
           R"({"client":1,"op":"get","key":"k","call":1,"return":2,"result":"maybe"})",
       "line 2: unknown result \"maybe\""},
      {R"({"client":1,"op":"put","key":"k","value":"a","call":1,"return":2,"result":"not_found"})",
       "line 1: result \"not_found\" is not valid for put"},
      {R"({"client":1,"op":"get","key":"k","call":1,"return":2,"result":"failed"})",
       "line 1: result \"failed\" is not valid for get"},
      {R"({"client":1,"op":"delete","key":"k","call":1,"return":2,"result":"failed"})",
       "line 1: result \"failed\" is not valid for delete"},
      {R"({"client":1,"op":"put","key":"k","call":1,"return":2,"result":"ok"})",
       "line 1: missing field \"value\""},
      {R"({"client":1,"op":"get","key":"k","call":1,"return":2,"result":"ok"})",
       "line 1: missing field \"value\""},
      {R"({"client":1,"op":"cas","key":"k","value":"b","call":1,"return":2,"result":"ok"})",
       "line 1: missing field \"expected\""},
      {R"({"client":1,"op":"get","key":"k","return":2,"result":"not_found"})",
       "line 1: missing field \"call\""},
      {R"({"client":1,"op":"get","key":"k","call":"1","return":2,"result":"not_found"})",
       "line 1: field \"call\" is not a number"},
      {R"({"client":1,"op":"get","key":"k","call":3,"return":2,"result":"not_found"})",
       "line 1: return 2 is before call 3"},
      {R"({"client":1,"op":"get","key":"k","call":1,"return":1e999,"result":"not_found"})",
       "line 1: invalid JSON"},
      {R"({"client":1,"op":"get","key":"k","call":1,"return":2})",
       "line 1: missing field \"result\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.jsonl);
    absl::StatusOr<std::vector<Operation>> history = ParseHistory(c.jsonl);
    ASSERT_FALSE(history.ok());
    EXPECT_EQ(history.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(history.status().message(), HasSubstr(c.error));
  }
}

TEST(LincheckTest, ParseAcceptsIntegersFloatsBlankLinesAndCrlf) {
  std::vector<Operation> history = Parse(
      "\n  \n"
      R"({"client":7,"op":"put","key":"k","value":"","call":12,"return":13.25,"result":"ok"})"
      "\r\n\n"
      R"({"client":1,"op":"get","key":"k","call":0.5,"return":1e3,"result":"not_found","extra":[1]})"
      "\n");
  ASSERT_THAT(history, SizeIs(2));
  EXPECT_EQ(history[0].client, 7u);
  EXPECT_EQ(history[0].kind, OpKind::kPut);
  EXPECT_EQ(history[0].value, "");
  EXPECT_EQ(history[0].call, 12);
  EXPECT_EQ(history[0].ret, 13.25);
  EXPECT_EQ(history[1].kind, OpKind::kGet);
  EXPECT_EQ(history[1].result, OpResult::kNotFound);
  EXPECT_EQ(history[1].ret, 1000);
}

TEST(LincheckTest, FormatOperationMatchesTheFormat) {
  const std::vector<std::string> lines = {
      R"({"client":3,"op":"put","key":"k1","value":"v7","call":12.5,"return":13.1,"result":"ok"})",
      R"({"client":1,"op":"get","key":"k1","call":13,"return":13.4,"result":"ok","value":"v7"})",
      R"({"client":1,"op":"get","key":"k1","call":13,"return":13.4,"result":"not_found"})",
      R"({"client":2,"op":"cas","key":"k1","expected":"v7","value":"v8","call":14,"return":14.2,"result":"ok"})",
      R"({"client":2,"op":"cas","key":"k1","expected":"v7","value":"v8","call":14,"return":14.2,"result":"failed"})",
      R"({"client":4,"op":"delete","key":"k1","call":15,"return":15.3,"result":"ok"})",
      R"({"client":4,"op":"delete","key":"k1","call":15,"return":15.3,"result":"unknown"})",
      R"({"client":5,"op":"get","key":"k\"\n\\é","call":-1.5,"return":1e+20,"result":"unknown"})",
  };
  for (const std::string& line : lines) {
    std::vector<Operation> history = Parse(line);
    ASSERT_THAT(history, SizeIs(1));
    EXPECT_EQ(FormatOperation(history[0]), line);
  }
}

TEST(LincheckTest, FormatOperationWithInfiniteReturnStaysParseable) {
  Operation op;
  op.kind = OpKind::kPut;
  op.key = "k";
  op.value = "v";
  op.call = 1;
  op.ret = std::numeric_limits<double>::infinity();
  op.result = OpResult::kUnknown;
  std::vector<Operation> history = Parse(FormatOperation(op));
  ASSERT_THAT(history, SizeIs(1));
  EXPECT_EQ(history[0].ret, std::numeric_limits<double>::max());
}

TEST(LincheckTest, GeneratedHistoryRoundTrips) {
  std::vector<Operation> history = GenerateHistory(
      {.ops = 500, .clients = 4, .keys = 3, .seed = 3, .violate = false});
  std::string jsonl;
  for (const Operation& op : history) {
    absl::StrAppend(&jsonl, FormatOperation(op), "\n");
  }
  std::vector<Operation> parsed = Parse(jsonl);
  ASSERT_EQ(parsed.size(), history.size());
  for (size_t i = 0; i < parsed.size(); ++i) {
    EXPECT_EQ(FormatOperation(parsed[i]), FormatOperation(history[i]));
    EXPECT_EQ(parsed[i].call, history[i].call);
    EXPECT_EQ(parsed[i].ret, history[i].ret);
  }
}

TEST(LincheckTest, GeneratedHistoryIsReproducible) {
  const GenerateOptions options{
      .ops = 300, .clients = 3, .keys = 2, .seed = 9, .violate = true};
  EXPECT_EQ(Format(GenerateHistory(options)), Format(GenerateHistory(options)));
}

TEST(LincheckTest, GeneratedHistoryHasOverlapsAndUnknowns) {
  std::vector<Operation> history = GenerateHistory(
      {.ops = 2000, .clients = 8, .keys = 20, .seed = 1, .violate = false});
  ASSERT_THAT(history, SizeIs(2000));
  size_t overlaps = 0;
  size_t unknown = 0;
  for (size_t i = 1; i < history.size(); ++i) {
    if (history[i].call < history[i - 1].ret) ++overlaps;
    if (history[i].result == OpResult::kUnknown) ++unknown;
  }
  EXPECT_GT(overlaps, 1000u);
  EXPECT_GT(unknown, 10u);
}

class GeneratedTest : public ::testing::TestWithParam<GenerateOptions> {};

TEST_P(GeneratedTest, LinearizableUnlessAStaleReadIsPlanted) {
  GenerateOptions options = GetParam();
  const std::vector<Operation> clean = GenerateHistory(options);
  Verdict verdict = Check(clean);
  EXPECT_TRUE(verdict.linearizable) << Format(verdict.counterexample);

  options.violate = true;
  const std::vector<Operation> history = GenerateHistory(options);
  ASSERT_EQ(history.size(), clean.size());
  std::vector<std::string> planted;
  for (size_t i = 0; i < history.size(); ++i) {
    if (FormatOperation(history[i]) != FormatOperation(clean[i])) {
      planted.push_back(FormatOperation(history[i]));
    }
  }
  ASSERT_THAT(planted, SizeIs(1));
  verdict = Check(history);
  EXPECT_FALSE(verdict.linearizable);
  // The counterexample shows the planted read, not some other sub-history
  // that happens not to be linearizable.
  EXPECT_THAT(Format(verdict.counterexample), HasSubstr(planted[0]));
  ASSERT_THAT(verdict.counterexample, SizeIs(::testing::Ge(2)));
  EXPECT_THAT(verdict.counterexample, SizeIs(::testing::Le(4)))
      << Format(verdict.counterexample);
  for (const Operation& op : verdict.counterexample) {
    EXPECT_EQ(op.key, verdict.counterexample[0].key);
  }
  EXPECT_FALSE(Check(verdict.counterexample).linearizable);
}

INSTANTIATE_TEST_SUITE_P(
    Histories, GeneratedTest,
    ::testing::Values(
        GenerateOptions{.ops = 2000, .clients = 8, .keys = 20, .seed = 1},
        GenerateOptions{.ops = 2000, .clients = 8, .keys = 20, .seed = 2},
        GenerateOptions{.ops = 2000, .clients = 4, .keys = 3, .seed = 3},
        // Every client on one key: the most concurrency per key.
        GenerateOptions{.ops = 2000, .clients = 8, .keys = 1, .seed = 4},
        GenerateOptions{.ops = 2000, .clients = 16, .keys = 1, .seed = 5}));

}  // namespace
}  // namespace craft::lincheck
