// craft-kvstore's HTTP API on real members in this process: the routes'
// status codes and bodies, bad requests, and 503 (never a hang) where no
// leader can be found. The full three-process flow is scripts/kvstore-flow
// (ctest example.kvstore.demo).

#include "http_api.h"

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "member.h"

namespace kvstore {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string t =
        (std::filesystem::temp_directory_path() / "craft-kvstore-http-XXXXXX")
            .string();
    path_ = mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Server {
  std::unique_ptr<Member> member;
  std::unique_ptr<HttpApi> api;
  std::unique_ptr<httplib::Client> client;
};

Server StartServer(MemberOptions opts) {
  Server s;
  opts.tick = absl::Milliseconds(10);
  opts.request_timeout = absl::Seconds(1);
  absl::StatusOr<std::unique_ptr<Member>> m = Member::Start(std::move(opts));
  EXPECT_TRUE(m.ok()) << m.status();
  if (!m.ok()) return s;
  s.member = *std::move(m);
  absl::StatusOr<std::unique_ptr<HttpApi>> api =
      HttpApi::Start(s.member.get(), "127.0.0.1:0");
  EXPECT_TRUE(api.ok()) << api.status();
  if (!api.ok()) return s;
  s.api = *std::move(api);
  s.client = std::make_unique<httplib::Client>("127.0.0.1", s.api->port());
  s.client->set_read_timeout(10, 0);
  return s;
}

// A one-member cluster: it elects itself.
class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MemberOptions opts;
    opts.id = 1;
    opts.cluster = {{1, "127.0.0.1:0"}};
    opts.data_dir = dir_.path() + "/m1";
    s_ = StartServer(opts);
    ASSERT_NE(s_.client, nullptr);
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (s_.member->GetStatus().role != "leader") {
      ASSERT_LT(absl::Now(), deadline) << "no leader";
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  httplib::Client& c() { return *s_.client; }

  TempDir dir_;
  Server s_;
};

TEST_F(HttpApiTest, PutGetCasDelete) {
  auto r = c().Put("/keys/a", "1", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  r = c().Get("/keys/a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "1");
  r = c().Get("/keys/a?serializable=true");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "1");

  r = c().Put("/keys/a?if=0", "2", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 412);
  r = c().Put("/keys/absent?if=", "2", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 412) << "an absent key never matches";
  r = c().Put("/keys/a?if=1", "2", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(c().Get("/keys/a")->body, "2");

  // Keys may hold slashes; values any bytes.
  const std::string bin("\0\xff\n", 3);
  r = c().Put("/keys/dir/x", bin, "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(c().Get("/keys/dir/x")->body, bin);

  r = c().Delete("/keys/a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  r = c().Get("/keys/a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(HttpApiTest, StatusHasEveryKey) {
  ASSERT_EQ(c().Put("/keys/a", "1", "text/plain")->status, 204);
  auto r = c().Get("/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  for (const char* key :
       {"\"id\":1", "\"role\":\"leader\"", "\"leader\":1", "\"term\":",
        "\"commit\":", "\"applied\":", "\"members\":{\"1\":\"127.0.0.1:0\"}"}) {
    EXPECT_NE(r->body.find(key), std::string::npos) << key << " in " << r->body;
  }
  EXPECT_GE(s_.member->GetStatus().applied, 3u);
}

TEST_F(HttpApiTest, BadRequests) {
  struct Case {
    std::string method, path, body;
    int status;
  };
  const std::vector<Case> cases = {
      {"PUT", "/keys/", "x", 400},
      {"GET", "/keys/a?serializable=maybe", "", 400},
      {"POST", "/members/abc", "127.0.0.1:9", 400},
      {"POST", "/members/0", "127.0.0.1:9", 400},
      {"POST", "/members/1", "127.0.0.1:9", 400},  // exists
      {"POST", "/members/5", "", 400},             // no address
      {"POST", "/members/5", "localhost", 400},    // no port
      {"POST", "/members/5", "h:99999", 400},      // no such port
      {"DELETE", "/members/7", "", 404},           // no such member
      {"DELETE", "/members/1", "", 400},           // the last voter
      {"GET", "/nowhere", "", 404},
      {"POST", "/keys/a", "x", 405},
      {"DELETE", "/status", "", 405},
      {"GET", "/members/1", "", 405},
  };
  // A value over 1 MiB.
  auto big = c().Put("/keys/big", std::string((1 << 20) + 1, 'x'),
                     "application/octet-stream");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  for (const Case& k : cases) {
    SCOPED_TRACE(k.method + " " + k.path);
    httplib::Request req;
    req.method = k.method;
    req.path = k.path;
    req.body = k.body;
    auto r = c().send(req);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, k.status);
    EXPECT_NE(r->body.find("\"error\":"), std::string::npos) << r->body;
  }
  // Nothing above changed the state.
  EXPECT_EQ(s_.member->GetStatus().members.size(), 1u);
}

// Many clients connecting at once (a burst beyond httplib's listen backlog
// of 5, and beyond its default pool of 8 threads) are all served.
TEST_F(HttpApiTest, ABurstOfClientsIsServed) {
  constexpr int kClients = 100;
  std::vector<int> status(kClients, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      httplib::Client client("127.0.0.1", s_.api->port());
      client.set_read_timeout(10, 0);
      auto r = client.Put(absl::StrCat("/keys/burst", i), "x", "text/plain");
      status[i] = r ? r->status : -static_cast<int>(r.error());
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(status[i], 204) << i;
}

// A Stop right after Start (a SIGTERM during start-up) stops the server:
// httplib ignores a stop before its server runs, so Start waits for that.
TEST_F(HttpApiTest, StopRightAfterStart) {
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::unique_ptr<HttpApi>> api =
        HttpApi::Start(s_.member.get(), "127.0.0.1:0");
    ASSERT_TRUE(api.ok()) << api.status();
    (*api)->Stop();  // hangs if the stop is lost
  }
}

// A member added at an address where nobody answers stays a learner: the
// request says so (503), and writes go on committing without it. It can
// be removed again.
TEST_F(HttpApiTest, AnUnreachableNewMemberStaysALearner) {
  auto r = c().Post("/members/5", "127.0.0.1:1", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_NE(r->body.find("learner"), std::string::npos) << r->body;
  EXPECT_EQ(s_.member->GetStatus().members.count(5), 1u);

  r = c().Put("/keys/a", "1", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);

  r = c().Delete("/members/5");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204) << r->body;
  EXPECT_EQ(s_.member->GetStatus().members.count(5), 0u);
}

// A member whose peers are all down never finds a leader: every request
// that needs one gets 503 within the request timeout, never a hang and
// never a 204; serializable reads still answer.
TEST(HttpApiNoLeaderTest, Answers503) {
  TempDir dir;
  MemberOptions opts;
  opts.id = 1;
  // Peers 2 and 3 on ports nobody listens on (bound and closed at once
  // would race; port 1 needs privileges nobody here has).
  opts.cluster = {{1, "127.0.0.1:0"}, {2, "127.0.0.1:1"}, {3, "127.0.0.1:1"}};
  opts.data_dir = dir.path() + "/m1";
  Server s = StartServer(opts);
  ASSERT_NE(s.client, nullptr);
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{
           {"PUT", "/keys/a"},
           {"GET", "/keys/a"},
           {"DELETE", "/keys/a"},
           {"POST", "/members/4"}}) {
    SCOPED_TRACE(method + " " + path);
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.body = "127.0.0.1:9";
    const absl::Time start = absl::Now();
    auto r = s.client->send(req);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << r->body;
    EXPECT_NE(r->body.find("\"leader\":0"), std::string::npos) << r->body;
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  }
  auto r = s.client->Get("/keys/a?serializable=true");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

}  // namespace
}  // namespace kvstore
