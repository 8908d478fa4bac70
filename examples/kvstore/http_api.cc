#include "http_api.h"

#include <sys/socket.h>

#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace kvstore {
namespace {

using Json = nlohmann::ordered_json;  // keys in the order written

// The body of a response: `j` as one line of JSON. Strings that are not
// UTF-8 (a key in an error message) have the bad bytes replaced.
std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

void Error(httplib::Response& res, int code, absl::string_view message) {
  res.status = code;
  res.set_content(Dump({{"error", std::string(message)}}), "application/json");
}

}  // namespace

HttpApi::HttpApi(Member* member)
    : member_(member), server_(std::make_unique<httplib::Server>()) {}

HttpApi::~HttpApi() { Stop(); }

absl::StatusOr<std::unique_ptr<HttpApi>> HttpApi::Start(
    Member* member, const std::string& listen) {
  absl::StatusOr<std::pair<std::string, int>> hp =
      ParseHostPort(listen, "--listen-client");
  if (!hp.ok()) return hp.status();
  std::unique_ptr<HttpApi> api(new HttpApi(member));
  api->Routes();
  httplib::Server& svr = *api->server_;
  // Values up to 1 MiB (etcd allows 1.5): the whole map travels in one
  // snapshot message, which the transport bounds at 256 MiB.
  svr.set_payload_max_length(size_t{1} << 20);
  // httplib serves each connection on a thread of this pool for as long as
  // it stays open, and requests block until their entry commits (up to the
  // request timeout): the pool bounds the clients served at once, so it is
  // far larger than httplib's default of 8, and a keep-alive connection is
  // closed after 100 requests so that one waiting for a thread gets a turn.
  svr.new_task_queue = [] { return new httplib::ThreadPool(128); };
  svr.set_keep_alive_max_count(100);
  svr.set_read_timeout(10, 0);
  svr.set_tcp_nodelay(true);
  int* listen_fd = &api->listen_fd_;
  svr.set_socket_options([listen_fd](socket_t sock) {
    // SO_REUSEADDR (a restart binds at once), but not httplib's default
    // SO_REUSEPORT, with which a second process would share the port.
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    *listen_fd = sock;
  });
  if (hp->second == 0) {
    api->port_ = svr.bind_to_any_port(hp->first);
    if (api->port_ < 0) api->port_ = 0;
  } else if (svr.bind_to_port(hp->first, hp->second)) {
    api->port_ = hp->second;
  }
  if (api->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for clients on ", listen,
                     " (address in use, or not this machine's?)"));
  }
  // httplib listens with a backlog of 5, which a burst of clients
  // connecting at once overflows (their connections then fail): listening
  // again on the bound socket raises it (Linux).
  if (api->listen_fd_ >= 0) ::listen(api->listen_fd_, SOMAXCONN);
  api->thread_ = std::thread([&svr] { svr.listen_after_bind(); });
  // Server::stop() does nothing before the server runs: wait for it, so
  // that a Stop() right after Start() (a SIGTERM during start-up) is not
  // lost.
  while (!svr.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return api;
}

