#include "lincheck/lincheck.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"

namespace craft::lincheck {
namespace {

using Json = nlohmann::json;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------
// The JSON lines format.

absl::string_view OpName(OpKind kind) {
  switch (kind) {
    case OpKind::kPut:
      return "put";
    case OpKind::kGet:
      return "get";
    case OpKind::kDelete:
      return "delete";
    case OpKind::kCas:
      return "cas";
  }
  return "?";
}

absl::string_view ResultName(OpResult result) {
  switch (result) {
    case OpResult::kOk:
      return "ok";
    case OpResult::kNotFound:
      return "not_found";
    case OpResult::kFailed:
      return "failed";
    case OpResult::kUnknown:
      return "unknown";
  }
  return "?";
}

// Whether a store could answer an operation of `kind` with `result`.
bool ResultValidFor(OpKind kind, OpResult result) {
  switch (result) {
    case OpResult::kOk:
    case OpResult::kUnknown:
      return true;
    case OpResult::kNotFound:
      return kind == OpKind::kGet;
    case OpResult::kFailed:
      return kind == OpKind::kCas;
  }
  return false;
}

bool IsWrite(OpKind kind) { return kind != OpKind::kGet; }

const Json* Field(const Json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

absl::StatusOr<std::string> StringField(const Json& object, const char* name) {
  const Json* field = Field(object, name);
  if (field == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing field \"", name, "\""));
  }
  if (!field->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", name, "\" is not a string"));
  }
  return field->get<std::string>();
}

absl::StatusOr<double> TimeField(const Json& object, const char* name) {
  const Json* field = Field(object, name);
  if (field == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing field \"", name, "\""));
  }
  if (!field->is_number()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", name, "\" is not a number"));
  }
  double value = field->get<double>();
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", name, "\" is not finite"));
  }
  return value;
}

absl::StatusOr<Operation> ParseLine(absl::string_view line) {
  Json object = Json::parse(line.begin(), line.end(), /*cb=*/nullptr,
                            /*allow_exceptions=*/false);
  if (object.is_discarded()) return absl::InvalidArgumentError("invalid JSON");
  if (!object.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  Operation op;

  const Json* client = Field(object, "client");
  if (client == nullptr) {
    return absl::InvalidArgumentError("missing field \"client\"");
  }
  if (!client->is_number_unsigned()) {
    return absl::InvalidArgumentError(
        "field \"client\" is not a non-negative integer");
  }
  op.client = client->get<uint64_t>();

  absl::StatusOr<std::string> name = StringField(object, "op");
  if (!name.ok()) return name.status();
  if (*name == "put") {
    op.kind = OpKind::kPut;
  } else if (*name == "get") {
    op.kind = OpKind::kGet;
  } else if (*name == "cas") {
    op.kind = OpKind::kCas;
  } else if (*name == "delete") {
    op.kind = OpKind::kDelete;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown op \"", *name, "\""));
  }

  absl::StatusOr<std::string> key = StringField(object, "key");
  if (!key.ok()) return key.status();
  op.key = *std::move(key);

  absl::StatusOr<std::string> result = StringField(object, "result");
  if (!result.ok()) return result.status();
  if (*result == "ok") {
    op.result = OpResult::kOk;
  } else if (*result == "not_found") {
    op.result = OpResult::kNotFound;
  } else if (*result == "failed") {
    op.result = OpResult::kFailed;
  } else if (*result == "unknown") {
    op.result = OpResult::kUnknown;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown result \"", *result, "\""));
  }
  if (!ResultValidFor(op.kind, op.result)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "result \"", *result, "\" is not valid for ", OpName(op.kind)));
  }

  if (op.kind == OpKind::kPut || op.kind == OpKind::kCas ||
      (op.kind == OpKind::kGet && op.result == OpResult::kOk)) {
    absl::StatusOr<std::string> value = StringField(object, "value");
    if (!value.ok()) return value.status();
    op.value = *std::move(value);
  }
  if (op.kind == OpKind::kCas) {
    absl::StatusOr<std::string> expected = StringField(object, "expected");
    if (!expected.ok()) return expected.status();
    op.expected = *std::move(expected);
  }

  absl::StatusOr<double> call = TimeField(object, "call");
  if (!call.ok()) return call.status();
  absl::StatusOr<double> ret = TimeField(object, "return");
  if (!ret.ok()) return ret.status();
  if (*ret < *call) {
    return absl::InvalidArgumentError(
        absl::StrCat("return ", *ret, " is before call ", *call));
  }
  op.call = *call;
  op.ret = *ret;
  return op;
}

