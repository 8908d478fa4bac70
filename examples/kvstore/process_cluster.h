// ProcessCluster runs craft-kvstore members as child processes on loopback,
// for the tools that test the real thing from outside (the chaos check, the
// throughput benchmark): start, SIGKILL, pause and ask who leads.
//
// Member `id` (1..members) listens for peers on port_base + id and for
// clients on port_base + 100 + id, keeps its data in dir/m<id> and logs to
// dir/m<id>.log. Children die with the process that started them.

#ifndef CRAFT_EXAMPLES_KVSTORE_PROCESS_CLUSTER_H_
#define CRAFT_EXAMPLES_KVSTORE_PROCESS_CLUSTER_H_

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace kvstore {

class ProcessCluster {
 public:
  struct Options {
    std::string binary;  // craft-kvstore
    std::string dir;     // exists; members' data and logs go here
    int members = 3;
    int port_base = 9100;
    uint64_t snapshot_every = 10000;
  };

  explicit ProcessCluster(Options options);
  // SIGKILLs every member still running.
  ~ProcessCluster();

  std::string PeerAddress(int id) const;
  int ClientPort(int id) const;

  // Starts member `id` unless it runs; a restart recovers from its data.
  void Start(int id);
  void Kill(int id);               // SIGKILL, and reaped
  void Pause(int id, bool pause);  // SIGSTOP / SIGCONT
  bool Up(int id);                 // running and not paused

  // Members that exited although nobody killed them (a crash, a sanitizer
  // report, a storage failure), each described with its exit status; they
  // are reaped and count as stopped.
  std::vector<std::string> Unexpected();

  // The leader some running member reports, or 0.
  int Leader();
  // Waits until some member reports a leader; false after `seconds`.
  bool WaitLeader(double seconds);

 private:
  const Options o_;
  std::string cluster_;  // the --cluster argument
  std::mutex mu_;
  std::vector<pid_t> pid_;    // guarded by mu_; 0: not running
  std::vector<bool> paused_;  // guarded by mu_
};

}  // namespace kvstore

#endif  // CRAFT_EXAMPLES_KVSTORE_PROCESS_CLUSTER_H_
