// A linearizability checker for histories of a key-value store with put, get,
// delete and compare-and-swap, as recorded by clients of a replicated store
// (craft's cluster simulator, or a real deployment's clients).
//
// The check is a Wing-Gong/Lowe depth-first search over linearizations with
// Porcupine's entry/return list, pruned by a cache of (linearized set, model
// state), applied to each key separately (a key-value history is linearizable
// iff each key's sub-history is). Ambiguous writes are linearized lazily, only
// where an operation needs their effect.
//
// Speed (RelWithDebInfo, GCC 12, CPU time on one core of a 2-core VM):
// `craft-lincheck --generate 20000 --clients 8 --keys 20 --seed 1` is judged
// in 0.06 s, and in 0.06 s with --violate, shrinking included. With all 20 000
// operations on one key: 0.06-0.1 s for 8 or 16 clients; with --violate,
// which makes the search rule out every interleaving before the stale read,
// 0.1-2.4 s (8 clients) and 1.5-19 s, up to 330 MB (16 clients; seeds 1-4).

#ifndef CRAFT_TESTS_LINCHECK_LINCHECK_H_
#define CRAFT_TESTS_LINCHECK_LINCHECK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace craft::lincheck {

enum class OpKind { kPut, kGet, kDelete, kCas };

// kOk: the operation took effect (get: the key held `value`).
// kNotFound: a get found the key absent.
// kFailed: a cas found a value other than `expected`, or the key absent.
// kUnknown: the client does not know the outcome. A write so marked may take
// effect at any time after its call, or never; a get so marked is ignored.
enum class OpResult { kOk, kNotFound, kFailed, kUnknown };

// One completed operation of a history: what a client asked for, when it
// asked (call) and when it learnt the outcome (ret).
struct Operation {
  uint64_t client = 0;
  OpKind kind = OpKind::kGet;
  std::string key;
  std::string value;     // put/cas: the value written; get: the value read
                         // (result kOk)
  std::string expected;  // cas only
  double call = 0;
  double ret = 0;  // ignored for kUnknown writes (treated as +infinity)
  OpResult result = OpResult::kOk;
};

// Parses a history in JSON lines, one operation per line:
//
//   {"client":3,"op":"put","key":"k1","value":"v7","call":12.5,"return":13.1,
//    "result":"ok"}
//
// with "op" one of put, get, cas (which also has "expected") and delete, and
// "result" one of ok, not_found (get), failed (cas) and unknown; a get with
// result ok has the value read as "value". Blank lines are ignored, and so
// are fields an operation does not use. Gets with result unknown are kept
// (Check ignores them). An error names the offending line (1-based).
absl::StatusOr<std::vector<Operation>> ParseHistory(absl::string_view jsonl);

// Returns `op` as one line of the format ParseHistory reads, without the
// newline. Non-finite times are printed clamped to the largest finite double
// (JSON has no infinity); strings that are not UTF-8 have the offending bytes
// replaced by U+FFFD.
std::string FormatOperation(const Operation& op);

struct Verdict {
  bool linearizable = true;
  // Empty when linearizable; else a minimal non-linearizable sub-history.
  std::vector<Operation> counterexample;
};

// Judges `history` (in any order). A history is linearizable if every
// operation except unknown ones can be given a point between its call and
// its return (ret < call is read as ret == call) such that the operations in
// the order of their points, plus any subset of the unknown writes at points
// after their calls, are a legal sequential history of a map starting empty
// (gets with unknown results are ignored). A result that is impossible for the
// kind (a put that is "not_found") can never be linearized.
//
// NaN times are read as 0 (call) and as the call (ret).
//
// When the history is not linearizable, `counterexample` holds operations of
// one offending key (the first to appear), in the history's order, shrunk
// greedily (delta debugging) while it stays a witness: not linearizable even if
// each write left out of it may or may not have taken effect within its
// interval (an unknown one: at any time after its call), and keeping for each
// value it reads a write that could have produced it when the history has one.
Verdict Check(const std::vector<Operation>& history);

// A random history of a simulated linearizable store, for tests and
// benchmarks: `clients` clients issue `ops` operations back to back on
// `keys` keys with overlapping intervals (every written value is unique).
// About 3% of writes are unknown (half of those take effect, possibly after
// the client gave up) and 1% of gets are unknown. With `violate`, one get
// is made to return a stale value, overwritten by a put that completed
// before the get was called, so the history is not linearizable. The same
// options give the same history on every platform.
struct GenerateOptions {
  size_t ops = 1000;
  int clients = 8;
  int keys = 20;
  uint64_t seed = 1;
  bool violate = false;
};
std::vector<Operation> GenerateHistory(const GenerateOptions& options);

}  // namespace craft::lincheck

#endif  // CRAFT_TESTS_LINCHECK_LINCHECK_H_