std::string Quote(const std::string& s) {
  return Json(s).dump(/*indent=*/-1, /*indent_char=*/' ',
                      /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

std::string Number(double d) {
  if (std::isnan(d)) {
    d = 0;
  } else if (std::isinf(d)) {
    d = d > 0 ? std::numeric_limits<double>::max()
              : std::numeric_limits<double>::lowest();
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), d);
  if (ec != std::errc()) return "0";
  return std::string(buffer, end);
}

// ---------------------------------------------------------------------------
// The search over one key's sub-history.

// Model states are interned values; the absent key is kAbsent. All values
// that no operation of the key ever reads (as a get's result or a cas's
// expected value) are one state, kUnread: no operation can tell them apart,
// and merging them merges configurations of the search.
constexpr uint32_t kAbsent = 0;
constexpr uint32_t kUnread = 1;

// An operation with a known result, compiled for the search. An optional
// one may also be left out.
struct KnownOp {
  OpKind kind;
  OpResult result;
  uint32_t value;
  uint32_t expected;
  bool optional = false;
};

// The value `op` reads, if any: a get's result, a cas's expected value.
uint32_t ReadOf(const KnownOp& op) {
  if (op.kind == OpKind::kGet && op.result == OpResult::kOk) return op.value;
  if (op.kind == OpKind::kCas) return op.expected;
  return kAbsent;
}

// The value `op` needs the state to hold to take effect, if any: a get's
// result (kAbsent when not found), a successful cas's expected value. None
// for optional operations, which need not take effect.
std::optional<uint32_t> NeedOf(const KnownOp& op) {
  if (op.optional || op.result == OpResult::kUnknown) return std::nullopt;
  if (op.kind == OpKind::kGet) {
    if (op.result == OpResult::kOk) return op.value;
    if (op.result == OpResult::kNotFound) return kAbsent;
  }
  if (op.kind == OpKind::kCas && op.result == OpResult::kOk) {
    return op.expected;
  }
  return std::nullopt;
}

// The state `op` leaves when it takes effect, if it writes.
std::optional<uint32_t> ProductOf(const KnownOp& op) {
  switch (op.kind) {
    case OpKind::kPut:
      return op.value;
    case OpKind::kDelete:
      return kAbsent;
    case OpKind::kCas:
      if (op.result == OpResult::kFailed) return std::nullopt;
      return op.value;
    case OpKind::kGet:
      break;
  }
  return std::nullopt;
}

// Whether `op` can take effect in state `s`; if so sets *next to the state
// after it.
bool Step(const KnownOp& op, uint32_t s, uint32_t* next) {
  *next = s;
  switch (op.kind) {
    case OpKind::kPut:
      if (op.result != OpResult::kOk) return false;
      *next = op.value;
      return true;
    case OpKind::kDelete:
      if (op.result != OpResult::kOk) return false;
      *next = kAbsent;
      return true;
    case OpKind::kGet:
      if (op.result == OpResult::kOk) return s == op.value;
      if (op.result == OpResult::kNotFound) return s == kAbsent;
      return false;
    case OpKind::kCas:
      if (op.result == OpResult::kOk) {
        if (s != op.expected) return false;
        *next = op.value;
        return true;
      }
      if (op.result == OpResult::kFailed) return s != op.expected;
      return false;
  }
  return false;
}

enum class Outcome { kLinearizable, kViolation, kBudgetExceeded };

// KeySearch decides whether the operations history[i], i in `indices`, all on
// one key, are linearizable from an empty key or from any of
// `initial_values`. The operations in `relaxed` (also of that key) may each
// be left out: their reads are, their writes with known results are
// optional (taking effect between call and return, or not at all), and
// their unknown writes are as usual.
//
// Operations with known results are linearized by a depth-first search in
// the style of Lowe and Porcupine: the candidates for the next point are the
// operations whose call entry precedes the first return entry in a doubly
// linked list of call and return entries sorted by time (an operation whose
// return precedes another's call must come first); choosing one unlinks its
// entries, and backtracking relinks them. Configurations (linearized set,
// unknown writes used, state) already explored, or no better than one
// explored, are cached and not explored again.
//
// Unknown writes are not search steps of their own. Any linearization can be
// rearranged so that each unknown write that takes effect does so in a chain
// just before an operation that fails in the state before the chain and
// succeeds after it (later is always allowed, as an unknown write never
// returns; a write whose effect nobody reads can be dropped). So a chain is
// tried only to rescue such an operation: for a get or successful cas that
// needs value x, a put of x or a chain reaching e followed by a cas e->x; for
// a get that found nothing, a delete; for a failed cas, any one write that
// changes the state. Unknown writes with the same effect are
// interchangeable, so they are grouped into classes used in call order.
//
// More reductions keep the search small without changing its answer: a
// read (a get, a failed cas) that succeeds in the current state is taken at
// once, without trying alternatives; of candidates that do the same thing
// only the one with the earliest return is tried; values that no remaining
// operation reads are merged into one state; and a step that leaves a value
// some remaining operation needs, with nothing left that could write it
// again, is not taken.
class KeySearch {
 public:
  KeySearch(const std::vector<Operation>& history,
            absl::Span<const size_t> indices,
            absl::Span<const size_t> relaxed = {},
            absl::Span<const absl::string_view> initial_values = {});
  KeySearch(const KeySearch&) = delete;
  KeySearch& operator=(const KeySearch&) = delete;

  // Searches, giving up after `max_steps` search steps.
  Outcome Run(uint64_t max_steps);

  uint64_t steps() const { return steps_; }

  // After a violation: no operation called after this time took part in the
  // search (it never became a candidate), so the operations called up to it
  // are a non-linearizable sub-history by themselves.
  double horizon() const { return horizon_; }

 private:
  struct Choice {
    uint32_t op;           // the known operation linearized (or skipped)
    uint32_t batch_begin;  // its rescue chain: classes in batch_pool_
    uint32_t batch_end;
    bool skip;  // leave out the optional `op`
  };
  struct Frame {
    uint32_t choices_begin;  // this configuration's choices in choice_pool_
    uint32_t choices_end;
    uint32_t next;            // the next choice to try
    uint32_t batch_begin;     // batch_pool_ size when the frame was made
    uint32_t via;             // the parent's choice that led here
    uint32_t previous_state;  // the state before that choice
  };
  static constexpr uint32_t kNoChoice = std::numeric_limits<uint32_t>::max();

  uint32_t Intern(absl::string_view value);
  uint32_t InternWritten(absl::string_view value);
  void MarkLinearized(uint32_t op) {
    linearized_bits_[op / 64] |= uint64_t{1} << (op % 64);
    high_word_ = std::max(high_word_, op / 64 + 1);
  }
  void Unlink(uint32_t entry);
  void Relink(uint32_t entry);
  bool Available(uint32_t cls, double min_ret) const;
  uint32_t ClassEffect(uint32_t cls, uint32_t s) const;

  // Appends the choices of the current configuration to choice_pool_.
  void AddChoices();
  void AddChains(uint32_t op, uint32_t target, double min_ret,
                 std::vector<uint32_t>* later);
  void AddChoice(uint32_t op, absl::Span<const uint32_t> first,
                 const std::vector<uint32_t>* later_reversed);

  // The depth-first search from state_.
  Outcome Search(uint64_t max_steps);

  // Applies `choice`; false (and nothing applied) if it fails or leaves a
  // state some remaining operation needs and nothing can bring back.
  bool Apply(const Choice& choice);
  void UndoBatch(const Choice& choice);
  void Undo(const Choice& choice, uint32_t previous_state);
  bool Doomed(uint32_t value) const {
    return needs_[value] > 0 && producers_[value] == 0;
  }
  // Widens the horizon to the operations that doom `value`.
  void NoteDoomed(uint32_t value);

  // Inserts the current configuration into the cache; false if it, or one
  // that used no more unknown writes, is there already.
  bool Remember();

  absl::flat_hash_map<absl::string_view, uint32_t> interned_;
  absl::flat_hash_set<absl::string_view> read_;  // values some op reads

  // Known operations, in call order, and their list entries. Entry 0 is the
  // list's sentinel; entries 2i+1 and 2i+2 are op i's call and return.
  std::vector<KnownOp> ops_;
  std::vector<uint32_t> next_;
  std::vector<uint32_t> prev_;
  std::vector<double> time_;
  uint32_t remaining_ = 0;  // operations neither linearized nor optional
  std::vector<uint32_t> initial_states_;

  // Classes of unknown writes with the same effect (kind, value, expected).
  std::vector<KnownOp> class_effect_;
  std::vector<std::vector<double>> class_calls_;  // sorted
  std::vector<uint32_t> used_;                    // ops used, per class
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> classes_producing_;
  std::optional<uint32_t> delete_class_;

  uint32_t state_ = kAbsent;
  // How many operations not yet linearized (unknown ones: not yet used)
  // read each value; readers_[kUnread] is always 0.
  std::vector<uint32_t> readers_;
  // Per state: how many remaining operations need it, and can produce it.
  std::vector<uint32_t> needs_;
  std::vector<uint32_t> producers_;
  std::vector<std::vector<uint32_t>> needers_;  // all, in call order
  std::vector<uint32_t> left_;                  // scratch for Apply
  // Known operations linearized (or left out), and bounds on the words
  // between the first that is not full and the last that is not empty.
  std::vector<uint64_t> linearized_bits_;
  uint32_t low_word_ = 0;   // <= the first word that is not full
  uint32_t high_word_ = 0;  // >= one past the last word that is not empty
  std::vector<uint32_t> class_bit_;  // first bit of each class in used_bits_
  std::vector<uint64_t> used_bits_;  // the unknown writes used

  std::vector<Frame> frames_;
  std::vector<uint32_t> candidates_;  // scratch for AddChoices
  std::vector<uint32_t> rescues_;     // scratch for AddChoices
  std::vector<uint32_t> later_;       // scratch for AddChains
  std::vector<Choice> choice_pool_;
  std::vector<uint32_t> batch_pool_;
  uint64_t steps_ = 0;
  double horizon_ = -kInfinity;

  // The cache: each (linearized set, state) explored, serialized into
  // arena_ and found by hash, with the sets of unknown writes used when it
  // was (a linked list through used_sets_).
  struct CacheEntry {
    uint64_t hash;
    uint64_t offset;
    uint32_t size;
    uint32_t used_sets;
  };
  struct UsedSet {
    uint32_t id;  // in used_arena_
    uint32_t next;
  };
  struct CacheHash {
    const KeySearch* search;
    size_t operator()(uint32_t e) const { return search->entries_[e].hash; }
  };
  struct CacheEq {
    const KeySearch* search;
    bool operator()(uint32_t a, uint32_t b) const {
      const CacheEntry& x = search->entries_[a];
      const CacheEntry& y = search->entries_[b];
      return x.hash == y.hash && x.size == y.size &&
             std::equal(search->arena_.begin() + x.offset,
                        search->arena_.begin() + x.offset + x.size,
                        search->arena_.begin() + y.offset);
    }
  };
  static constexpr uint32_t kNoUsedSet = std::numeric_limits<uint32_t>::max();
  std::vector<uint64_t> arena_;
  std::vector<CacheEntry> entries_;
  std::vector<UsedSet> used_sets_;
  absl::flat_hash_set<uint32_t, CacheHash, CacheEq> cache_;

  // Sets of unknown writes used, interned (many configurations share one):
  // set i is words [i * used_bits_.size(), (i + 1) * used_bits_.size()).
  struct UsedHash {
    const KeySearch* search;
    size_t operator()(uint32_t i) const { return search->used_hashes_[i]; }
  };
  struct UsedEq {
    const KeySearch* search;
    bool operator()(uint32_t a, uint32_t b) const {
      const size_t words = search->used_bits_.size();
      return std::equal(search->used_arena_.begin() + a * words,
                        search->used_arena_.begin() + (a + 1) * words,
                        search->used_arena_.begin() + b * words);
    }
  };
  uint32_t InternUsed();
  std::vector<uint64_t> used_arena_;
  std::vector<uint64_t> used_hashes_;
  absl::flat_hash_set<uint32_t, UsedHash, UsedEq> used_ids_;
};

KeySearch::KeySearch(const std::vector<Operation>& history,
                     absl::Span<const size_t> indices,
                     absl::Span<const size_t> relaxed,
                     absl::Span<const absl::string_view> initial_values)
    : cache_(0, CacheHash{this}, CacheEq{this}),
      used_ids_(0, UsedHash{this}, UsedEq{this}) {
  std::vector<std::pair<size_t, bool>> known;  // (index, optional)
  std::vector<size_t> unknown;
  const auto add_unknown = [&](size_t i) {
    const Operation& op = history[i];
    // A failed cas, or a cas of x to x, can never change anything.
    if (IsWrite(op.kind) && op.result != OpResult::kFailed &&
        !(op.kind == OpKind::kCas && op.value == op.expected)) {
      unknown.push_back(i);
    }
  };
  for (size_t i : indices) {
    if (history[i].result != OpResult::kUnknown) {
      known.emplace_back(i, false);
    } else {
      add_unknown(i);
    }
  }
  for (size_t i : relaxed) {
    const Operation& op = history[i];
    if (op.result == OpResult::kUnknown) {
      add_unknown(i);
    } else if (IsWrite(op.kind) && op.result != OpResult::kFailed) {
      known.emplace_back(i, true);
    }
  }
  auto by_call = [&history](size_t a, size_t b) {
    return history[a].call < history[b].call ||
           (history[a].call == history[b].call && a < b);
  };
  std::sort(known.begin(), known.end(),
            [&by_call](const std::pair<size_t, bool>& a,
                       const std::pair<size_t, bool>& b) {
              return by_call(a.first, b.first);
            });
  std::sort(unknown.begin(), unknown.end(), by_call);
  for (const auto& [i, optional] : known) {
    const Operation& op = history[i];
    if (op.kind == OpKind::kGet && op.result == OpResult::kOk) {
      read_.insert(op.value);
    } else if (op.kind == OpKind::kCas) {
      read_.insert(op.expected);
    }
  }
  for (size_t i : unknown) {
    if (history[i].kind == OpKind::kCas) read_.insert(history[i].expected);
  }

  // Entries sorted by time; a call sorts before a return at the same time,
  // so that operations that touch are concurrent.
  struct Event {
    double time;
    bool is_return;
    uint32_t entry;
  };
  std::vector<Event> events;
  const uint32_t n = static_cast<uint32_t>(known.size());
  ops_.reserve(n);
  time_.assign(2 * n + 1, 0);
  for (uint32_t i = 0; i < n; ++i) {
    const auto [index, optional] = known[i];
    const Operation& op = history[index];
    uint32_t value = kAbsent;
    if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) {
      value = InternWritten(op.value);
    } else if (op.kind == OpKind::kGet && op.result == OpResult::kOk) {
      value = Intern(op.value);
    }
    ops_.push_back({op.kind, op.result, value,
                    op.kind == OpKind::kCas ? Intern(op.expected) : kAbsent,
                    optional});
    if (!optional) ++remaining_;
    time_[2 * i + 1] = op.call;
    time_[2 * i + 2] = std::max(op.ret, op.call);
    events.push_back({time_[2 * i + 1], false, 2 * i + 1});
    events.push_back({time_[2 * i + 2], true, 2 * i + 2});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.is_return != b.is_return) return !a.is_return;
    return a.entry < b.entry;
  });
  next_.assign(2 * n + 1, 0);
  prev_.assign(2 * n + 1, 0);
  uint32_t last = 0;
  for (const Event& event : events) {
    next_[last] = event.entry;
    prev_[event.entry] = last;
    last = event.entry;
  }
  next_[last] = 0;
  prev_[0] = last;
  linearized_bits_.assign((n + 63) / 64, 0);

  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, uint32_t> put_or_cas;
  for (size_t i : unknown) {
    const Operation& op = history[i];
    KnownOp effect{
        op.kind, OpResult::kOk,
        op.kind == OpKind::kDelete ? kAbsent : InternWritten(op.value),
        op.kind == OpKind::kCas ? Intern(op.expected) : kAbsent};
    uint32_t cls;
    if (effect.kind == OpKind::kDelete) {
      if (!delete_class_.has_value()) {
        delete_class_ = static_cast<uint32_t>(class_effect_.size());
        class_effect_.push_back(effect);
        class_calls_.emplace_back();
      }
      cls = *delete_class_;
    } else {
      // Puts have expected == kAbsent, which no cas has.
      auto [it, inserted] =
          put_or_cas.try_emplace(std::make_pair(effect.value, effect.expected),
                                 static_cast<uint32_t>(class_effect_.size()));
      if (inserted) {
        class_effect_.push_back(effect);
        class_calls_.emplace_back();
        classes_producing_[effect.value].push_back(it->second);
      }
      cls = it->second;
    }
    class_calls_[cls].push_back(op.call);
  }
  uint32_t bits = 0;
  for (const std::vector<double>& calls : class_calls_) {
    class_bit_.push_back(bits);
    bits += static_cast<uint32_t>(calls.size());
  }
  used_bits_.assign((bits + 63) / 64, 0);
  used_.assign(class_effect_.size(), 0);
  readers_.assign(interned_.size() + kUnread + 1, 0);
  for (const KnownOp& op : ops_) {
    if (const uint32_t read = ReadOf(op); read != kAbsent) ++readers_[read];
  }
  for (uint32_t cls = 0; cls < class_effect_.size(); ++cls) {
    if (const uint32_t read = ReadOf(class_effect_[cls]); read != kAbsent) {
      readers_[read] += static_cast<uint32_t>(class_calls_[cls].size());
    }
  }
  needs_.assign(readers_.size(), 0);
  producers_.assign(readers_.size(), 0);
  needers_.resize(readers_.size());
  for (uint32_t i = 0; i < n; ++i) {
    if (std::optional<uint32_t> need = NeedOf(ops_[i])) {
      ++needs_[*need];
      needers_[*need].push_back(i);
    }
    if (std::optional<uint32_t> product = ProductOf(ops_[i])) {
      ++producers_[*product];
    }
  }
  for (uint32_t cls = 0; cls < class_effect_.size(); ++cls) {
    producers_[*ProductOf(class_effect_[cls])] +=
        static_cast<uint32_t>(class_calls_[cls].size());
  }

  initial_states_.push_back(kAbsent);
  for (absl::string_view value : initial_values) {
    const uint32_t state = InternWritten(value);
    if (std::find(initial_states_.begin(), initial_states_.end(), state) ==
        initial_states_.end()) {
      initial_states_.push_back(state);
    }
  }
}

