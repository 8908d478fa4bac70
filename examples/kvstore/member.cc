#include "member.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace kvstore {

using craft::Entry;
using craft::raftpb::ConfChange;
using craft::raftpb::ConfState;
using craft::raftpb::Snapshot;

namespace {

// Entries a follower may lag behind a snapshot and still catch up from the
// log rather than by a snapshot of its own.
constexpr uint64_t kCatchUpEntries = 1000;

// A learner whose log is within this many entries of the leader's commit
// index has caught up, and is promoted to voter.
constexpr uint64_t kPromotionLag = 64;

bool Contains(const google::protobuf::RepeatedField<uint64_t>& ids,
              uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

Member::Member(MemberOptions options)
    : options_(std::move(options)),
      log_(options_.logger != nullptr ? options_.logger
                                      : spdlog::default_logger()) {
  // Request ids: random per process start, so that a restarted member never
  // mistakes an old entry for a request it is waiting on.
  std::random_device rd;
  next_request_ = (uint64_t{rd()} << 32) ^ rd();
}

Member::~Member() { Stop(); }

absl::StatusOr<std::unique_ptr<Member>> Member::Start(MemberOptions options) {
  if (options.id == 0) return absl::InvalidArgumentError("--id must be > 0");
  if (options.cluster.count(options.id) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--cluster has no address for this member (id ", options.id, ")"));
  }
  if (options.snapshot_every == 0) {
    return absl::InvalidArgumentError("--snapshot-every must be > 0");
  }
  std::unique_ptr<Member> m(new Member(std::move(options)));
  if (absl::Status s = m->Init(); !s.ok()) {
    m->Stop();
    return s;
  }
  return m;
}

absl::Status Member::Init() {
  absl::StatusOr<std::unique_ptr<craft::DiskStorage>> storage =
      craft::DiskStorage::Open(options_.data_dir);
  if (!storage.ok()) return storage.status();
  storage_ = *std::move(storage);

  absl::StatusOr<Snapshot> snap = storage_->Snapshot();
  if (!snap.ok()) return snap.status();
  const bool fresh =
      snap->metadata().index() == 0 && *storage_->LastIndex() == 0;
  if (fresh && !options_.join) {
    // Bootstrap: every founding member starts from the same snapshot at
    // index 1, holding the configuration and the member addresses.
    StateMachine boot;
    for (const auto& [id, addr] : options_.cluster) boot.SetMember(id, addr);
    Snapshot s;
    s.mutable_metadata()->set_index(1);
    s.mutable_metadata()->set_term(1);
    for (const auto& [id, addr] : options_.cluster) {
      s.mutable_metadata()->mutable_conf_state()->add_voters(id);
    }
    s.set_data(boot.Serialize());
    if (absl::Status st = storage_->ApplySnapshot(s); !st.ok()) return st;
    *snap = std::move(s);
    log_->info("bootstrapped a new cluster of {} members",
               options_.cluster.size());
  } else if (fresh) {
    log_->info("joining: waiting for the leader to send the log");
  }
  if (snap->metadata().index() > 0) {
    if (absl::Status st = sm_.Restore(snap->metadata().index(), snap->data());
        !st.ok()) {
      return st;
    }
    snapshot_index_ = snap->metadata().index();
  }
  absl::StatusOr<craft::InitialState> init = storage_->InitialState();
  if (!init.ok()) return init.status();
  {
    std::lock_guard<std::mutex> lock(conf_mu_);
    conf_state_ = init->conf_state;
  }
  if (!fresh) {
    log_->info(
        "recovered from {}: snapshot at {}, log to {}, term {}, "
        "commit {}",
        options_.data_dir, snapshot_index_, *storage_->LastIndex(),
        init->hard_state.term(), init->hard_state.commit());
  }

  TransportOptions topt;
  topt.self = options_.id;
  topt.listen = options_.cluster.at(options_.id);
  topt.logger = log_;
  TransportCallbacks cb;
  cb.deliver = [this](craft::Message m) {
    if (node_ != nullptr) (void)node_->StepFromPeer(std::move(m));
  };
  cb.unreachable = [this](uint64_t peer) {
    if (node_ != nullptr) (void)node_->ReportUnreachable(peer);
  };
  cb.snapshot_done = [this](uint64_t peer, craft::SnapshotStatus st) {
    if (node_ != nullptr) (void)node_->ReportSnapshot(peer, st);
  };

  raft_logger_ = craft::NewSpdlogLogger(absl::StrCat("raft.", options_.id));
  craft::Config cfg;
  cfg.id = options_.id;
  cfg.election_tick = 10;
  cfg.heartbeat_tick = 1;
  cfg.storage = storage_.get();
  cfg.applied = snapshot_index_;
  cfg.max_size_per_msg = 1 << 20;
  cfg.max_inflight_msgs = 256;
  cfg.pre_vote = true;
  cfg.check_quorum = true;
  cfg.logger = raft_logger_.get();
  cfg.random_seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  absl::StatusOr<std::unique_ptr<craft::Node>> node =
      craft::Node::Start(cfg, {});
  if (!node.ok()) return node.status();
  node_ = *std::move(node);

  // The transport last: its callbacks step the node.
  absl::StatusOr<std::unique_ptr<Transport>> t =
      Transport::Start(topt, std::move(cb));
  if (!t.ok()) return t.status();
  transport_ = *std::move(t);
  SyncPeers();

  running_ = true;
  loop_ = std::thread([this] { Loop(); });
  ticker_ = std::thread([this] { Ticker(); });
  return absl::OkStatus();
}

void Member::Stop() {
  SetStopping();
  if (node_ != nullptr) node_->Stop();
  if (loop_.joinable()) loop_.join();
  if (ticker_.joinable()) ticker_.join();
  if (transport_ != nullptr) transport_->Stop();
}

void Member::SetStopping() {
  // Under mu_: a waiter checks running_ under it, so it cannot miss this.
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }
  cv_.notify_all();
}

absl::Status Member::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

void Member::SyncPeers() {
  // The addresses the state machine knows; --cluster only for a member
  // that joined and has not learnt them yet (it lists removed members too).
  std::map<uint64_t, std::string> peers = sm_.members();
  if (peers.empty()) peers = options_.cluster;
  for (const auto& [id, addr] : peers) {
    if (id != options_.id) transport_->AddPeer(id, addr);
  }
}

void Member::Ticker() {
  while (running_) {
    absl::SleepFor(options_.tick);
    if (!node_->Tick().ok()) return;  // stopped
    PromoteCaughtUpLearners();
  }
}

void Member::PromoteCaughtUpLearners() {
  ConfState cs;
  {
    std::lock_guard<std::mutex> lock(conf_mu_);
    if (conf_state_.learners().empty()) return;
    cs = conf_state_;
  }
  const craft::NodeStatus st = node_->GetStatus();
  if (st.basic.soft_state.raft_state != craft::StateType::kLeader) return;
  const absl::Time now = absl::Now();
  const std::map<uint64_t, std::string> members = sm_.members();
  for (uint64_t id : cs.learners()) {
    auto pr = st.progress.find(id);
    auto addr = members.find(id);
    // Caught up: the leader streams to it (it acknowledged an append or a
    // snapshot, so it is reachable) and it is close to the commit index.
    if (pr == st.progress.end() || addr == members.end() ||
        pr->second.state() != craft::tracker::ProgressState::kReplicate ||
        pr->second.match() == 0 ||
        pr->second.match() + kPromotionLag < st.basic.hard_state.commit()) {
      continue;
    }
    // At most once a second: Raft turns a change proposed while another
    // is pending into an empty entry, and the next tick tries again.
    absl::Time& last = last_promotion_[id];
    if (now - last < absl::Seconds(1)) continue;
    last = now;
    log_->info("member {} has caught up: promoting it to voter", id);
    Command c;
    c.op = Command::Op::kMember;
    c.value = addr->second;
    ConfChange cc;
    cc.set_type(craft::raftpb::ConfChangeAddNode);
    cc.set_node_id(id);
    cc.set_context(EncodeCommand(c));
    (void)node_->ProposeConfChange(cc);
  }
}

void Member::Loop() {
  while (running_) {
    std::optional<craft::Ready> rd = node_->WaitReady(absl::Milliseconds(100));
    if (!rd) continue;
    if (absl::Status s = HandleReady(*rd); !s.ok()) {
      if (!running_ || absl::IsCancelled(s)) return;  // Stop() raced us
      log_->critical("stopping: {}", s.ToString());
      {
        std::lock_guard<std::mutex> lock(mu_);
        failure_ = s;
      }
      SetStopping();
      node_->Stop();
      return;
    }
    node_->Advance(std::move(*rd));
  }
}

absl::Status Member::HandleReady(craft::Ready& rd) {
  if (rd.soft_state) {
    log_->info("leader is {}", rd.soft_state->lead);
  }
  // A snapshot from the leader is checked before it is made durable: one
  // that is not a kvstore state must not replace the directory's.
  if (!craft::IsEmptySnapshot(rd.snapshot)) {
    StateMachine check;
    if (absl::Status s =
            check.Restore(rd.snapshot.metadata().index(), rd.snapshot.data());
        !s.ok()) {
      return s;
    }
  }
  // 1. Durable before anything is sent: one sync for the whole Ready.
  if (absl::Status s = storage_->Save(rd); !s.ok()) return s;
  if (!craft::IsEmptySnapshot(rd.snapshot)) {
    const auto& md = rd.snapshot.metadata();
    if (absl::Status s = sm_.Restore(md.index(), rd.snapshot.data()); !s.ok()) {
      return s;
    }
    {
      std::lock_guard<std::mutex> lock(conf_mu_);
      conf_state_ = md.conf_state();
    }
    snapshot_index_ = md.index();
    SyncPeers();
    log_->info("installed a snapshot at index {} from the leader", md.index());
  }
  // 2. Send.
  transport_->Send(std::move(rd.messages));
  // 3. Apply.
  for (const Entry& e : rd.committed_entries) {
    if (absl::Status s = ApplyEntry(e); !s.ok()) return s;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const craft::ReadState& rs : rd.read_states) {
      auto it = reads_.find(rs.request_ctx);
      if (it != reads_.end()) it->second = rs.index;
    }
  }
  cv_.notify_all();
  MaybeSnapshot();
  return absl::OkStatus();
}

