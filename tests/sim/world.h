// World is the simulated cluster that events act on: nodes (RawNode over a
// simulated disk, with the application loop of a real embedding), the
// network between them, the clients and their history, and the checks of
// Raft's safety properties after every event.
//
// The application loop honours the Ready contract exactly. Synchronous
// mode: persist the hard state, entries and snapshot (synced when
// must_sync), then send, then apply, then Advance; a stalled disk delays
// the whole loop. Asynchronous storage writes: peer messages go out at
// once, MsgStorageAppend and MsgStorageApply queue for the node's append
// and apply threads, which complete one at a time on kDiskWrite and
// kDiskApply events and step their responses back.
//
// Checked after every event (the first violation is kept):
//   - at most one leader per term;
//   - a node's term never decreases, and it votes for at most one
//     candidate per term, across restarts from its disk;
//   - persist before send: a granted vote and an append acknowledgement
//     leave a node only once what they vouch for is durable;
//   - log matching: an (index, term) pair names one entry with one
//     predecessor, in every log;
//   - leader completeness: a new leader's log holds every committed entry;
//   - committed entries never change, and no two nodes apply different
//     entries at one index; a node applies only durable entries;
//   - a node's commit index never falls below its durable commit index, also
//     across restarts;
//   - a leader's log holds at most one unapplied configuration change;
//   - refused input: a malformed or forged message is refused with a
//     Status and changes nothing.
// Finish() checks the end of a run: liveness after the faults stopped (a
// leader, a write acknowledged and applied by every live member, no joint
// configuration left behind) and the linearizability of the clients'
// history.

#ifndef CRAFT_TESTS_SIM_WORLD_H_
#define CRAFT_TESTS_SIM_WORLD_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "craft/config.h"
#include "craft/logger.h"
#include "craft/raw_node.h"
#include "lincheck/lincheck.h"
#include "sim/disk.h"
#include "sim/event.h"
#include "sim/kv.h"

namespace craft::sim {

struct ClusterOptions {
  int nodes = 3;   // processes 1..nodes
  int voters = 3;  // initial voters 1..voters; the others may join later
  bool pre_vote = false;
  bool check_quorum = false;
  bool async_writes = false;
  bool lease_reads = false;  // needs check_quorum
  bool step_down_on_removal = false;
  uint64_t max_size_per_msg = 0;
  int max_inflight_msgs = 8;
  int election_tick = 10;
  int heartbeat_tick = 1;
  // Client operations not completed within this many base ticks end with
  // an unknown result.
  uint64_t client_timeout_ticks = 60;
  // The liveness phase must reach its goal within this many base ticks.
  uint64_t liveness_ticks = 600;
  // Peers may send anything (the raw-bytes fuzzer): only the checks that
  // hold for each node on its own apply, not the cluster-wide ones.
  bool byzantine = false;
  // Seeds the nodes' election timeouts.
  uint64_t seed = 0;

  std::string Describe() const;
};

// Hostile message kinds (Event::arg of kHostile).
enum HostileKind : uint64_t {
  kHostileTermZero = 0,    // a needs-term message without a term
  kHostileTermOverflow,    // a term beyond kMaxTerm
  kHostileStorageForgery,  // a storage thread's ack from the network
  kHostileSelfSender,      // a MsgApp claiming to come from its target
  kHostileIndexOverflow,   // an append past kMaxIndex
  kHostileBadEntries,      // entries out of index or term order
  kHostileUnknownType,     // a type craft does not know
  kHostileReservedMember,  // a snapshot naming a storage thread
  kHostileStaleSender,     // a heartbeat from a non-member, stale term
  kHostileKinds,
};

class World {
 public:
  using Trace = std::function<void(const std::string&)>;
  explicit World(const ClusterOptions& opts, Trace trace = nullptr);
  ~World();

  // Executes `e`, runs the application loops until they are idle, and
  // checks the invariants.
  void Execute(const Event& e);
  // Ends the run: pending client operations end unknown; checks liveness
  // (when the run had a liveness phase) and linearizability.
  void Finish();

  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }

  // What the generator looks at.
  struct InFlight {
    Message msg;
    uint64_t sent_at = 0;
  };
  using LinkKey = std::tuple<uint64_t, uint64_t, uint64_t>;  // from, to, n
  const ClusterOptions& options() const { return opts_; }
  uint64_t now() const { return now_; }
  std::vector<uint64_t> ids() const;
  bool alive(uint64_t id) const;
  bool stalled(uint64_t id) const;
  const std::map<LinkKey, InFlight>& in_flight() const { return in_flight_; }
  // How many messages were delivered on from->to so far (replayable).
  uint64_t delivered(uint64_t from, uint64_t to) const;
  size_t append_queue(uint64_t id) const;
  size_t apply_queue(uint64_t id) const;
  const SimDisk& disk(uint64_t id) const;
  // The leader of the highest term among live nodes, or 0; every live node
  // that believes it leads (stale leaders of older terms too).
  uint64_t leader() const;
  std::vector<uint64_t> leaders() const;
  // A live node's current term, commit index and last log index (0 when
  // down).
  uint64_t term(uint64_t id) const;
  uint64_t commit(uint64_t id) const;
  uint64_t last_index(uint64_t id) const;
  // The newest configuration any node applied, and the one `id` applied.
  raftpb::ConfState config() const;
  raftpb::ConfState config(uint64_t id) const;
  bool client_busy(uint64_t client) const;
  bool stable() const { return stable_since_.has_value(); }
  // The liveness goal was reached since the faults stopped.
  bool liveness_met() const { return liveness_met_; }
  const std::vector<lincheck::Operation>& history() const { return history_; }
  // The messages sent since the last call, for the generator to schedule.
  std::vector<LinkKey> TakeNewMessages();

 private:
  class SimLogger;
  struct Node;
  struct PendingOp;
  struct Committed {
    uint64_t term;
    uint64_t hash;
    uint64_t commit_term;  // the term of the node that first reported it
  };

  Node& N(uint64_t id) { return *nodes_.at(id); }
  const Node& N(uint64_t id) const { return *nodes_.at(id); }
  void Start(uint64_t id);
  void Stop(uint64_t id);

  // Execution.
  void Pump();
  bool HandleReady(Node& n);
  void HandleReadStates(Node& n, std::vector<ReadState> rs);
  void NoteDurable(Node& n);
  void RestoreStateMachine(Node& n, const raftpb::Snapshot& s);
  void Send(Message m);
  void Deliver(const LinkKey& key, bool keep);
  void StepInto(uint64_t to, Message m);
  // A message that did not arrive; the transport reports failed snapshots,
  // and unreachable peers when a partition refused the message.
  void Lost(const Message& m, bool unreachable);
  void AppendThread(Node& n);
  void ApplyThread(Node& n);
  void Apply(Node& n, const Entry& e);
  void ClientOp(const Event& e);
  void ProposeConfChange(const Event& e);
  void Compact(Node& n, uint64_t keep);
  void Hostile(const Event& e);
  void Raw(const Event& e);
  bool Connected(uint64_t from, uint64_t to) const;
  void ExpireClientOps();
  void CompleteOps(Node& n);
  void EndOp(uint64_t client, lincheck::OpResult result,
             std::optional<std::string> read_value = std::nullopt);

  // Checks.
  void Fail(const std::string& what);
  void ObserveReady(Node& n, const Ready& rd);
  void ObserveVote(uint64_t voter, uint64_t term, uint64_t candidate);
  void ObserveEntries(Node& n, const std::vector<Entry>& ents);
  void ObserveCommit(Node& n, uint64_t from, uint64_t to);
  void ObserveSend(const Message& m);
  void CheckLeaderCompleteness(Node& n, uint64_t term);
  void CheckPendingConfChanges(Node& n, const std::vector<Entry>& ents);
  void CheckLiveness();

  const ClusterOptions opts_;
  Trace trace_;
  std::unique_ptr<SimLogger> logger_;
  raftpb::Snapshot bootstrap_;
  std::map<uint64_t, std::unique_ptr<Node>> nodes_;
  uint64_t now_ = 0;
  std::string failure_;

  // The network.
  std::map<LinkKey, InFlight> in_flight_;
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> sent_;
  std::map<std::pair<uint64_t, uint64_t>, std::deque<Message>> delivered_;
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> delivered_count_;
  std::map<uint64_t, int> group_;  // partition side per node; absent: 0
  std::set<std::pair<uint64_t, uint64_t>> cut_;
  std::vector<LinkKey> new_messages_;

  // Clients.
  std::map<uint64_t, PendingOp> pending_;  // by client
  std::map<uint64_t, uint64_t> client_seq_;
  std::vector<lincheck::Operation> history_;

  // What the checks remember.
  std::map<uint64_t, uint64_t> leaders_;  // term -> leader
  // (index, term) -> (hash of the entry's data and type, term before it)
  std::map<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, uint64_t>>
      entries_;
  std::map<uint64_t, Committed> committed_;  // by index
  uint64_t max_committed_ = 0;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> applied_;  // -> term, hash
  // voter -> term -> candidate, from granted votes and persisted votes.
  std::map<uint64_t, std::map<uint64_t, uint64_t>> votes_;
  std::optional<uint64_t> stable_since_;
  // The index of the first write made after stable_since_ and applied.
  uint64_t probe_index_ = 0;
  bool liveness_met_ = false;
};

}  // namespace craft::sim

#endif  // CRAFT_TESTS_SIM_WORLD_H_