uint32_t KeySearch::Intern(absl::string_view value) {
  auto [it, inserted] = interned_.try_emplace(
      value, static_cast<uint32_t>(interned_.size()) + kUnread + 1);
  return it->second;
}

uint32_t KeySearch::InternWritten(absl::string_view value) {
  return read_.contains(value) ? Intern(value) : kUnread;
}

void KeySearch::Unlink(uint32_t entry) {
  next_[prev_[entry]] = next_[entry];
  prev_[next_[entry]] = prev_[entry];
}

void KeySearch::Relink(uint32_t entry) {
  next_[prev_[entry]] = entry;
  prev_[next_[entry]] = entry;
}

// Whether class `cls` has an unused write whose call is no later than the
// earliest return of the operations not yet linearized: one that may take
// effect before all of them.
bool KeySearch::Available(uint32_t cls, double min_ret) const {
  const std::vector<double>& calls = class_calls_[cls];
  return used_[cls] < calls.size() && calls[used_[cls]] <= min_ret;
}

uint32_t KeySearch::ClassEffect(uint32_t cls, uint32_t s) const {
  const KnownOp& effect = class_effect_[cls];
  switch (effect.kind) {
    case OpKind::kPut:
      return effect.value;
    case OpKind::kDelete:
      return kAbsent;
    case OpKind::kCas:
      return s == effect.expected ? effect.value : s;
    case OpKind::kGet:
      break;
  }
  return s;
}