absl::Status Member::ApplyEntry(const Entry& e) {
  if (e.type() == craft::raftpb::EntryConfChange) {
    ConfChange cc;
    if (!cc.ParseFromString(e.data().ToString())) {
      return absl::DataLossError(
          absl::StrCat("entry ", e.index(), ": not a ConfChange"));
    }
    absl::StatusOr<Command> c = DecodeCommand(cc.context());
    absl::StatusOr<ConfState> cs = node_->ApplyConfChange(cc);
    if (absl::IsInvalidArgument(cs.status())) {
      // A change the configuration refuses (removing the last voter, say):
      // every member refuses it alike, and it consumes its index only.
      log_->warn("entry {}: configuration change refused: {}", e.index(),
                 std::string(cs.status().message()));
      sm_.Skip(e.index());
      std::lock_guard<std::mutex> lock(mu_);
      if (c.ok()) {
        if (auto it = writes_.find(c->id); it != writes_.end()) {
          it->second = Outcome::kMalformed;
        }
      }
      return absl::OkStatus();
    }
    if (!cs.ok()) return cs.status();
    {
      std::lock_guard<std::mutex> lock(conf_mu_);
      conf_state_ = *cs;
    }
    if (cc.type() == craft::raftpb::ConfChangeAddNode ||
        cc.type() == craft::raftpb::ConfChangeAddLearnerNode) {
      // A promotion, or a second add of the same member, keeps the address
      // the member was first added with.
      if (c.ok() && sm_.members().count(cc.node_id()) == 0) {
        sm_.SetMember(cc.node_id(), c->value);
      }
      log_->info("member {} {} at {}", cc.node_id(),
                 cc.type() == craft::raftpb::ConfChangeAddNode
                     ? "is a voter"
                     : "added as a learner",
                 c.ok() ? c->value : "(unknown address)");
    } else if (cc.type() == craft::raftpb::ConfChangeRemoveNode) {
      sm_.RemoveMember(cc.node_id());
      if (cc.node_id() != options_.id) transport_->RemovePeer(cc.node_id());
      log_->info("member {} removed", cc.node_id());
    }
    SyncPeers();
    sm_.Skip(e.index());
    conf_changed_ = true;
    std::lock_guard<std::mutex> lock(mu_);
    if (c.ok()) {
      if (auto it = writes_.find(c->id); it != writes_.end()) {
        it->second = Outcome::kOk;
      }
    }
    return absl::OkStatus();
  }
  if (e.type() != craft::raftpb::EntryNormal || e.data().empty()) {
    sm_.Skip(e.index());
    return absl::OkStatus();
  }
  absl::StatusOr<Command> c = DecodeCommand(e.data().view());
  if (!c.ok()) {
    // Not ours (a client cannot propose raw bytes, but a log is data): it
    // consumes its index on every member alike.
    log_->warn("entry {}: {}", e.index(), c.status().ToString());
    sm_.Skip(e.index());
    return absl::OkStatus();
  }
  const Outcome out = sm_.Apply(e.index(), *c);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = writes_.find(c->id); it != writes_.end()) it->second = out;
  return absl::OkStatus();
}

