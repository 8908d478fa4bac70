// Config holds the parameters of one Raft node. Zero-valued limits take
// the documented defaults; Validate reports a configuration that cannot
// work.

#ifndef CRAFT_CONFIG_H_
#define CRAFT_CONFIG_H_

#include <cstdint>

#include "absl/status/status.h"
#include "craft/logger.h"
#include "craft/storage.h"

namespace craft {

// How ReadIndex requests are confirmed.
enum class ReadOnlyOption {
  // The leader confirms its leadership with a heartbeat round to a quorum
  // before answering. Linearizable regardless of clocks.
  kSafe,
  // The leader answers from its lease (CheckQuorum must be on) while a
  // quorum heard from it within the last 3/4 of an election timeout, and
  // confirms with a heartbeat round like kSafe otherwise. Relies on the
  // nodes' tick rates each staying within about 12% of true time (with the
  // default election tick; see src/raft/lease.h). (Unlike
  // etcd-io/raft, whose lease can outlive the followers' promise not to
  // elect another leader by up to an election timeout.) A node restarting
  // with a term keeps that promise too: it grants no vote during its first
  // election timeout.
  kLeaseBased,
};

struct Config {
  // This node's id; not 0 (kNone) and not one of the local thread ids.
  uint64_t id = 0;

  // Ticks without hearing from a leader before a follower campaigns. The
  // actual timeout is randomized in [election_tick, 2*election_tick).
  // Must exceed heartbeat_tick; ten times is customary.
  int election_tick = 10;
  // Ticks between a leader's heartbeats.
  int heartbeat_tick = 1;

  // Where the node reads its durable log and state. Not owned; must
  // outlive the node.
  Storage* storage = nullptr;

  // The last index the application applied, when restarting. Committed
  // entries up to it are not handed out again.
  uint64_t applied = 0;

  // Storage writes go through MsgStorageAppend / MsgStorageApply messages to
  // local threads instead of the Ready / Advance cycle (see RawNode).
  bool async_storage_writes = false;

  // Appends and commit updates produced between two Readys go to each
  // follower as one message, built when the Ready is: a Propose call does
  // not send a MsgApp of its own. false sends each at once, as etcd-io/raft
  // does (etcd's datadriven transcripts, which show every message, need
  // that); the protocol is the same either way.
  bool batch_appends = true;

  // Bytes of entries in one MsgApp. kNoLimit for no limit; 0 for one entry
  // per message.
  uint64_t max_size_per_msg = 1 << 20;
  // Bytes of committed entries handed out for application and not yet
  // applied. 0: max_size_per_msg.
  uint64_t max_committed_size_per_ready = 0;
  // Bytes of uncommitted entry payloads a leader accepts before dropping
  // proposals. 0: no limit.
  uint64_t max_uncommitted_entries_size = 0;
  // MsgApp messages in flight to one follower in the replicate state.
  int max_inflight_msgs = 256;
  // Payload bytes in flight to one follower. 0: no limit; otherwise at least
  // max_size_per_msg.
  uint64_t max_inflight_bytes = 0;

  // A leader steps down when a quorum has not been active for an election
  // timeout; followers that heard from a leader ignore disruptive votes.
  bool check_quorum = false;
  // A campaign first asks for pre-votes without bumping the term (Raft
  // thesis 9.6), so a rejoining partitioned node does not disrupt.
  bool pre_vote = false;

  ReadOnlyOption read_only_option = ReadOnlyOption::kSafe;

  // Not owned; DefaultLogger() when null.
  Logger* logger = nullptr;

  // Followers drop proposals instead of forwarding them to the leader.
  bool disable_proposal_forwarding = false;
  // Skip the proposal-time checks of configuration changes (one pending at a
  // time, joint transitions in order). Only for applications that serialize
  // changes themselves.
  bool disable_conf_change_validation = false;
  // A leader removed from (or demoted in) the configuration steps down.
  bool step_down_on_removal = false;

  // Seeds the generator of randomized election timeouts, which is otherwise
  // deterministic per node id.
  uint64_t random_seed = 0;

  // Validate reports the first problem that makes the configuration
  // unusable, as InvalidArgument.
  absl::Status Validate() const;
};

}  // namespace craft

#endif  // CRAFT_CONFIG_H_