void KeySearch::AddChoice(uint32_t op, absl::Span<const uint32_t> first,
                          const std::vector<uint32_t>* later_reversed) {
  Choice choice{op, static_cast<uint32_t>(batch_pool_.size()), 0, false};
  batch_pool_.insert(batch_pool_.end(), first.begin(), first.end());
  if (later_reversed != nullptr) {
    batch_pool_.insert(batch_pool_.end(), later_reversed->rbegin(),
                       later_reversed->rend());
  }
  choice.batch_end = static_cast<uint32_t>(batch_pool_.size());
  choice_pool_.push_back(choice);
}

// Adds a choice for each chain of unknown writes that takes the state from
// state_ to `target` (!= state_) and is then followed by `later` (reversed).
void KeySearch::AddChains(uint32_t op, uint32_t target, double min_ret,
                          std::vector<uint32_t>* later) {
  auto it = classes_producing_.find(target);
  if (it == classes_producing_.end()) return;
  for (uint32_t cls : it->second) {
    if (!Available(cls, min_ret)) continue;
    const KnownOp& effect = class_effect_[cls];
    if (effect.kind == OpKind::kPut || effect.expected == state_) {
      AddChoice(op, {cls}, later);
      continue;
    }
    // A cas expected -> target: first reach `expected`.
    ++used_[cls];
    later->push_back(cls);
    AddChains(op, effect.expected, min_ret, later);
    later->pop_back();
    --used_[cls];
  }
}