void Member::MaybeSnapshot() {
  const uint64_t applied = sm_.applied_index();
  // After a configuration change, at once: a member just added may need a
  // snapshot, and Raft refuses one whose configuration does not list it, so
  // an older snapshot would be offered to it (and ignored) forever.
  if (applied <= snapshot_index_ ||
      (!conf_changed_ && applied < snapshot_index_ + options_.snapshot_every)) {
    return;
  }
  ConfState cs;
  {
    std::lock_guard<std::mutex> lock(conf_mu_);
    cs = conf_state_;
  }
  absl::StatusOr<Snapshot> snap =
      storage_->CreateSnapshot(applied, &cs, sm_.Serialize());
  if (!snap.ok()) {
    log_->warn("snapshot at {}: {}", applied, snap.status().ToString());
    return;
  }
  snapshot_index_ = applied;
  conf_changed_ = false;
  const uint64_t margin = std::min(kCatchUpEntries, options_.snapshot_every);
  if (applied > margin && applied - margin >= *storage_->FirstIndex()) {
    if (absl::Status s = storage_->Compact(applied - margin); !s.ok()) {
      log_->warn("compact to {}: {}", applied - margin, s.ToString());
    }
  }
  log_->info("snapshot at index {}; log compacted", applied);
}

uint64_t Member::NextRequestId() { return next_request_.fetch_add(1) + 1; }

