#include "replica.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace kvstore {

using craft::Entry;
using craft::Message;

void Network::Add(Replica* r) { replicas_.push_back(r); }

void Network::Send(std::vector<Message> msgs) {
  for (Message& m : msgs) {
    if (m.to() == 0 || m.to() > replicas_.size()) continue;
    replicas_[m.to() - 1]->Deliver(std::move(m));
  }
}

Replica::Replica(uint64_t id, std::vector<uint64_t> peers, Network* net,
                 craft::Logger* logger)
    : id_(id), peers_(std::move(peers)), net_(net), logger_(logger) {}

Replica::~Replica() { Crash(); }

absl::Status Replica::Start() {
  if (up_) return absl::FailedPreconditionError("already running");
  craft::Config cfg;
  cfg.id = id_;
  cfg.election_tick = 10;
  cfg.heartbeat_tick = 1;
  cfg.storage = &storage_;
  cfg.logger = logger_;
  cfg.pre_vote = true;
  cfg.check_quorum = true;
  cfg.random_seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  // cfg.applied stays 0: after a restart the committed entries since the
  // last snapshot are handed out again, so that configuration changes are
  // re-applied to the new node; the state machine skips the commands it
  // already holds.
  // A restart knows the configuration of its last snapshot; the changes
  // since are replayed.
  absl::StatusOr<craft::InitialState> initial = storage_.InitialState();
  if (!initial.ok()) return initial.status();
  conf_state_ = initial->conf_state;
  std::vector<craft::Peer> peers;
  if (!bootstrapped_) {
    for (uint64_t p : peers_) peers.push_back({.id = p});
  }
  absl::StatusOr<std::unique_ptr<craft::Node>> node =
      craft::Node::Start(cfg, peers);
  if (!node.ok()) return node.status();
  bootstrapped_ = true;
  {
    std::lock_guard<std::mutex> lock(node_mu_);
    node_ = *std::move(node);
  }
  up_ = true;
  loop_ = std::thread([this] { Loop(); });
  ticker_ = std::thread([this] { Ticker(); });
  return absl::OkStatus();
}

void Replica::Crash() {
  if (!up_.exchange(false)) return;
  node()->Stop();
  loop_.join();
  ticker_.join();
  reads_cv_.notify_all();
}

std::shared_ptr<craft::Node> Replica::node() const {
  std::lock_guard<std::mutex> lock(node_mu_);
  return node_;
}

bool Replica::IsLeader() const {
  return up_ && node()->GetBasicStatus().soft_state.raft_state ==
                    craft::StateType::kLeader;
}

uint64_t Replica::Leader() const {
  return up_ ? node()->GetBasicStatus().soft_state.lead : craft::kNone;
}

absl::Status Replica::Put(absl::string_view key, absl::string_view value) {
  if (!up_) return absl::UnavailableError("replica is down");
  return node()->Propose(EncodePut(key, value));
}

absl::StatusOr<std::optional<std::string>> Replica::LinearizableGet(
    absl::string_view key, absl::Duration timeout) {
  if (!up_) return absl::UnavailableError("replica is down");
  std::string ctx;
  {
    std::lock_guard<std::mutex> lock(reads_mu_);
    ctx = absl::StrCat("read-", id_, "-", ++next_read_);
  }
  // Cancelled when a crash stopped the node since the check above.
  if (absl::Status s = node()->ReadIndex(ctx); !s.ok()) return s;
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  std::unique_lock<std::mutex> lock(reads_mu_);
  // The read index arrives, then the state machine must reach it.
  if (!reads_cv_.wait_until(lock, deadline,
                            [&] {
                              auto it = read_index_.find(ctx);
                              return !up_ ||
                                     (it != read_index_.end() &&
                                      store_.applied_index() >= it->second);
                            }) ||
      !up_) {
    read_index_.erase(ctx);
    return absl::DeadlineExceededError("read not confirmed in time");
  }
  read_index_.erase(ctx);
  return store_.Get(key);
}

void Replica::Deliver(Message m) {
  if (!up_) return;
  if (std::shared_ptr<craft::Node> n = node()) {
    (void)n->StepFromPeer(std::move(m));
  }
}

void Replica::Ticker() {
  std::shared_ptr<craft::Node> n = node();
  while (up_) {
    // Fails only once Crash stopped the node, after clearing up_.
    n->Tick().IgnoreError();
    absl::SleepFor(absl::Milliseconds(10));
  }
}

void Replica::Loop() {
  std::shared_ptr<craft::Node> n = node();
  while (up_) {
    std::optional<craft::Ready> rd = n->WaitReady(absl::Milliseconds(50));
    if (!rd) continue;
    if (absl::Status s = HandleReady(*rd); !s.ok()) {
      logger_->Errorf("replica %d: %s", id_, s.ToString());
      return;
    }
    n->Advance();
  }
}

absl::Status Replica::HandleReady(craft::Ready& rd) {
  // 1. Persist. (A real server writes and fsyncs here when rd.must_sync.)
  if (!craft::IsEmptySnapshot(rd.snapshot)) {
    if (absl::Status s = storage_.ApplySnapshot(rd.snapshot); !s.ok()) {
      return s;
    }
    if (absl::Status s =
            store_.Restore(rd.snapshot.metadata().index(), rd.snapshot.data());
        !s.ok()) {
      return s;
    }
    conf_state_ = rd.snapshot.metadata().conf_state();
    ++snapshots_installed_;
  }
  if (!craft::IsEmptyHardState(rd.hard_state)) {
    if (absl::Status s = storage_.SetHardState(rd.hard_state); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = storage_.Append(std::move(rd.entries)); !s.ok()) {
    return s;
  }
  // 2. Send.
  net_->Send(std::move(rd.messages));
  // 3. Apply.
  for (const Entry& e : rd.committed_entries) {
    if (e.type() == craft::raftpb::EntryConfChange) {
      craft::raftpb::ConfChange cc;
      if (!cc.ParseFromString(e.data().ToString())) {
        return absl::DataLossError("corrupt conf change");
      }
      absl::StatusOr<craft::raftpb::ConfState> cs = node()->ApplyConfChange(cc);
      if (!cs.ok()) return cs.status();
      conf_state_ = *std::move(cs);
    }
    if (e.index() <= store_.applied_index()) continue;  // replayed
    const bool command = e.type() == craft::raftpb::EntryNormal;
    (void)store_.Apply(e.index(),
                       command ? e.data().view() : absl::string_view());
  }
  // Snapshot and compact now and then, so the log stays short.
  const uint64_t applied = store_.applied_index();
  if (applied >= *storage_.FirstIndex() + 64) {
    absl::StatusOr<craft::raftpb::Snapshot> snap =
        storage_.CreateSnapshot(applied, &conf_state_, store_.Serialize());
    if (snap.ok()) (void)storage_.Compact(applied);
  }
  {
    std::lock_guard<std::mutex> lock(reads_mu_);
    for (const craft::ReadState& rs : rd.read_states) {
      read_index_[rs.request_ctx] = rs.index;
    }
  }
  reads_cv_.notify_all();
  return absl::OkStatus();
}

}  // namespace kvstore