void KeySearch::AddChoices() {
  uint32_t first_return = next_[0];
  while (first_return != 0 && first_return % 2 == 1) {
    first_return = next_[first_return];
  }
  const double min_ret = first_return == 0 ? kInfinity : time_[first_return];
  horizon_ = std::max(horizon_, min_ret);

  candidates_.clear();
  rescues_.clear();
  for (uint32_t e = next_[0]; e != first_return; e = next_[e]) {
    const uint32_t op = (e - 1) / 2;
    const KnownOp& known = ops_[op];
    uint32_t unused;
    if (!IsWrite(known.kind) || known.result == OpResult::kFailed) {
      if (Step(known, state_, &unused)) {
        // A read that can be linearized now may as well be: in any
        // linearization of the rest it can move to the front, as it leaves
        // the state alone and nothing remaining returned before its call.
        AddChoice(op, {}, nullptr);
        return;
      }
    }
    candidates_.push_back(op);
  }

  for (uint32_t op : candidates_) {
    // Of candidates that do the same thing, only the one that must return
    // first needs trying: swapping it with any other in a linearization
    // keeps the linearization valid.
    const KnownOp& known = ops_[op];
    const auto precedes = [&](uint32_t other) {
      const KnownOp& o = ops_[other];
      return other != op && o.kind == known.kind && o.result == known.result &&
             o.value == known.value && o.expected == known.expected &&
             o.optional == known.optional &&
             (time_[2 * other + 2] < time_[2 * op + 2] ||
              (time_[2 * other + 2] == time_[2 * op + 2] && other < op));
    };
    if (std::any_of(candidates_.begin(), candidates_.end(), precedes)) {
      continue;
    }
    uint32_t unused;
    if (Step(known, state_, &unused)) {
      AddChoice(op, {}, nullptr);
    } else {
      rescues_.push_back(op);
    }
  }

  // An optional operation need only be left out once it holds others back.
  if (first_return != 0 && ops_[(first_return - 1) / 2].optional) {
    choice_pool_.push_back({(first_return - 1) / 2,
                            static_cast<uint32_t>(batch_pool_.size()),
                            static_cast<uint32_t>(batch_pool_.size()), true});
  }

  // Choices that use unknown writes come last: what is explored without
  // them makes the same configurations with more of them used redundant.
  for (uint32_t op : rescues_) {
    const KnownOp& known = ops_[op];
    if (known.kind == OpKind::kGet && known.result == OpResult::kOk) {
      AddChains(op, known.value, min_ret, &later_);
    } else if (known.kind == OpKind::kCas && known.result == OpResult::kOk) {
      AddChains(op, known.expected, min_ret, &later_);
    } else if (known.kind == OpKind::kGet &&
               known.result == OpResult::kNotFound) {
      if (delete_class_.has_value() && Available(*delete_class_, min_ret)) {
        AddChoice(op, {*delete_class_}, nullptr);
      }
    } else if (known.kind == OpKind::kCas &&
               known.result == OpResult::kFailed) {
      // state_ == expected: any write that changes the state will do. All
      // those that leave a value nobody remaining reads are as good as each
      // other (those values never become read again), so one is tried.
      bool tried_unread = false;
      for (uint32_t cls = 0; cls < class_effect_.size(); ++cls) {
        if (!Available(cls, min_ret)) continue;
        const uint32_t after = ClassEffect(cls, state_);
        if (after == state_) continue;
        if (after != kAbsent && readers_[after] == 0) {
          if (tried_unread) continue;
          tried_unread = true;
        }
        AddChoice(op, {cls}, nullptr);
      }
    }
  }
}

bool KeySearch::Apply(const Choice& choice) {
  const KnownOp& op = ops_[choice.op];
  const uint32_t previous_state = state_;
  const std::optional<uint32_t> product = ProductOf(op);
  if (choice.skip) {
    Unlink(2 * choice.op + 1);
    Unlink(2 * choice.op + 2);
    MarkLinearized(choice.op);
    if (const uint32_t read = ReadOf(op); read != kAbsent) --readers_[read];
    if (product.has_value()) {
      --producers_[*product];
      if (*product != state_ && Doomed(*product)) {
        NoteDoomed(*product);
        Undo(choice, previous_state);
        return false;
      }
    }
    return true;
  }
  left_.assign(1, state_);
  for (uint32_t i = choice.batch_begin; i < choice.batch_end; ++i) {
    const uint32_t cls = batch_pool_[i];
    const uint32_t bit = class_bit_[cls] + used_[cls]++;
    used_bits_[bit / 64] |= uint64_t{1} << (bit % 64);
    state_ = ClassEffect(cls, state_);
    left_.push_back(state_);
    --producers_[*ProductOf(class_effect_[cls])];
    if (class_effect_[cls].kind == OpKind::kCas) {
      --readers_[class_effect_[cls].expected];
    }
  }
  uint32_t next;
  if (!Step(op, state_, &next)) {
    UndoBatch(choice);
    state_ = previous_state;
    return false;
  }
  Unlink(2 * choice.op + 1);
  Unlink(2 * choice.op + 2);
  MarkLinearized(choice.op);
  if (!op.optional) --remaining_;
  if (const uint32_t read = ReadOf(op); read != kAbsent) --readers_[read];
  if (product.has_value()) --producers_[*product];
  if (std::optional<uint32_t> need = NeedOf(op)) --needs_[*need];
  for (uint32_t left : left_) {
    if (left != next && Doomed(left)) {
      NoteDoomed(left);
      Undo(choice, previous_state);
      return false;
    }
  }
  // A value no remaining operation reads is as good as any unread one.
  state_ = readers_[next] == 0 && next != kAbsent ? kUnread : next;
  return true;
}

void KeySearch::NoteDoomed(uint32_t value) {
  // The horizon must cover the operation that can no longer succeed, for a
  // search without the operations called after the horizon to find the same
  // dead end.
  const std::vector<uint32_t>& needers = needers_[value];
  for (auto it = needers.rbegin(); it != needers.rend(); ++it) {
    if ((linearized_bits_[*it / 64] >> (*it % 64) & 1) == 0) {
      horizon_ = std::max(horizon_, time_[2 * *it + 1]);
      return;
    }
  }
}

void KeySearch::UndoBatch(const Choice& choice) {
  for (uint32_t i = choice.batch_end; i > choice.batch_begin; --i) {
    const uint32_t cls = batch_pool_[i - 1];
    const uint32_t bit = class_bit_[cls] + --used_[cls];
    used_bits_[bit / 64] &= ~(uint64_t{1} << (bit % 64));
    ++producers_[*ProductOf(class_effect_[cls])];
    if (class_effect_[cls].kind == OpKind::kCas) {
      ++readers_[class_effect_[cls].expected];
    }
  }
}

void KeySearch::Undo(const Choice& choice, uint32_t previous_state) {
  Relink(2 * choice.op + 2);
  Relink(2 * choice.op + 1);
  linearized_bits_[choice.op / 64] &= ~(uint64_t{1} << (choice.op % 64));
  low_word_ = std::min(low_word_, choice.op / 64);
  const KnownOp& op = ops_[choice.op];
  if (const uint32_t read = ReadOf(op); read != kAbsent) ++readers_[read];
  if (std::optional<uint32_t> product = ProductOf(op)) ++producers_[*product];
  if (!choice.skip) {
    if (!op.optional) ++remaining_;
    if (std::optional<uint32_t> need = NeedOf(op)) ++needs_[*need];
    UndoBatch(choice);
  }
  state_ = previous_state;
}

uint64_t Mix(uint64_t h, uint64_t word) {
  h ^= word + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccd;
  return h ^ (h >> 32);
}

