// The core's plain values: Payload sharing, Entry and Message presence and
// sizes, and the conversion to and from the wire form.

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "craft/entry.h"
#include "craft/message.h"
#include "craft/payload.h"
#include "craft/wire.h"
#include "gtest/gtest.h"

namespace craft {
namespace {

TEST(PayloadTest, CopiesShareTheBytes) {
  const std::string text(128, 'x');
  Payload a(text);
  Payload b = a;
  EXPECT_EQ(a.data(), b.data()) << "a copy must not copy the bytes";
  EXPECT_EQ(b.view(), text);
  Payload c = std::move(b);
  EXPECT_EQ(c.data(), a.data());
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): moved-from
  a = Payload();
  EXPECT_EQ(c.view(), text) << "the last reference keeps the bytes";
}

TEST(PayloadTest, EmptyPayloadsAllocateNothing) {
  Payload a;
  Payload b{absl::string_view()};
  EXPECT_TRUE(a.empty());
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.view(), "");
}

TEST(PayloadTest, CopiesMayLiveOnOtherThreads) {
  Payload p(std::string(64, 'y'));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([p] {
      for (int i = 0; i < 10000; ++i) {
        Payload q = p;
        ASSERT_EQ(q.size(), 64u);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(p.view(), std::string(64, 'y'));
}

TEST(EntryTest, EncodedSizeFollowsPresence) {
  Entry e;
  EXPECT_EQ(e.EncodedSize(), 0u);
  EXPECT_EQ(ToProto(e).ByteSizeLong(), 0u);
  e.set_type(raftpb::EntryNormal);  // present although zero
  e.set_term(300);                  // a two-byte varint
  e.set_index(1);
  e.set_data(std::string(200, 'z'));  // a two-byte length
  EXPECT_EQ(e.EncodedSize(), ToProto(e).ByteSizeLong());
  EXPECT_EQ(e.EncodedSize(), 2u + 3u + 2u + 3u + 200u);
  e.clear_data();
  EXPECT_EQ(e.EncodedSize(), ToProto(e).ByteSizeLong());
  e.set_data(absl::string_view());  // present and empty
  EXPECT_EQ(e.EncodedSize(), ToProto(e).ByteSizeLong());
  EXPECT_TRUE(ToProto(e).has_data());
}

TEST(EntryTest, EncodedSizeAtEveryVarintLength) {
  // Each varint length boundary, for term and index, against protobuf's own
  // count.
  for (int bits = 0; bits <= 64; ++bits) {
    for (int64_t delta : {-1, 0, 1}) {
      const uint64_t base = bits == 64 ? 0 : uint64_t{1} << bits;
      const uint64_t v = base + static_cast<uint64_t>(delta);
      Entry e;
      e.set_term(v);
      e.set_index(~v);
      e.set_type(raftpb::EntryConfChangeV2);
      EXPECT_EQ(e.EncodedSize(), ToProto(e).ByteSizeLong()) << v;
    }
  }
}

TEST(EntryTest, EncodedSizeFollowsEverySetterAndClear) {
  // The size is kept up to date by the setters: any sequence of them,
  // overwriting fields of other lengths, must agree with protobuf.
  std::mt19937_64 rng(11);
  Entry e;
  for (int step = 0; step < 2000; ++step) {
    const uint64_t v = rng() >> (rng() % 64);
    switch (rng() % 6) {
      case 0:
        e.set_term(v);
        break;
      case 1:
        e.set_index(v);
        break;
      case 2:
        e.set_type(static_cast<raftpb::EntryType>(v % 3));
        break;
      case 3:
        e.set_data(std::string(v % 300, 'd'));
        break;
      case 4:
        e.clear_term();
        break;
      case 5:
        e.clear_data();
        break;
    }
    ASSERT_EQ(e.EncodedSize(), ToProto(e).ByteSizeLong()) << "step " << step;
    const Entry copy = e;
    ASSERT_EQ(copy.EncodedSize(), e.EncodedSize());
  }
}

TEST(MessageTest, CopiesAreDeepAndEntriesShareTheirPayloads) {
  Message m;
  m.set_type(raftpb::MsgSnap);
  m.mutable_snapshot()->mutable_metadata()->set_index(7);
  m.add_entries()->set_data("payload");
  m.add_responses()->set_type(raftpb::MsgAppResp);
  Message copy = m;
  copy.mutable_snapshot()->mutable_metadata()->set_index(8);
  EXPECT_EQ(m.snapshot().metadata().index(), 7u);
  EXPECT_EQ(copy.snapshot().metadata().index(), 8u);
  EXPECT_EQ(copy.entries(0).data().data(), m.entries(0).data().data());
  EXPECT_EQ(copy.responses(0).type(), raftpb::MsgAppResp);
}

TEST(MessageTest, SnapshotAndResponsesAreAbsentUntilSet) {
  Message m;
  EXPECT_FALSE(m.has_snapshot());
  EXPECT_EQ(m.responses_size(), 0);
  EXPECT_TRUE(m.responses().empty());
  // Responses alone do not make a snapshot present, nor the reverse.
  m.add_responses()->set_type(raftpb::MsgAppResp);
  EXPECT_FALSE(m.has_snapshot());
  EXPECT_FALSE(ToProto(m).has_snapshot());
  m.mutable_snapshot()->set_data("s");
  EXPECT_TRUE(m.has_snapshot());
  m.clear_snapshot();
  EXPECT_FALSE(m.has_snapshot());
  EXPECT_EQ(m.snapshot().data(), "");
  EXPECT_EQ(m.responses_size(), 1);
  m.clear_responses();
  EXPECT_EQ(m.responses_size(), 0);
}

TEST(MessageTest, CopiesShareTheContext) {
  Message m;
  EXPECT_FALSE(m.has_context());
  m.set_context("seq");
  const Message copy = m;
  EXPECT_TRUE(copy.has_context());
  EXPECT_EQ(copy.context(), "seq");
  EXPECT_EQ(copy.context().data(), m.context().data());
}

TEST(MessageTest, WireRoundTripKeepsPresence) {
  Message m;
  m.set_type(raftpb::MsgApp);
  m.set_to(2);
  m.set_from(1);
  m.set_term(0);  // present although zero
  m.set_index(5);
  m.set_log_term(4);
  m.set_commit(3);
  m.set_reject(false);
  m.set_context("ctx");
  Entry* e = m.add_entries();
  e->set_term(4);
  e->set_index(6);
  e->set_type(raftpb::EntryConfChangeV2);
  e->set_data("cc");
  m.mutable_snapshot()->set_data("snap");
  Message* r = m.add_responses();
  r->set_type(raftpb::MsgAppResp);
  r->set_index(6);

  const std::string bytes = EncodeMessage(m);
  raftpb::Message p;
  ASSERT_TRUE(p.ParseFromString(bytes));
  EXPECT_TRUE(p.has_term());
  EXPECT_TRUE(p.has_reject());
  EXPECT_FALSE(p.has_vote());
  absl::StatusOr<Message> back = DecodeMessage(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(absl::BytesToHexString(EncodeMessage(*back)),
            absl::BytesToHexString(bytes));
  EXPECT_EQ(back->entries(0).data(), "cc");
  EXPECT_EQ(back->snapshot().data(), "snap");
  EXPECT_EQ(back->responses(0).index(), 6u);
}

TEST(MessageTest, InputOfTwoGibibytesOrMoreIsRefusedUnread) {
  // protobuf parses at most INT_MAX bytes: longer input is refused on its
  // length alone, before a byte of it is read (so a short buffer can stand
  // in for it here).
  const char byte = 0;
  const absl::string_view huge(&byte, size_t{1} << 31);
  EXPECT_EQ(DecodeMessage(huge).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MessageTest, GarbageIsRefusedWithAStatus) {
  EXPECT_EQ(DecodeMessage("\x3a\x7f").status().code(),
            absl::StatusCode::kInvalidArgument);
  // An unknown message type decodes without a type, which Step refuses.
  absl::StatusOr<Message> m = DecodeMessage(absl::HexStringToBytes("0863"));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_type());
}

}  // namespace
}  // namespace craft
