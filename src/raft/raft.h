// Raft is the protocol state machine of one node: roles and their step
// functions, ticks, elections, replication with flow control, snapshots,
// read-only requests, leadership transfer and membership changes. It does
// no I/O. Inputs arrive through Step and Tick; outputs accumulate in the
// message queues, the log's unstable tail and the read states, which
// RawNode packages into Ready structs.
//
// The implementation, by topic: raft.cc (creation, sending, log
// bookkeeping, role transitions, the Step dispatch, ticks), election.cc,
// leader.cc, follower.cc (with the handlers of appends, heartbeats and
// snapshots), membership.cc and reads.cc.

#ifndef CRAFT_RAFT_RAFT_H_
#define CRAFT_RAFT_RAFT_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "craft/config.h"
#include "craft/logger.h"
#include "craft/raftpb.h"
#include "craft/read_state.h"
#include "craft/state.h"
#include "craft/tracker/tracker.h"
#include "log/raft_log.h"
#include "raft/lease.h"
#include "raft/read_only.h"
#include "util/buffer_cache.h"
#include "util/interned.h"

namespace craft {

class Raft {
 public:
  // Create validates `config` and restores the node from its storage.
  static absl::StatusOr<std::unique_ptr<Raft>> Create(const Config& config);

  Raft(const Raft&) = delete;
  Raft& operator=(const Raft&) = delete;

  // Step processes one message: from a peer, from the node itself (local
  // message types), or from its storage threads. Returns an error for a
  // proposal that was dropped or a malformed message; other messages that
  // Raft ignores (stale terms, unknown peers) return OK.
  absl::Status Step(Message&& m);

  // Tick advances the logical clock by one tick.
  void Tick();

  // ApplyConfChange applies a committed configuration change and returns
  // the resulting configuration.
  absl::StatusOr<raftpb::ConfState> ApplyConfChange(
      const raftpb::ConfChangeV2& cc);

  // Bootstrap appends and applies the initial configuration (one AddNode
  // per peer) to an empty log, at term 1.
  absl::Status Bootstrap(absl::Span<const raftpb::ConfChange> peers);

  // Applied records that the application applied the committed entries up
  // to `index`, `size` bytes in all (EntrySize) with `payload_size` bytes of
  // payload: what a MsgStorageApplyResp reports.
  void Applied(uint64_t index, uint64_t size, uint64_t payload_size);

  // StorageAppended records what a MsgStorageAppendResp reports: the
  // application made the log up to `last` (index 0: no entries) and the
  // snapshot `snap` durable, as handed out in term `term`. Synchronous
  // writes report it directly on Advance.
  void StorageAppended(uint64_t term, EntryId last,
                       std::optional<EntryId> snap);

  SoftState soft_state() const { return {lead_, state_}; }
  HardState hard_state() const;
  // What changed in the hard state since the last TakeHardStateChanges,
  // which clears it (a Ready that hands the hard state out does). Flags
  // raised where the values change tell RawNode as much as a copy of the
  // last hard state would, because no change is ever undone: the term and
  // the commit index only grow, and within a term the vote is set at most
  // once.
  struct HardStateChanges {
    bool term_or_vote = false;  // (a change that must be synced)
    bool commit = false;
    bool any() const { return term_or_vote || commit; }
  };
  HardStateChanges hard_state_changes() const {
    return {term_or_vote_changed_, log_.commit_changed()};
  }
  HardStateChanges TakeHardStateChanges() {
    const HardStateChanges changes{term_or_vote_changed_,
                                   log_.TakeCommitChanged()};
    term_or_vote_changed_ = false;
    return changes;
  }
  // Marks the whole hard state as changed (after Bootstrap: nothing is
  // persisted yet).
  void MarkHardStateChanged() {
    term_or_vote_changed_ = true;
    log_.MarkCommitChanged();
  }

  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t vote() const { return vote_; }
  uint64_t lead() const { return lead_; }
  StateType state() const { return state_; }
  uint64_t lead_transferee() const {
    return rare_ != nullptr ? rare_->lead_transferee : kNone;
  }
  bool is_learner() const { return is_learner_; }
  bool async_storage_writes() const { return settings_->async_storage_writes; }
  const RaftLog& raft_log() const { return log_; }
  RaftLog& mutable_raft_log() { return log_; }
  const tracker::ProgressTracker& tracker() const { return trk_; }
  Logger& logger() const { return log_.logger(); }
  int election_elapsed() const { return election_elapsed_; }
  int randomized_election_timeout() const {
    return randomized_election_timeout_;
  }
  // Overrides the current randomized election timeout until the next
  // reset; for tests and simulations that need a fixed schedule.
  void set_randomized_election_timeout(int ticks) {
    randomized_election_timeout_ = ticks;
  }

