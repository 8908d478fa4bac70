// craft-kvstore's state machine: commands and snapshots round-trip, and
// bytes that are not one (a damaged entry or snapshot, a hostile proposal)
// get an error instead of a crash or a half-applied state.

#include "state_machine.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace kvstore {
namespace {

TEST(CommandTest, RoundTrips) {
  Command c;
  c.op = Command::Op::kCas;
  c.id = 0x0102030405060708;
  c.key = "k";
  c.value = std::string("v\0w", 3);
  c.expected = "old";
  auto d = DecodeCommand(EncodeCommand(c));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->op, c.op);
  EXPECT_EQ(d->id, c.id);
  EXPECT_EQ(d->key, c.key);
  EXPECT_EQ(d->value, c.value);
  EXPECT_EQ(d->expected, c.expected);
}

TEST(CommandTest, EveryTruncationAndGarbageIsRefused) {
  Command c;
  c.op = Command::Op::kPut;
  c.id = 7;
  c.key = "key";
  c.value = "value";
  std::string enc = EncodeCommand(c);
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(DecodeCommand(enc.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeCommand(enc + "x").ok());
  std::string bad_op = enc;
  bad_op[1] = 9;
  EXPECT_FALSE(DecodeCommand(bad_op).ok());
  std::string bad_version = enc;
  bad_version[0] = 2;
  EXPECT_FALSE(DecodeCommand(bad_version).ok());
  // A length prefix far past the input.
  std::string huge = enc;
  huge[10 + 7] = '\x7f';
  EXPECT_FALSE(DecodeCommand(huge).ok());

  std::mt19937_64 rng(42);
  for (int i = 0; i < 10000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    (void)DecodeCommand(junk);  // must not crash; the result is irrelevant
  }
}

TEST(StateMachineTest, AppliesPutCasDeleteOnce) {
  StateMachine sm;
  Command put{Command::Op::kPut, 1, "a", "1", ""};
  EXPECT_EQ(sm.Apply(3, put), Outcome::kOk);
  EXPECT_EQ(sm.Get("a"), "1");

  Command cas{Command::Op::kCas, 2, "a", "2", "0"};
  EXPECT_EQ(sm.Apply(4, cas), Outcome::kMismatch);
  EXPECT_EQ(sm.Get("a"), "1");
  cas.expected = "1";
  EXPECT_EQ(sm.Apply(5, cas), Outcome::kOk);
  EXPECT_EQ(sm.Get("a"), "2");

  // An absent key never matches, not even an empty expectation.
  Command cas_absent{Command::Op::kCas, 3, "b", "x", ""};
  EXPECT_EQ(sm.Apply(6, cas_absent), Outcome::kMismatch);
  EXPECT_FALSE(sm.Get("b").has_value());

  // A replayed index (a restart before the next snapshot) changes nothing.
  EXPECT_EQ(sm.Apply(3, put), Outcome::kOk);
  EXPECT_EQ(sm.Get("a"), "2");
  EXPECT_EQ(sm.applied_index(), 6u);

  Command del{Command::Op::kDelete, 4, "a", "", ""};
  EXPECT_EQ(sm.Apply(7, del), Outcome::kOk);
  EXPECT_FALSE(sm.Get("a").has_value());
  sm.Skip(8);
  EXPECT_EQ(sm.applied_index(), 8u);
}

TEST(StateMachineTest, SnapshotRoundTripsAndGarbageLeavesStateAlone) {
  StateMachine sm;
  sm.SetMember(1, "127.0.0.1:7101");
  sm.SetMember(2, "127.0.0.1:7102");
  sm.Apply(2, Command{Command::Op::kPut, 1, "x", "y", ""});
  sm.Apply(3, Command{Command::Op::kPut, 2, "", "empty key", ""});
  std::string snap = sm.Serialize();

  StateMachine other;
  ASSERT_TRUE(other.Restore(3, snap).ok());
  EXPECT_EQ(other.Get("x"), "y");
  EXPECT_EQ(other.Get(""), "empty key");
  EXPECT_EQ(other.members(), sm.members());
  EXPECT_EQ(other.applied_index(), 3u);

  // Every truncation is refused and leaves the restored state as it was.
  for (size_t n = 0; n < snap.size(); ++n) {
    absl::Status s = other.Restore(9, snap.substr(0, n));
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << n;
  }
  EXPECT_FALSE(other.Restore(9, snap + "z").ok());
  EXPECT_EQ(other.Get("x"), "y");
  EXPECT_EQ(other.applied_index(), 3u);

  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    std::string junk = snap;
    junk[rng() % junk.size()] ^= static_cast<char>(1 + rng() % 255);
    (void)other.Restore(9, junk);  // must not crash
  }
}

}  // namespace
}  // namespace kvstore