bool KeySearch::Remember() {
  // The linearized set is stored as the window of words between the first
  // that is not full and the last that is not empty: under bounded
  // concurrency, a few words however long the history.
  const uint32_t words = static_cast<uint32_t>(linearized_bits_.size());
  uint32_t low = low_word_;
  while (low < words && linearized_bits_[low] == ~uint64_t{0}) ++low;
  uint32_t high = std::max(high_word_, low);
  while (high > low && linearized_bits_[high - 1] == 0) --high;
  low_word_ = low;
  high_word_ = high;

  const uint64_t offset = arena_.size();
  arena_.push_back(uint64_t{low} << 32 | high);
  arena_.push_back(state_);
  arena_.insert(arena_.end(), linearized_bits_.begin() + low,
                linearized_bits_.begin() + high);
  const uint32_t size = static_cast<uint32_t>(arena_.size() - offset);
  uint64_t hash = 0;
  for (uint64_t i = offset; i < arena_.size(); ++i) hash = Mix(hash, arena_[i]);

  entries_.push_back({hash, offset, size, kNoUsedSet});
  auto [it, inserted] =
      cache_.insert(static_cast<uint32_t>(entries_.size() - 1));
  if (!inserted) {
    entries_.pop_back();
    arena_.resize(offset);
    // Having used more unknown writes leaves fewer ways on: a configuration
    // that used a superset of what an explored one used is no better.
    for (uint32_t u = entries_[*it].used_sets; u != kNoUsedSet;
         u = used_sets_[u].next) {
      const uint64_t* explored =
          used_arena_.data() + size_t{used_sets_[u].id} * used_bits_.size();
      bool subset = true;
      for (size_t w = 0; w < used_bits_.size() && subset; ++w) {
        subset = (explored[w] & ~used_bits_[w]) == 0;
      }
      if (subset) return false;
    }
  }
  const uint32_t id = InternUsed();
  CacheEntry& entry = entries_[*it];
  used_sets_.push_back({id, entry.used_sets});
  entry.used_sets = static_cast<uint32_t>(used_sets_.size() - 1);
  return true;
}

uint32_t KeySearch::InternUsed() {
  uint64_t hash = 0;
  for (uint64_t word : used_bits_) hash = Mix(hash, word);
  const uint32_t id = static_cast<uint32_t>(used_hashes_.size());
  used_arena_.insert(used_arena_.end(), used_bits_.begin(), used_bits_.end());
  used_hashes_.push_back(hash);
  auto [it, inserted] = used_ids_.insert(id);
  if (!inserted) {
    used_arena_.resize(used_arena_.size() - used_bits_.size());
    used_hashes_.pop_back();
  }
  return *it;
}

Outcome KeySearch::Run(uint64_t max_steps) {
  // The configurations explored from one initial state are as dead from
  // another, so the cache is shared.
  for (uint32_t initial : initial_states_) {
    state_ = initial;
    const Outcome outcome = Search(max_steps);
    if (outcome != Outcome::kViolation) return outcome;
  }
  return Outcome::kViolation;
}

Outcome KeySearch::Search(uint64_t max_steps) {
  if (remaining_ == 0) return Outcome::kLinearizable;
  const auto push_frame = [this](uint32_t via, uint32_t previous_state) {
    Frame frame;
    frame.choices_begin = static_cast<uint32_t>(choice_pool_.size());
    frame.batch_begin = static_cast<uint32_t>(batch_pool_.size());
    AddChoices();
    frame.choices_end = static_cast<uint32_t>(choice_pool_.size());
    frame.next = frame.choices_begin;
    frame.via = via;
    frame.previous_state = previous_state;
    frames_.push_back(frame);
  };
  push_frame(kNoChoice, state_);
  while (!frames_.empty()) {
    Frame& frame = frames_.back();
    if (frame.next == frame.choices_end) {
      const uint32_t via = frame.via;
      const uint32_t previous_state = frame.previous_state;
      choice_pool_.resize(frame.choices_begin);
      batch_pool_.resize(frame.batch_begin);
      frames_.pop_back();
      if (via != kNoChoice) Undo(choice_pool_[via], previous_state);
      continue;
    }
    const uint32_t via = frame.next++;
    if (++steps_ > max_steps) return Outcome::kBudgetExceeded;
    const Choice choice = choice_pool_[via];
    const uint32_t previous_state = state_;
    if (!Apply(choice)) continue;
    if (remaining_ == 0) return Outcome::kLinearizable;
    if (!Remember()) {
      Undo(choice, previous_state);
      continue;
    }
    push_frame(via, previous_state);
  }
  return Outcome::kViolation;
}

// ---------------------------------------------------------------------------
// Shrinking a counterexample.

// Which sub-histories of a key's history H are acceptable counterexamples:
// those in which every operation that reads a value (a get or successful cas
// reading x, a get finding nothing) keeps a write that could have produced
// it (a write of x, a delete, called before the read returned) when H had
// one. Without this rule a lone stale read, stripped of the writes that made
// it stale and of the write it saw, would be reported as reading a value
// nobody wrote.
class SourceRule {
 public:
  // `indices`: H, sorted by call.
  SourceRule(const std::vector<Operation>& history,
             absl::Span<const size_t> indices)
      : history_(history),
        all_(indices.begin(), indices.end()),
        full_(EarliestSources(indices)) {}

  bool Holds(absl::Span<const size_t> indices) const {
    const Sources sources = EarliestSources(indices);
    for (size_t i : indices) {
      if (Missing(sources, history_[i])) return false;
    }
    return true;
  }

  // Returns `indices` (sorted by call) with sources added for the reads that
  // lack one: the last called before the read returned.
  std::vector<size_t> Close(std::vector<size_t> indices) const {
    const auto by_call = [this](size_t a, size_t b) {
      return history_[a].call < history_[b].call ||
             (history_[a].call == history_[b].call && a < b);
    };
    for (bool changed = true; changed;) {
      changed = false;
      const Sources sources = EarliestSources(indices);
      for (size_t k = 0; k < indices.size() && !changed; ++k) {
        const Operation& read = history_[indices[k]];
        if (!Missing(sources, read)) continue;
        std::optional<size_t> source;
        for (size_t i : all_) {
          if (history_[i].call > read.ret) break;
          if (Produces(history_[i], read)) source = i;
        }
        if (!source.has_value()) continue;  // cannot happen: Missing says so
        indices.insert(
            std::lower_bound(indices.begin(), indices.end(), *source, by_call),
            *source);
        changed = true;
      }
    }
    return indices;
  }

 private:
  struct Sources {
    double deletes = kInfinity;  // the earliest call of a delete
    absl::flat_hash_map<absl::string_view, double> writes;  // by value
  };

  static std::optional<absl::string_view> ReadValue(const Operation& op) {
    if (op.result != OpResult::kOk) return std::nullopt;
    if (op.kind == OpKind::kGet) return op.value;
    if (op.kind == OpKind::kCas) return op.expected;
    return std::nullopt;
  }

  static bool ReadsAbsent(const Operation& op) {
    return op.kind == OpKind::kGet && op.result == OpResult::kNotFound;
  }

  // Whether `write` could have produced what `read` read.
  static bool Produces(const Operation& write, const Operation& read) {
    if (ReadsAbsent(read)) return write.kind == OpKind::kDelete;
    const std::optional<absl::string_view> value = ReadValue(read);
    return value.has_value() &&
           (write.kind == OpKind::kPut || write.kind == OpKind::kCas) &&
           write.result != OpResult::kFailed && write.value == *value;
  }

  // Whether `op` reads something that H, but not `sources`, could produce.
  bool Missing(const Sources& sources, const Operation& op) const {
    if (ReadsAbsent(op)) {
      return full_.deletes <= op.ret && !(sources.deletes <= op.ret);
    }
    const std::optional<absl::string_view> read = ReadValue(op);
    if (!read.has_value()) return false;
    auto full = full_.writes.find(*read);
    if (full == full_.writes.end() || full->second > op.ret) return false;
    auto sub = sources.writes.find(*read);
    return sub == sources.writes.end() || sub->second > op.ret;
  }

