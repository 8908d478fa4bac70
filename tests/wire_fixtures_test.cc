// Wire compatibility with etcd-io/raft: every fixture in
// ../shared/conformance/wire/fixtures.txt was encoded by etcd. Each must
// decode to the fields its JSON lists and re-encode to the same bytes.

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "craft/raftpb.h"
#include "craft/wire.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "support/test_paths.h"

namespace craft {
namespace {

struct Fixture {
  std::string name;
  std::string type;
  std::string hex;
  std::string json;
};

std::vector<Fixture> ParseFixtures(const std::string& text) {
  std::vector<Fixture> out;
  Fixture cur;
  std::istringstream in(text);
  std::string line;
  auto flush = [&] {
    if (!cur.name.empty()) out.push_back(cur);
    cur = Fixture();
  };
  while (std::getline(in, line)) {
    absl::string_view l = line;
    if (absl::StartsWith(l, "#")) continue;
    if (l.empty()) {
      flush();
    } else if (absl::ConsumePrefix(&l, "name: ")) {
      cur.name = std::string(l);
    } else if (absl::ConsumePrefix(&l, "type: ")) {
      cur.type = std::string(l);
    } else if (absl::ConsumePrefix(&l, "hex: ")) {
      cur.hex = std::string(l);
    } else if (absl::ConsumePrefix(&l, "json: ")) {
      cur.json = std::string(l);
    }
  }
  flush();
  return out;
}

std::unique_ptr<google::protobuf::Message> NewMessage(const std::string& type) {
  static const std::map<std::string, const google::protobuf::Message*> kTypes =
      {
          {"raftpb.Entry", &raftpb::Entry::default_instance()},
          {"raftpb.SnapshotMetadata",
           &raftpb::SnapshotMetadata::default_instance()},
          {"raftpb.Snapshot", &raftpb::Snapshot::default_instance()},
          {"raftpb.Message", &raftpb::Message::default_instance()},
          {"raftpb.HardState", &raftpb::HardState::default_instance()},
          {"raftpb.ConfState", &raftpb::ConfState::default_instance()},
          {"raftpb.ConfChange", &raftpb::ConfChange::default_instance()},
          {"raftpb.ConfChangeSingle",
           &raftpb::ConfChangeSingle::default_instance()},
          {"raftpb.ConfChangeV2", &raftpb::ConfChangeV2::default_instance()},
      };
  auto it = kTypes.find(type);
  if (it == kTypes.end()) return nullptr;
  return std::unique_ptr<google::protobuf::Message>(it->second->New());
}

class WireFixturesTest : public ::testing::Test {
 protected:
  std::vector<Fixture> Load(const std::string& dir) {
    std::vector<Fixture> fixtures =
        ParseFixtures(testing::ReadFile(dir + "/wire/fixtures.txt"));
    EXPECT_GE(fixtures.size(), 10u) << "too few fixtures parsed";
    return fixtures;
  }
};

TEST_F(WireFixturesTest, DecodeMatchesJsonAndReencodesIdentically) {
  CRAFT_REQUIRE_CONFORMANCE_DIR(dir);
  for (const Fixture& f : Load(dir)) {
    SCOPED_TRACE(f.name);
    std::unique_ptr<google::protobuf::Message> decoded = NewMessage(f.type);
    ASSERT_NE(decoded, nullptr) << "unknown fixture type " << f.type;
    const std::string bytes = absl::HexStringToBytes(f.hex);
    ASSERT_TRUE(decoded->ParseFromString(bytes));
    EXPECT_TRUE(decoded->GetReflection()->GetUnknownFields(*decoded).empty())
        << "fields unknown to craft's raftpb";

    std::unique_ptr<google::protobuf::Message> from_json = NewMessage(f.type);
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = false;
    auto st = google::protobuf::util::JsonStringToMessage(
        f.json, from_json.get(), opts);
    ASSERT_TRUE(st.ok()) << st.ToString();

    // Field presence matters too: etcd encodes zero scalars, and so must a
    // re-encoding of what it sent.
    std::string diff;
    google::protobuf::util::MessageDifferencer differ;
    differ.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differ.Compare(*from_json, *decoded)) << diff;

    std::string reencoded;
    ASSERT_TRUE(decoded->SerializeToString(&reencoded));
    EXPECT_EQ(absl::BytesToHexString(reencoded), f.hex);
  }
}

// The core's plain values (craft::Message, craft::Entry) carry everything
// the wire form does, presence included: etcd's bytes decoded into them
// encode back identically, and an entry's EncodedSize is its encoded size.
TEST_F(WireFixturesTest, CraftValuesRoundTripTheFixtures) {
  CRAFT_REQUIRE_CONFORMANCE_DIR(dir);
  int checked = 0;
  for (const Fixture& f : Load(dir)) {
    SCOPED_TRACE(f.name);
    const std::string bytes = absl::HexStringToBytes(f.hex);
    if (f.type == "raftpb.Message") {
      absl::StatusOr<Message> m = DecodeMessage(bytes);
      ASSERT_TRUE(m.ok()) << m.status();
      EXPECT_EQ(absl::BytesToHexString(EncodeMessage(*m)), f.hex);
      for (const Entry& e : m->entries()) {
        EXPECT_EQ(e.EncodedSize(), ToProto(e).ByteSizeLong());
      }
      ++checked;
    } else if (f.type == "raftpb.Entry") {
      raftpb::Entry p;
      ASSERT_TRUE(p.ParseFromString(bytes));
      const Entry e = FromProto(p);
      EXPECT_EQ(e.EncodedSize(), bytes.size());
      EXPECT_EQ(absl::BytesToHexString(ToProto(e).SerializeAsString()), f.hex);
      ++checked;
    }
  }
  EXPECT_GT(checked, 0) << "no Message or Entry fixtures";
}

TEST_F(WireFixturesTest, TruncatedInputIsRejectedNotCrashed) {
  CRAFT_REQUIRE_CONFORMANCE_DIR(dir);
  for (const Fixture& f : Load(dir)) {
    SCOPED_TRACE(f.name);
    const std::string bytes = absl::HexStringToBytes(f.hex);
    // Cutting inside a length-delimited field (or a varint) must fail
    // cleanly. Cuts at a field boundary may legitimately parse, so only the
    // absence of a crash is required there.
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::unique_ptr<google::protobuf::Message> m = NewMessage(f.type);
      (void)m->ParseFromString(bytes.substr(0, n));
    }
    std::unique_ptr<google::protobuf::Message> m = NewMessage(f.type);
    // A length prefix promising more bytes than there are.
    EXPECT_FALSE(m->ParseFromString(bytes + "\x3a\x7f"));
  }
}