absl::Status Member::NoLeader() const {
  return absl::UnavailableError("no leader is known; try again");
}

absl::StatusOr<Outcome> Member::ProposeAndWait(
    uint64_t id, absl::FunctionRef<absl::Status()> propose) {
  if (!running_) return absl::UnavailableError("member is stopping");
  {
    std::lock_guard<std::mutex> lock(mu_);
    writes_[id] = std::nullopt;
  }
  absl::Status s = propose();
  std::unique_lock<std::mutex> lock(mu_);
  if (!s.ok()) {
    writes_.erase(id);
    if (craft::IsProposalDropped(s)) return NoLeader();
    if (absl::IsCancelled(s)) {
      return absl::UnavailableError("member is stopping");
    }
    return s;
  }
  const bool done =
      cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.request_timeout),
                   [&] { return writes_[id].has_value() || !running_; });
  std::optional<Outcome> out = writes_[id];
  writes_.erase(id);
  if (!done || !out) {
    return absl::DeadlineExceededError(
        "the request was proposed but not seen committed in time; it may "
        "still take effect");
  }
  return *out;
}

absl::StatusOr<Member::WriteResult> Member::Write(Command c) {
  c.id = NextRequestId();
  const std::string data = EncodeCommand(c);
  absl::StatusOr<Outcome> out =
      ProposeAndWait(c.id, [&] { return node_->Propose(data); });
  if (!out.ok()) return out.status();
  return *out == Outcome::kMismatch ? WriteResult::kMismatch : WriteResult::kOk;
}

absl::StatusOr<Member::WriteResult> Member::Put(std::string key,
                                                std::string value) {
  Command c;
  c.op = Command::Op::kPut;
  c.key = std::move(key);
  c.value = std::move(value);
  return Write(std::move(c));
}

absl::StatusOr<Member::WriteResult> Member::CompareAndSet(std::string key,
                                                          std::string expected,
                                                          std::string value) {
  Command c;
  c.op = Command::Op::kCas;
  c.key = std::move(key);
  c.value = std::move(value);
  c.expected = std::move(expected);
  return Write(std::move(c));
}

absl::StatusOr<Member::WriteResult> Member::Delete(std::string key) {
  Command c;
  c.op = Command::Op::kDelete;
  c.key = std::move(key);
  return Write(std::move(c));
}