void HttpApi::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpApi::Routes() {
  httplib::Server& svr = *server_;
  Member* m = member_;

  // Maps a failed request to its response.
  auto fail = [m](httplib::Response& res, const absl::Status& s) {
    if (absl::IsInvalidArgument(s)) return Error(res, 400, s.message());
    if (absl::IsNotFound(s)) return Error(res, 404, s.message());
    if (absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s)) {
      const MemberStatus st = m->GetStatus();
      auto it = st.members.find(st.leader);
      res.status = 503;
      res.set_content(
          Dump({{"error", std::string(s.message())},
                {"leader", st.leader},
                {"leader_address",
                 it != st.members.end() ? it->second : std::string()}}),
          "application/json");
      return;
    }
    Error(res, 500, s.ToString());
  };
  auto key_of = [](const httplib::Request& req, httplib::Response& res,
                   std::string* key) {
    *key = req.matches[1];
    if (key->empty()) {
      Error(res, 400, "empty key: use /keys/<key>");
      return false;
    }
    return true;
  };

  svr.Put(R"(/keys/(.*))", [=](const httplib::Request& req,
                               httplib::Response& res) {
    std::string key;
    if (!key_of(req, res, &key)) return;
    absl::StatusOr<Member::WriteResult> r =
        req.has_param("if")
            ? m->CompareAndSet(key, req.get_param_value("if"), req.body)
            : m->Put(key, req.body);
    if (!r.ok()) return fail(res, r.status());
    if (*r == Member::WriteResult::kMismatch) {
      return Error(res, 412, "the key is absent or holds another value");
    }
    res.status = 204;
  });
  svr.Get(R"(/keys/(.*))", [=](const httplib::Request& req,
                               httplib::Response& res) {
    std::string key;
    if (!key_of(req, res, &key)) return;
    const std::string ser = req.get_param_value("serializable");
    if (!ser.empty() && ser != "true" && ser != "false") {
      return Error(res, 400, "serializable must be true or false");
    }
    absl::StatusOr<std::optional<std::string>> v = m->Get(key, ser == "true");
    if (!v.ok()) return fail(res, v.status());
    if (!v->has_value()) return Error(res, 404, "no such key");
    res.status = 200;
    res.set_content(**v, "application/octet-stream");
  });
  svr.Delete(R"(/keys/(.*))",
             [=](const httplib::Request& req, httplib::Response& res) {
               std::string key;
               if (!key_of(req, res, &key)) return;
               absl::StatusOr<Member::WriteResult> r = m->Delete(key);
               if (!r.ok()) return fail(res, r.status());
               res.status = 204;
             });
  svr.Get("/status", [m](const httplib::Request&, httplib::Response& res) {
    const MemberStatus st = m->GetStatus();
    Json members = Json::object();
    for (const auto& [id, addr] : st.members) members[absl::StrCat(id)] = addr;
    res.set_content(Dump({{"id", st.id},
                          {"role", st.role},
                          {"leader", st.leader},
                          {"term", st.term},
                          {"commit", st.commit},
                          {"applied", st.applied},
                          {"members", members}}),
                    "application/json");
  });
  auto member_id = [](const httplib::Request& req, httplib::Response& res,
                      uint64_t* id) {
    if (!absl::SimpleAtoi(std::string(req.matches[1]), id) || *id == 0) {
      Error(res, 400, "member ids are positive integers");
      return false;
    }
    return true;
  };
  svr.Post(R"(/members/([^/]*))",
           [=](const httplib::Request& req, httplib::Response& res) {
             uint64_t id;
             if (!member_id(req, res, &id)) return;
             if (absl::Status s = m->AddMember(id, req.body); !s.ok()) {
               return fail(res, s);
             }
             res.status = 204;
           });
  svr.Delete(R"(/members/([^/]*))",
             [=](const httplib::Request& req, httplib::Response& res) {
               uint64_t id;
               if (!member_id(req, res, &id)) return;
               if (absl::Status s = m->RemoveMember(id); !s.ok())
                 return fail(res, s);
               res.status = 204;
             });

  // Known paths with other methods: 405.
  auto not_allowed = [](const httplib::Request& req, httplib::Response& res) {
    Error(res, 405, absl::StrCat(req.method, " is not allowed on ", req.path));
  };
  svr.Post(R"(/keys/(.*))", not_allowed);
  svr.Patch(R"(/keys/(.*))", not_allowed);
  svr.Options(R"(/keys/(.*))", not_allowed);
  svr.Put("/status", not_allowed);
  svr.Post("/status", not_allowed);
  svr.Delete("/status", not_allowed);
  svr.Patch("/status", not_allowed);
  svr.Get(R"(/members/([^/]*))", not_allowed);
  svr.Put(R"(/members/([^/]*))", not_allowed);
  svr.Patch(R"(/members/([^/]*))", not_allowed);
  // Everything else: 404 (an error status without a body gets one here).
  svr.set_error_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        if (res.status == 404) {
          Error(res, 404, absl::StrCat("no such resource: ", req.path));
        } else {
          Error(res, res.status, "malformed request");
        }
      });
}

}  // namespace kvstore
