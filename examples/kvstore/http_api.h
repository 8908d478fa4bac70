// The client API of craft-kvstore, over HTTP (cpp-httplib):
//
//   PUT    /keys/<key>            body: the value     204 once committed and
//                                                     applied on this member
//   PUT    /keys/<key>?if=<old>   compare-and-set     204, or 412 when the key
//                                                     is absent or differs
//   GET    /keys/<key>            linearizable read   200 + value, or 404
//   GET    /keys/<key>?serializable=true   this member's state, no round
//   DELETE /keys/<key>                                204 once applied
//   GET    /status                JSON: id, role, leader, term, commit,
//                                 applied, members (id -> peer address)
//   POST   /members/<id>          body: peer address  204 once applied
//   DELETE /members/<id>                              204 once applied
//
// A request that cannot finish in time (no leader, a partitioned minority)
// gets 503 with a JSON body {"error": ..., "leader": <id or 0>,
// "leader_address": ...}; a write that may still commit says so. Bad
// requests get 400, unknown paths 404, other methods 405, values over
// 1 MiB 413, each with a JSON {"error": ...}.

#ifndef CRAFT_EXAMPLES_KVSTORE_HTTP_API_H_
#define CRAFT_EXAMPLES_KVSTORE_HTTP_API_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "member.h"

namespace httplib {
class Server;
}

namespace kvstore {

class HttpApi {
 public:
  // Binds `listen` ("host:port") and serves `member` on a thread pool.
  static absl::StatusOr<std::unique_ptr<HttpApi>> Start(
      Member* member, const std::string& listen);
  ~HttpApi();
  // Stops accepting and waits for the server thread; idempotent.
  void Stop();
  int port() const { return port_; }

 private:
  HttpApi(Member* member);
  void Routes();

  Member* const member_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  int listen_fd_ = -1;  // the server's listening socket, once bound
};

}  // namespace kvstore

#endif  // CRAFT_EXAMPLES_KVSTORE_HTTP_API_H_