TEST(WireTest, FieldNumbersMatchEtcd) {
  // Spot checks of the numbers that differ from declaration order in
  // etcd's raft.proto.
  const auto* msg = raftpb::Message::descriptor();
  EXPECT_EQ(msg->FindFieldByName("vote")->number(), 13);
  EXPECT_EQ(msg->FindFieldByName("snapshot")->number(), 9);
  EXPECT_EQ(msg->FindFieldByName("responses")->number(), 14);
  const auto* entry = raftpb::Entry::descriptor();
  EXPECT_EQ(entry->FindFieldByName("type")->number(), 1);
  EXPECT_EQ(entry->FindFieldByName("term")->number(), 2);
  const auto* cc = raftpb::ConfChange::descriptor();
  EXPECT_EQ(cc->FindFieldByName("id")->number(), 1);
  EXPECT_EQ(cc->FindFieldByName("type")->number(), 2);
  EXPECT_EQ(raftpb::MsgForgetLeader, 23);
  EXPECT_EQ(raftpb::MsgStorageApplyResp, 22);
  EXPECT_EQ(raftpb::ConfChangeAddLearnerNode, 3);
  EXPECT_EQ(raftpb::ConfChangeTransitionJointExplicit, 2);
}

TEST(WireTest, LocallyBuiltEntryEncodesLikeEtcd) {
  // MakeEntry sets every scalar, as etcd's encoder writes them.
  raftpb::Entry e = ToProto(MakeEntry(42, 3));
  e.set_data("hello");
  std::string bytes;
  ASSERT_TRUE(e.SerializeToString(&bytes));
  EXPECT_EQ(absl::BytesToHexString(bytes), "08001003182a220568656c6c6f");
}

}  // namespace
}  // namespace craft