  // The output: messages to send now, messages to send once the unstable
  // state (entries, term, vote, snapshot) is durable, and read states. The
  // second kind are the responses that vouch for durable state: MsgAppResp,
  // MsgVoteResp, MsgPreVoteResp, possibly addressed to this node itself.
  // Whether any of it is queued (or about to be: batched appends, a
  // heartbeat round):
  bool HasOutput() const {
    return appends_pending_ || heartbeats_pending_ || !msgs_.empty() ||
           (rare_ != nullptr && !rare_->states.empty());
  }
  // Sends the appends batched since the last Ready (Config::batch_appends):
  // each follower gets what it has not been sent (as many messages as flow
  // control allows), or the commit index if it does not know it yet. RawNode
  // calls it before taking the messages.
  void FlushAppends();
  // Move the queued messages to the end of `msgs` and of `after_append`;
  // the queue keeps no buffer (see buffer_cache.h).
  void TakeMessages(std::vector<Message>* msgs,
                    std::vector<Message>* after_append);
  void TakeReadStates(std::vector<ReadState>* out) {
    if (rare_ != nullptr) BufferCache<ReadState>::MoveInto(rare_->states, out);
  }

 private:
  enum class CampaignType { kPreElection, kElection, kTransfer };

  // Logs through the logger of `log`.
  Raft(const Config& config, RaftLog log);
  absl::Status Init(const Config& config);

  // Sending.
  void Send(Message&& m);
  // Sends the heartbeat round that is due, if any (see heartbeats_pending_).
  void FlushHeartbeats();
  // The commit index a heartbeat tells `pr`'s follower: the follower may not
  // hold every committed entry, so never past what it is known to have.
  uint64_t HeartbeatCommit(const tracker::Progress& pr) const {
    return std::min(pr.match(), log_.committed());
  }
  void SendAppend(uint64_t to) { MaybeSendAppend(to, /*send_if_empty=*/true); }
  bool MaybeSendAppend(uint64_t to, bool send_if_empty);
  // The same for a progress the caller already looked up.
  bool MaybeSendAppend(uint64_t to, tracker::Progress& pr, bool send_if_empty);
  bool MaybeSendSnapshot(uint64_t to, tracker::Progress& pr);
  void SendHeartbeat(uint64_t to, const Payload& ctx);
  // Sends appends (or commit updates) to every follower: with
  // Config::batch_appends, once the Ready is built (FlushAppends).
  void BcastAppend();
  void BcastHeartbeat();
  // One payload shared by the round's heartbeats (empty: no context).
  void BcastHeartbeatWithCtx(const Payload& ctx);
  // A heartbeat round carrying read sequence `seq`, which the leader
  // acknowledges itself.
  void BcastReadHeartbeat(uint64_t seq);
  void SendTimeoutNow(uint64_t to);

  // Role transitions.
  void Reset(uint64_t term);
  void BecomeFollower(uint64_t term, uint64_t lead);
  void BecomeCandidate();
  void BecomePreCandidate();
  void BecomeLeader();
  void ResetRandomizedElectionTimeout();
  bool PastElectionTimeout() const {
    return election_elapsed_ >= randomized_election_timeout_;
  }
  bool Promotable() const;

  // Elections.
  // Hup starts a campaign if this node can; OutOfRange when the term or
  // the log has no room left.
  absl::Status Hup(CampaignType t);
  void Campaign(CampaignType t);
  quorum::VoteResult Poll(uint64_t id, raftpb::MessageType t, bool granted);
  bool HasUnappliedConfChanges() const;

  // Step functions per role; the common term handling happens in Step.
  absl::Status StepLeader(Message& m);
  absl::Status StepCandidate(Message& m);
  absl::Status StepFollower(Message& m);
  void StepLeaderAppResp(const Message& m, tracker::Progress& pr);
  void StepLeaderHeartbeatResp(const Message& m, tracker::Progress& pr);
  void StepLeaderTransfer(const Message& m, tracker::Progress& pr);
  absl::Status StepLeaderPropose(Message& m);
  absl::Status StepVote(const Message& m);
  // The rejection of vote request `req`.
  Message VoteRejection(const Message& req) const;

  void TickElection();
  void TickHeartbeat();

