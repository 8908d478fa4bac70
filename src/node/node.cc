#include "craft/node.h"

#include <utility>

namespace craft {
namespace {

absl::Status Stopped() { return absl::CancelledError("raft: stopped"); }

}  // namespace

absl::StatusOr<std::unique_ptr<Node>> Node::Start(
    const Config& config, absl::Span<const Peer> peers) {
  absl::StatusOr<std::unique_ptr<RawNode>> rn = RawNode::Create(config);
  if (!rn.ok()) return rn.status();
  if (!peers.empty()) {
    if (absl::Status s = (*rn)->Bootstrap(peers); !s.ok()) return s;
  }
  return std::unique_ptr<Node>(
      new Node(*std::move(rn), config.async_storage_writes));
}

Node::Node(std::unique_ptr<RawNode> rn, bool async_storage_writes)
    : rn_(std::move(rn)), async_storage_writes_(async_storage_writes) {}

Node::~Node() { Stop(); }

template <typename Fn>
absl::Status Node::Locked(Fn fn) {
  absl::Status s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return Stopped();
    s = fn(*rn_);
  }
  cv_.notify_all();
  return s;
}

void Node::Tick() {
  (void)Locked([](RawNode& rn) {
    rn.Tick();
    return absl::OkStatus();
  });
}

absl::Status Node::Campaign() {
  return Locked([](RawNode& rn) { return rn.Campaign(); });
}

absl::Status Node::Propose(absl::string_view data) {
  return Propose(Payload(data));  // copied outside the lock
}

absl::Status Node::Propose(Payload data) {
  return Locked([&](RawNode& rn) { return rn.Propose(std::move(data)); });
}

absl::Status Node::Propose(absl::Span<const Payload> data) {
  return Locked([&](RawNode& rn) { return rn.Propose(data); });
}

absl::Status Node::ProposeConfChange(const raftpb::ConfChange& cc) {
  return Locked([&](RawNode& rn) { return rn.ProposeConfChange(cc); });
}

absl::Status Node::ProposeConfChange(const raftpb::ConfChangeV2& cc) {
  return Locked([&](RawNode& rn) { return rn.ProposeConfChange(cc); });
}

absl::Status Node::Step(Message m) {
  return Locked([&](RawNode& rn) { return rn.Step(std::move(m)); });
}

absl::Status Node::StepFromPeer(Message m) {
  return Locked([&](RawNode& rn) { return rn.StepFromPeer(std::move(m)); });
}

bool Node::CanHandOut() const {
  return stopped_ || (!outstanding_ && rn_->HasReady());
}

std::optional<Ready> Node::WaitReady(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto can = [this] { return CanHandOut(); };
  if (timeout == absl::InfiniteDuration()) {
    cv_.wait(lock, can);
  } else if (!cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), can)) {
    return std::nullopt;
  }
  if (stopped_) return std::nullopt;
  if (!async_storage_writes_) outstanding_ = true;
  return rn_->GetReady();
}

void Node::Advance() { Advance(Ready()); }

void Node::Advance(Ready&& rd) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ || !outstanding_) return;
    outstanding_ = false;
    rn_->Advance(std::move(rd));
  }
  cv_.notify_all();
}

absl::StatusOr<raftpb::ConfState> Node::ApplyConfChange(
    const raftpb::ConfChange& cc) {
  absl::StatusOr<raftpb::ConfState> cs = Stopped();
  (void)Locked([&](RawNode& rn) {
    cs = rn.ApplyConfChange(cc);
    return absl::OkStatus();
  });
  return cs;
}

absl::StatusOr<raftpb::ConfState> Node::ApplyConfChange(
    const raftpb::ConfChangeV2& cc) {
  absl::StatusOr<raftpb::ConfState> cs = Stopped();
  (void)Locked([&](RawNode& rn) {
    cs = rn.ApplyConfChange(cc);
    return absl::OkStatus();
  });
  return cs;
}

NodeStatus Node::GetStatus() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rn_->GetStatus();
}

BasicStatus Node::GetBasicStatus() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rn_->GetBasicStatus();
}

void Node::ReportUnreachable(uint64_t id) {
  (void)Locked([&](RawNode& rn) {
    rn.ReportUnreachable(id);
    return absl::OkStatus();
  });
}

void Node::ReportSnapshot(uint64_t id, SnapshotStatus status) {
  (void)Locked([&](RawNode& rn) {
    rn.ReportSnapshot(id, status);
    return absl::OkStatus();
  });
}

void Node::TransferLeadership(uint64_t transferee) {
  (void)Locked([&](RawNode& rn) {
    rn.TransferLeader(transferee);
    return absl::OkStatus();
  });
}

absl::Status Node::ForgetLeader() {
  return Locked([](RawNode& rn) { return rn.ForgetLeader(); });
}

void Node::ReadIndex(std::string request_ctx) {
  (void)Locked([&](RawNode& rn) {
    rn.ReadIndex(std::move(request_ctx));
    return absl::OkStatus();
  });
}

void Node::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

}  // namespace craft