  Sources EarliestSources(absl::Span<const size_t> indices) const {
    Sources sources;
    for (size_t i : indices) {
      const Operation& op = history_[i];
      if (op.kind == OpKind::kDelete) {
        sources.deletes = std::min(sources.deletes, op.call);
      } else if ((op.kind == OpKind::kPut || op.kind == OpKind::kCas) &&
                 op.result != OpResult::kFailed) {
        auto [it, inserted] = sources.writes.try_emplace(op.value, op.call);
        if (!inserted) it->second = std::min(it->second, op.call);
      }
    }
    return sources;
  }

  const std::vector<Operation>& history_;
  const std::vector<size_t> all_;
  const Sources full_;
};

// Returns a small subset S of `indices` (a key's history H whose search
// found a violation with the given horizon), in history order, that is a
// witness: S is not linearizable even if each other write of H may or may
// not have taken effect (in its interval; an unknown one at any time after
// its call), so no operation left out could explain it away, and H is not
// linearizable either. Each candidate's search is bounded by `max_steps`;
// one that exceeds it is not taken.
std::vector<size_t> Shrink(const std::vector<Operation>& history,
                           std::vector<size_t> indices, double horizon,
                           uint64_t max_steps) {
  const auto by_call = [&history](size_t a, size_t b) {
    return history[a].call < history[b].call ||
           (history[a].call == history[b].call && a < b);
  };
  std::sort(indices.begin(), indices.end(), by_call);
  const std::vector<size_t> all = indices;
  const SourceRule rule(history, all);

  // The horizon of a candidate's search, if it is an acceptable witness.
  std::vector<size_t> others;
  std::vector<size_t> relaxed;
  std::vector<absl::string_view> initial_values;
  const auto probe =
      [&](absl::Span<const size_t> candidate) -> std::optional<double> {
    if (candidate.empty() || !rule.Holds(candidate)) return std::nullopt;
    // Writes called after every operation of the candidate returned could
    // never take effect in time to matter.
    double earliest = kInfinity;
    double latest = -kInfinity;
    for (size_t i : candidate) {
      earliest = std::min(earliest, history[i].call);
      latest = std::max(latest, history[i].ret);
    }
    const auto end = std::upper_bound(
        all.begin(), all.end(), latest,
        [&history](double t, size_t i) { return t < history[i].call; });
    others.clear();
    std::set_difference(all.begin(), end, candidate.begin(), candidate.end(),
                        std::back_inserter(others), by_call);
    // Known writes that returned before the candidate began all precede it:
    // what they leave is one of their values, or nothing (if all left out).
    relaxed.clear();
    initial_values.clear();
    for (size_t i : others) {
      const Operation& op = history[i];
      if (op.result == OpResult::kUnknown || op.ret >= earliest) {
        relaxed.push_back(i);
      } else if ((op.kind == OpKind::kPut || op.kind == OpKind::kCas) &&
                 op.result == OpResult::kOk) {
        initial_values.push_back(op.value);
      }
    }
    KeySearch search(history, candidate, relaxed, initial_values);
    if (search.Run(max_steps) != Outcome::kViolation) return std::nullopt;
    return search.horizon();
  };
  // Drops what was called after a violation's horizon, which took no part in
  // it (see KeySearch::horizon), unless that breaks the rule.
  const auto truncate = [&](std::vector<size_t>* candidate, double until) {
    std::vector<size_t> kept;
    for (size_t i : *candidate) {
      if (history[i].call <= until) kept.push_back(i);
    }
    if (!kept.empty() && rule.Holds(kept)) candidate->swap(kept);
  };
  // A violation is usually local: try the last few operations called up to
  // the horizon, with their sources, doubling their number up to all of
  // them.
  const size_t limit = static_cast<size_t>(
      std::upper_bound(
          indices.begin(), indices.end(), horizon,
          [&history](double t, size_t i) { return t < history[i].call; }) -
      indices.begin());
  for (size_t last = 4;; last *= 2) {
    const size_t take = std::min(last, limit);
    std::vector<size_t> window = rule.Close(std::vector<size_t>(
        indices.begin() + (limit - take), indices.begin() + limit));
    if (window.size() >= indices.size()) break;
    if (std::optional<double> until = probe(window)) {
      truncate(&window, *until);
      indices.swap(window);
      break;
    }
    if (take == limit) break;
  }

  // Then remove chunks, halving their size, and finally single operations
  // until none can go.
  size_t chunk = std::max<size_t>(indices.size() / 2, 1);
  std::vector<size_t> candidate;
  while (true) {
    bool removed = false;
    for (size_t i = 0; i < indices.size();) {
      const size_t end = std::min(i + chunk, indices.size());
      candidate.assign(indices.begin(), indices.begin() + i);
      candidate.insert(candidate.end(), indices.begin() + end, indices.end());
      if (std::optional<double> until = probe(candidate)) {
        truncate(&candidate, *until);
        indices.swap(candidate);
        removed = true;
      } else {
        i = end;
      }
    }
    if (chunk > 1) {
      chunk /= 2;
    } else if (!removed) {
      break;
    }
  }
  std::sort(indices.begin(), indices.end());
  return indices;
}

// ---------------------------------------------------------------------------
// Generating histories.

// SplitMix64: fixed output for a seed on every platform, unlike the
// standard library's distributions.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

struct SimulatedOp {
  Operation op;
  double point;  // when it takes effect, if it does
  bool takes_effect;
};

// Makes one get return a value that a put completed before the get's call
// had overwritten; as every value is written once, that is not
// linearizable. Falls back to a value never written.
void PlantStaleRead(std::vector<Operation>* history, Random* random) {
  std::vector<size_t> gets;
  absl::flat_hash_map<absl::string_view, std::vector<size_t>> puts;
  for (size_t i = 0; i < history->size(); ++i) {
    const Operation& op = (*history)[i];
    if (op.kind == OpKind::kGet && op.result != OpResult::kUnknown) {
      gets.push_back(i);
    } else if (op.kind == OpKind::kPut && op.result == OpResult::kOk) {
      puts[op.key].push_back(i);
    }
  }
  if (gets.empty()) return;
  const size_t start = random->Below(gets.size());
  for (size_t k = 0; k < gets.size(); ++k) {
    Operation& get = (*history)[gets[(start + k) % gets.size()]];
    auto it = puts.find(get.key);
    if (it == puts.end()) continue;
    const Operation* overwrite = nullptr;  // the latest called before get
    for (size_t p : it->second) {
      const Operation& put = (*history)[p];
      if (put.ret < get.call &&
          (overwrite == nullptr || put.call > overwrite->call)) {
        overwrite = &put;
      }
    }
    if (overwrite == nullptr) continue;
    const Operation* stale = nullptr;  // the latest completed before that
    for (size_t p : it->second) {
      const Operation& put = (*history)[p];
      if (put.ret < overwrite->call &&
          (stale == nullptr || put.ret > stale->ret)) {
        stale = &put;
      }
    }
    if (stale == nullptr) continue;
    get.result = OpResult::kOk;
    get.value = stale->value;
    return;
  }
  Operation& get = (*history)[gets[start]];
  get.result = OpResult::kOk;
  get.value = "never-written";
}

}  // namespace

