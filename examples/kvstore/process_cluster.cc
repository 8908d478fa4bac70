#include "process_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace kvstore {

ProcessCluster::ProcessCluster(Options options)
    : o_(std::move(options)),
      pid_(o_.members + 1, 0),
      paused_(o_.members + 1, false) {
  for (int id = 1; id <= o_.members; ++id) {
    if (!cluster_.empty()) cluster_ += ",";
    cluster_ += absl::StrCat(id, "=", PeerAddress(id));
  }
}

ProcessCluster::~ProcessCluster() {
  for (int id = 1; id <= o_.members; ++id) Kill(id);
}

std::string ProcessCluster::PeerAddress(int id) const {
  return absl::StrCat("127.0.0.1:", o_.port_base + id);
}

int ProcessCluster::ClientPort(int id) const { return o_.port_base + 100 + id; }

void ProcessCluster::Start(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pid_[id] > 0) return;
  const std::string log = absl::StrCat(o_.dir, "/m", id, ".log");
  const std::string sid = absl::StrCat(id);
  const std::string client = absl::StrCat("127.0.0.1:", ClientPort(id));
  const std::string data = absl::StrCat(o_.dir, "/m", id);
  const std::string every = absl::StrCat(o_.snapshot_every);
  const pid_t pid = fork();
  if (pid == 0) {
    // A member never outlives the tool (even one that crashed).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    // Nothing else of this process (its clients' sockets) leaks into the
    // member.
    close_range(3, ~0U, 0);
    execl(o_.binary.c_str(), o_.binary.c_str(), "--id", sid.c_str(),
          "--cluster", cluster_.c_str(), "--listen-client", client.c_str(),
          "--data-dir", data.c_str(), "--snapshot-every", every.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_[id] = pid;
  paused_[id] = false;
}

void ProcessCluster::Kill(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pid_[id] <= 0) return;
  kill(pid_[id], SIGKILL);
  waitpid(pid_[id], nullptr, 0);
  pid_[id] = 0;
  paused_[id] = false;
}

void ProcessCluster::Pause(int id, bool pause) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pid_[id] <= 0) return;
  kill(pid_[id], pause ? SIGSTOP : SIGCONT);
  paused_[id] = pause;
}

bool ProcessCluster::Up(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  return pid_[id] > 0 && !paused_[id];
}

std::vector<std::string> ProcessCluster::Unexpected() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (int id = 1; id <= o_.members; ++id) {
    if (pid_[id] <= 0) continue;
    int status = 0;
    if (waitpid(pid_[id], &status, WNOHANG) != pid_[id]) continue;
    pid_[id] = 0;
    paused_[id] = false;
    out.push_back(
        WIFSIGNALED(status)
            ? absl::StrCat("member ", id, " died of signal ", WTERMSIG(status))
            : absl::StrCat("member ", id, " exited with status ",
                           WEXITSTATUS(status)));
  }
  return out;
}

int ProcessCluster::Leader() {
  for (int id = 1; id <= o_.members; ++id) {
    if (!Up(id)) continue;
    httplib::Client c("127.0.0.1", ClientPort(id));
    c.set_connection_timeout(1, 0);
    c.set_read_timeout(1, 0);
    auto res = c.Get("/status");
    if (!res || res->status != 200) continue;
    const size_t at = res->body.find("\"leader\":");
    if (at == std::string::npos) continue;
    const int leader = std::atoi(res->body.c_str() + at + 9);
    if (leader > 0) return leader;
  }
  return 0;
}

bool ProcessCluster::WaitLeader(double seconds) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    if (Leader() > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

}  // namespace kvstore