absl::StatusOr<std::optional<std::string>> Member::Get(const std::string& key,
                                                       bool serializable) {
  if (serializable) return sm_.Get(key);
  if (!running_) return absl::UnavailableError("member is stopping");
  if (node_->GetBasicStatus().soft_state.lead == craft::kNone) {
    return NoLeader();
  }
  const std::string ctx = absl::StrCat("read-", NextRequestId());
  {
    std::lock_guard<std::mutex> lock(mu_);
    reads_[ctx] = std::nullopt;
  }
  absl::Status s = node_->ReadIndex(ctx);
  std::unique_lock<std::mutex> lock(mu_);
  if (!s.ok()) {
    reads_.erase(ctx);
    return absl::UnavailableError("member is stopping");
  }
  // The read index arrives (a quorum confirmed this leader), then the
  // state machine must catch up with it.
  const bool done = cv_.wait_for(
      lock, absl::ToChronoNanoseconds(options_.request_timeout), [&] {
        const std::optional<uint64_t>& idx = reads_[ctx];
        return !running_ || (idx && sm_.applied_index() >= *idx);
      });
  reads_.erase(ctx);
  if (!done || !running_) {
    return absl::DeadlineExceededError(
        "the read was not confirmed by a quorum in time");
  }
  lock.unlock();
  return sm_.Get(key);
}

absl::Status Member::AddMember(uint64_t id, std::string address) {
  if (id == 0) return absl::InvalidArgumentError("member id must be > 0");
  absl::StatusOr<std::pair<std::string, int>> hp =
      ParseHostPort(address, "the new member's peer address");
  if (!hp.ok()) return hp.status();
  if (hp->second == 0) {
    return absl::InvalidArgumentError(
        "the new member's peer address needs a port other than 0");
  }
  if (sm_.members().count(id) > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("member ", id, " already exists"));
  }
  // The leader must reach the new member before the entry commits.
  transport_->AddPeer(id, address);
  // A learner first: it receives the log without counting in the quorum,
  // so that a member that is slow to catch up (or never comes, at a wrong
  // address) cannot stall the cluster. The leader promotes it to voter once
  // it has caught up (PromoteCaughtUpLearners).
  const absl::Time deadline = absl::Now() + options_.request_timeout;
  if (absl::Status s = ChangeMembership(craft::raftpb::ConfChangeAddLearnerNode,
                                        id, std::move(address));
      !s.ok()) {
    return s;
  }
  while (absl::Now() < deadline && running_) {
    {
      std::lock_guard<std::mutex> lock(conf_mu_);
      if (Contains(conf_state_.voters(), id)) return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "member ", id,
      " was added as a learner; it becomes a voter once it has caught up "
      "with the log"));
}

absl::Status Member::RemoveMember(uint64_t id) {
  if (sm_.members().count(id) == 0) {
    return absl::NotFoundError(absl::StrCat("member ", id, " does not exist"));
  }
  {
    std::lock_guard<std::mutex> lock(conf_mu_);
    if (conf_state_.voters_size() == 1 && conf_state_.voters(0) == id) {
      return absl::InvalidArgumentError(
          absl::StrCat("member ", id, " is the last voter"));
    }
  }
  return ChangeMembership(craft::raftpb::ConfChangeRemoveNode, id, "");
}

absl::Status Member::ChangeMembership(craft::raftpb::ConfChangeType type,
                                      uint64_t id, std::string address) {
  // The context carries the request id (to wait on) and the address, which
  // every member learns when it applies the change.
  Command c;
  c.op = Command::Op::kMember;
  c.id = NextRequestId();
  c.value = std::move(address);
  ConfChange cc;
  cc.set_type(type);
  cc.set_node_id(id);
  cc.set_context(EncodeCommand(c));
  absl::StatusOr<Outcome> out =
      ProposeAndWait(c.id, [&] { return node_->ProposeConfChange(cc); });
  if (!out.ok()) return out.status();
  if (*out == Outcome::kMalformed) {
    return absl::InvalidArgumentError(
        "the configuration change was refused (see the member's log)");
  }
  return absl::OkStatus();
}

MemberStatus Member::GetStatus() const {
  MemberStatus st;
  st.id = options_.id;
  const craft::BasicStatus bs = node_->GetBasicStatus();
  bool learner = false;
  {
    std::lock_guard<std::mutex> lock(conf_mu_);
    learner = Contains(conf_state_.learners(), options_.id);
  }
  switch (bs.soft_state.raft_state) {
    case craft::StateType::kLeader:
      st.role = "leader";
      break;
    case craft::StateType::kCandidate:
      st.role = "candidate";
      break;
    case craft::StateType::kPreCandidate:
      st.role = "pre-candidate";
      break;
    default:
      st.role = learner ? "learner" : "follower";
      break;
  }
  st.leader = bs.soft_state.lead;
  st.term = bs.hard_state.term();
  st.commit = bs.hard_state.commit();
  st.applied = sm_.applied_index();
  st.members = sm_.members();
  return st;
}

}  // namespace kvstore