absl::StatusOr<std::vector<Operation>> ParseHistory(absl::string_view jsonl) {
  std::vector<Operation> history;
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(jsonl, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    absl::StatusOr<Operation> op = ParseLine(line);
    if (!op.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": ", op.status().message()));
    }
    history.push_back(*std::move(op));
  }
  return history;
}

std::string FormatOperation(const Operation& op) {
  std::string line =
      absl::StrCat("{\"client\":", op.client, ",\"op\":\"", OpName(op.kind),
                   "\",\"key\":", Quote(op.key));
  if (op.kind == OpKind::kCas) {
    absl::StrAppend(&line, ",\"expected\":", Quote(op.expected));
  }
  if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) {
    absl::StrAppend(&line, ",\"value\":", Quote(op.value));
  }
  absl::StrAppend(&line, ",\"call\":", Number(op.call),
                  ",\"return\":", Number(op.ret), ",\"result\":\"",
                  ResultName(op.result), "\"");
  if (op.kind == OpKind::kGet && op.result == OpResult::kOk) {
    absl::StrAppend(&line, ",\"value\":", Quote(op.value));
  }
  line += '}';
  return line;
}

Verdict Check(const std::vector<Operation>& input) {
  // Sorting needs comparable times: a NaN call is read as 0, a NaN return as
  // the call.
  const bool has_nan =
      std::any_of(input.begin(), input.end(), [](const Operation& op) {
        return std::isnan(op.call) || std::isnan(op.ret);
      });
  std::vector<Operation> sanitized;
  if (has_nan) {
    sanitized = input;
    for (Operation& op : sanitized) {
      if (std::isnan(op.call)) op.call = 0;
      if (std::isnan(op.ret)) op.ret = op.call;
    }
  }
  const std::vector<Operation>& history = has_nan ? sanitized : input;

  absl::flat_hash_map<absl::string_view, size_t> key_group;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& op = history[i];
    if (op.kind == OpKind::kGet && op.result == OpResult::kUnknown) continue;
    auto [it, inserted] = key_group.try_emplace(op.key, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  for (std::vector<size_t>& group : groups) {
    KeySearch search(history, group);
    if (search.Run(std::numeric_limits<uint64_t>::max()) !=
        Outcome::kViolation) {
      continue;
    }
    // Bound each shrinking step by a multiple of the whole key's search, so
    // that shrinking costs at most a bounded factor more per attempt.
    const uint64_t max_steps =
        std::max<uint64_t>(1'000'000, 4 * search.steps());
    Verdict verdict;
    verdict.linearizable = false;
    for (size_t i :
         Shrink(history, std::move(group), search.horizon(), max_steps)) {
      verdict.counterexample.push_back(input[i]);
    }
    return verdict;
  }
  return Verdict{};
}

std::vector<Operation> GenerateHistory(const GenerateOptions& options) {
  Random random(options.seed);
  const int clients = std::max(options.clients, 1);
  const int keys = std::max(options.keys, 1);

  // Times are whole ticks of 1/1000, so that they print short. Each client
  // issues its next operation a random gap after its previous one returned.
  std::vector<int64_t> next_call(clients);
  for (int64_t& t : next_call) t = static_cast<int64_t>(random.Below(1000));
  std::vector<SimulatedOp> simulated;
  simulated.reserve(options.ops);
  uint64_t values = 0;
  for (size_t n = 0; n < options.ops; ++n) {
    const size_t c = static_cast<size_t>(
        std::min_element(next_call.begin(), next_call.end()) -
        next_call.begin());
    const int64_t call = next_call[c];
    const int64_t duration = 50 + static_cast<int64_t>(random.Below(1951));
    next_call[c] = call + duration + static_cast<int64_t>(random.Below(500));

    SimulatedOp sim;
    Operation& op = sim.op;
    op.client = c + 1;
    const uint64_t kind = random.Below(100);
    op.kind = kind < 40   ? OpKind::kGet
              : kind < 70 ? OpKind::kPut
              : kind < 85 ? OpKind::kCas
                          : OpKind::kDelete;
    op.key = absl::StrCat("k", random.Below(keys));
    if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) {
      op.value = absl::StrCat("v", ++values);
    }
    op.call = static_cast<double>(call) / 1000;
    op.ret = static_cast<double>(call + duration) / 1000;
    const bool unknown = random.Below(100) < (IsWrite(op.kind) ? 3 : 1);
    op.result = unknown ? OpResult::kUnknown : OpResult::kOk;
    sim.takes_effect = !unknown || (IsWrite(op.kind) && random.Below(2) == 0);
    // An unknown write may take effect well after its client gave up.
    const double span =
        unknown ? 3.0 * random.Unit() : 0.01 + 0.98 * random.Unit();
    sim.point =
        static_cast<double>(call) + span * static_cast<double>(duration);
    simulated.push_back(std::move(sim));
  }

  // Apply the operations in the order they take effect.
  std::vector<size_t> order(simulated.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return simulated[a].point < simulated[b].point;
  });
  absl::flat_hash_map<std::string, std::string> store;
  for (size_t i : order) {
    Operation& op = simulated[i].op;
    auto it = store.find(op.key);
    const bool unknown = op.result == OpResult::kUnknown;
    switch (op.kind) {
      case OpKind::kGet:
        if (unknown) break;
        if (it == store.end()) {
          op.result = OpResult::kNotFound;
        } else {
          op.value = it->second;
        }
        break;
      case OpKind::kPut:
        if (simulated[i].takes_effect) store[op.key] = op.value;
        break;
      case OpKind::kDelete:
        if (simulated[i].takes_effect && it != store.end()) store.erase(it);
        break;
      case OpKind::kCas: {
        // Mostly the current value; else some other value once written.
        if (it != store.end() && random.Below(10) < 7) {
          op.expected = it->second;
        } else {
          op.expected = absl::StrCat("v", random.Below(values) + 1);
        }
        const bool matches = it != store.end() && it->second == op.expected;
        if (!unknown) op.result = matches ? OpResult::kOk : OpResult::kFailed;
        if (matches && simulated[i].takes_effect) it->second = op.value;
        break;
      }
    }
  }

  std::vector<Operation> history;
  history.reserve(simulated.size());
  for (SimulatedOp& sim : simulated) history.push_back(std::move(sim.op));
  std::stable_sort(
      history.begin(), history.end(),
      [](const Operation& a, const Operation& b) { return a.call < b.call; });
  if (options.violate) PlantStaleRead(&history, &random);
  return history;
}

}  // namespace craft::lincheck
