// craft-kvstore: one member of a replicated key-value service on craft.
//
//   craft-kvstore --id 1 --cluster 1=127.0.0.1:7101,2=127.0.0.1:7102,...
//                 --listen-client 127.0.0.1:8101 --data-dir DIR
//                 [--join] [--snapshot-every N]
//
// Restarted with the same arguments, a member recovers from DIR. SIGTERM
// (or SIGINT) shuts it down cleanly. The client API is in http_api.h.
// Exits 2 on a bad command line, 1 on a failure to start or a storage
// failure while running.

#include <signal.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "http_api.h"
#include "member.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "craft-kvstore: %s\n"
               "usage: craft-kvstore --id N --cluster "
               "1=host:port,2=host:port,... --listen-client host:port "
               "--data-dir DIR [--join] [--snapshot-every N]\n",
               why.c_str());
  return 2;
}

// host:port with a port other than 0 (a peer must be reachable there).
bool HasPort(const std::string& address) {
  absl::StatusOr<std::pair<std::string, int>> hp =
      kvstore::ParseHostPort(address, "--cluster");
  return hp.ok() && hp->second != 0;
}

bool ParseCluster(const std::string& s, std::map<uint64_t, std::string>* out) {
  for (absl::string_view part : absl::StrSplit(s, ',')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, '=');
    uint64_t id = 0;
    if (!absl::SimpleAtoi(kv.first, &id) || id == 0 || kv.second.empty() ||
        !HasPort(kv.second) || !out->emplace(id, kv.second).second) {
      return false;
    }
  }
  return !out->empty();
}

}  // namespace

int main(int argc, char** argv) {
  kvstore::MemberOptions opts;
  std::string listen_client;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--join") {
      opts.join = true;
      continue;
    }
    if (i + 1 >= argc) return Usage("missing value for " + flag);
    const std::string value = argv[++i];
    if (flag == "--id") {
      if (!absl::SimpleAtoi(value, &opts.id) || opts.id == 0) {
        return Usage("--id must be a positive integer");
      }
    } else if (flag == "--cluster") {
      if (!ParseCluster(value, &opts.cluster)) {
        return Usage("--cluster must be id=host:port,... with distinct ids");
      }
    } else if (flag == "--listen-client") {
      listen_client = value;
    } else if (flag == "--data-dir") {
      opts.data_dir = value;
    } else if (flag == "--snapshot-every") {
      if (!absl::SimpleAtoi(value, &opts.snapshot_every) ||
          opts.snapshot_every == 0) {
        return Usage("--snapshot-every must be a positive integer");
      }
    } else {
      return Usage("unknown flag " + flag);
    }
  }
  if (opts.id == 0 || opts.cluster.empty() || listen_client.empty() ||
      opts.data_dir.empty()) {
    return Usage("--id, --cluster, --listen-client and --data-dir are needed");
  }
  if (opts.cluster.count(opts.id) == 0) {
    return Usage(absl::StrCat("--cluster has no address for --id ", opts.id));
  }
  if (absl::Status s =
          kvstore::ParseHostPort(listen_client, "--listen-client").status();
      !s.ok()) {
    return Usage(std::string(s.message()));
  }

  auto logger = spdlog::stderr_color_mt("member");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [member " +
                      std::to_string(opts.id) + "] %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e [member " +
                      std::to_string(opts.id) + "] [%n] %^%l%$ %v");
  opts.logger = logger;

  // The signals are taken synchronously by this thread; block them before
  // any other thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<kvstore::Member>> member =
      kvstore::Member::Start(opts);
  if (!member.ok()) {
    logger->critical("cannot start: {}", member.status().ToString());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<kvstore::HttpApi>> api =
      kvstore::HttpApi::Start(member->get(), listen_client);
  if (!api.ok()) {
    logger->critical("cannot start: {}", api.status().ToString());
    return 1;
  }
  logger->info("serving clients on {}, peers on {}, data in {}", listen_client,
               opts.cluster.at(opts.id), opts.data_dir);

  int code = 0;
  for (;;) {
    timespec wait = {0, 200 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGTERM || sig == SIGINT) {
      logger->info("signal {}: shutting down", sig);
      break;
    }
    if (absl::Status s = (*member)->failure(); !s.ok()) {
      logger->critical("exiting: {}", s.ToString());
      code = 1;
      break;
    }
  }
  (*api)->Stop();
  (*member)->Stop();
  logger->info("stopped");
  return code;
}