  // Follower message handlers.
  void HandleAppendEntries(Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(Message& m);
  bool Restore(raftpb::Snapshot s);

  // Log bookkeeping.
  // Moves `ents` into the log as the leader's (assigning term and index).
  bool AppendEntries(absl::Span<Entry> ents);
  bool MaybeCommit();
  void AppliedTo(uint64_t index, uint64_t size);
  void AppliedSnapshot(EntryId snap);
  bool IncreaseUncommittedSize(absl::Span<const Entry> ents);
  void ReduceUncommittedSize(uint64_t size);
  void LoadState(const HardState& hs);
  raftpb::ConfState SwitchToConfig(tracker::TrackerConfig cfg,
                                   tracker::ProgressMap prs);

  // Reads.
  bool CommittedEntryInCurrentTerm() const;
  void SendReadIndexResponse(Message m);
  void ReleasePendingReadIndexMessages();
  // Answers `req` at `read_index`: a read state for local requests, a
  // MsgReadIndexResp for forwarded ones.
  void RespondToReadIndex(Message req, uint64_t read_index);
  void AddReadState(ReadState rs);

  void AbortLeaderTransfer() {
    if (rare_ != nullptr) rare_->lead_transferee = kNone;
  }

  // What most groups never use: the state of ReadIndex requests, leader
  // leases and leadership transfers, allocated by the first request or
  // transfer (or, with lease-based reads, the first tick).
  struct Rare {
    explicit Rare(int lease_ticks) : lease(lease_ticks) {}
    // Answers to local requests, for the next Ready.
    std::vector<ReadState> states;
    // Requests that arrived before this leader committed an entry of its
    // term; answered once it has.
    std::vector<Message> held;
    // Requests waiting for a heartbeat round to confirm the leadership.
    ReadOnly read_only;
    // Sequence numbers of ReadIndex requests (and, with lease-based reads,
    // of every heartbeat round); never reused, even across terms.
    uint64_t seq = 0;
    // When this leader may answer from its lease (lease-based reads only).
    LeaderLease lease;
    // The target of a leadership transfer in progress (Raft thesis 3.10).
    uint64_t lead_transferee = kNone;
  };
  Rare& MutableRare();
  // The lease with lease-based reads; null otherwise.
  LeaderLease* lease() {
    return settings_->lease_based_reads ? &MutableRare().lease : nullptr;
  }
  bool lease_based_reads() const { return settings_->lease_based_reads; }

  // What Config fixes for the node's lifetime, with the limits' zeros
  // resolved to kNoLimit. Interned: groups configured alike share one copy.
  struct Settings {
    uint64_t max_msg_size;
    uint64_t max_uncommitted_size;
    int heartbeat_timeout;
    int election_timeout;
    bool disable_conf_change_validation;
    bool check_quorum;
    bool pre_vote;
    bool disable_proposal_forwarding;
    bool step_down_on_removal;
    bool batch_appends;
    bool async_storage_writes;
    bool lease_based_reads;

    bool operator==(const Settings&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Settings& s) {
      return H::combine(std::move(h), s.max_msg_size, s.max_uncommitted_size,
                        s.heartbeat_timeout, s.election_timeout,
                        s.disable_conf_change_validation, s.check_quorum,
                        s.pre_vote, s.disable_proposal_forwarding,
                        s.step_down_on_removal, s.batch_appends,
                        s.async_storage_writes, s.lease_based_reads);
    }
  };
  static Settings SettingsOf(const Config& c);

  // (Members are ordered to pack: a process may hold thousands of groups.)
  const uint64_t id_;
  const Interned<Settings> settings_;
  uint64_t term_ = 0;
  uint64_t vote_ = kNone;
  uint64_t lead_ = kNone;
  // At most one configuration change may be in the log and unapplied: new
  // ones are refused until the applied index reaches this index.
  uint64_t pending_conf_index_ = 0;
  // An estimate of the payload bytes in the uncommitted tail of the log;
  // only the leader maintains it.
  uint64_t uncommitted_size_ = 0;
  RaftLog log_;
  tracker::ProgressTracker trk_;
  // The output queue: the messages to send at once, then (from
  // after_append_start_ on) those to send once the unstable state is
  // durable. Both keep the order they were sent in. (One vector for the
  // two: an idle group pays for one.)
  std::vector<Message> msgs_;
  std::unique_ptr<Rare> rare_;  // see Rare
  uint32_t rng_state_;          // draws the randomized election timeout
  // Ticks since the last election timeout (leader, candidate) or since a
  // valid message from the leader (follower).
  int election_elapsed_ = 0;
  // Ticks since the last heartbeat; leader only.
  int heartbeat_elapsed_ = 0;
  uint32_t after_append_start_ = 0;  // see msgs_
  // Uniform in [election_timeout, 2 * election_timeout), re-drawn on
  // every reset.
  int randomized_election_timeout_ = 0;
  StateType state_ = StateType::kFollower;
  // (The flags are bits of one byte: with it, Raft fits in 336 bytes.)
  bool is_learner_ : 1 = false;
  // With lease-based reads, a node that restarts with a term may have
  // promised a leader not to vote for an election timeout: it keeps that
  // promise for its first election timeout.
  bool lease_guard_on_start_ : 1 = false;
  bool appends_pending_ : 1 = false;
  // A heartbeat round without context is due: its messages are built when
  // they are taken (or before anything else is sent, or anything changes
  // what they would say), so that an idle leader's tick allocates nothing.
  // Until then they are exactly the messages the tick would have sent.
  bool heartbeats_pending_ : 1 = false;
  // Whether term_ or vote_ changed since RawNode last handed out the hard
  // state (see HardStateChanges).
  bool term_or_vote_changed_ : 1 = false;
};

}  // namespace craft

#endif  // CRAFT_RAFT_RAFT_H_
