#include "craft/node.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

namespace craft {
namespace {

absl::Status Stopped() { return absl::CancelledError("raft: node stopped"); }

// Adds 1 to the eventfd's counter (making it readable). Cannot fail but for
// EINTR: the counter is 0 here, far from overflowing.
void SignalEventFd(int fd) {
  const uint64_t one = 1;
  while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

// Resets the eventfd's counter to 0 (making it unreadable). Cannot fail but
// for EINTR: the counter is nonzero here, so the read does not block.
void DrainEventFd(int fd) {
  uint64_t count;
  while (read(fd, &count, sizeof(count)) < 0 && errno == EINTR) {
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Node>> Node::Start(
    const Config& config, absl::Span<const Peer> peers) {
  absl::StatusOr<std::unique_ptr<RawNode>> rn = RawNode::Create(config);
  if (!rn.ok()) return rn.status();
  if (!peers.empty()) {
    if (absl::Status s = (*rn)->Bootstrap(peers); !s.ok()) return s;
  }
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, "raft: eventfd");
  return std::unique_ptr<Node>(
      new Node(*std::move(rn), config.async_storage_writes, fd));
}

Node::Node(std::unique_ptr<RawNode> rn, bool async_storage_writes, int ready_fd)
    : rn_(std::move(rn)),
      async_storage_writes_(async_storage_writes),
      ready_fd_(ready_fd) {
  // Bootstrapping, or a restart with committed entries to apply, leaves a
  // Ready to hand out.
  std::lock_guard<std::mutex> lock(mu_);
  SyncReadyFdLocked();
}

Node::~Node() {
  Stop();
  close(ready_fd_);
}

template <typename Fn>
absl::Status Node::Locked(Fn fn) {
  absl::Status s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return Stopped();
    s = fn(*rn_);
    SyncReadyFdLocked();
  }
  cv_.notify_all();
  return s;
}

absl::Status Node::Tick() {
  return Locked([](RawNode& rn) {
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

void Node::SyncReadyFdLocked() {
  const bool readable = CanHandOut();
  if (readable == fd_signaled_) return;
  if (readable) {
    SignalEventFd(ready_fd_);
  } else {
    DrainEventFd(ready_fd_);
  }
  fd_signaled_ = readable;
}

std::optional<Ready> Node::HandOutLocked() {
  if (stopped_) return std::nullopt;
  if (!async_storage_writes_) outstanding_ = true;
  std::optional<Ready> rd = rn_->GetReady();
  SyncReadyFdLocked();
  return rd;
}

std::optional<Ready> Node::WaitReady(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto can = [this] { return CanHandOut(); };
  if (timeout == absl::InfiniteDuration()) {
    cv_.wait(lock, can);
  } else if (!cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), can)) {
    return std::nullopt;
  }
  return HandOutLocked();
}

std::optional<Ready> Node::TryReady() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!CanHandOut()) return std::nullopt;
  return HandOutLocked();
}

bool Node::IsStopped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopped_;
}

void Node::Advance() { Advance(Ready()); }

void Node::Advance(Ready&& rd) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ || !outstanding_) return;
    outstanding_ = false;
    rn_->Advance(std::move(rd));
    SyncReadyFdLocked();
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

absl::Status Node::ReportUnreachable(uint64_t id) {
  return Locked([&](RawNode& rn) {
    rn.ReportUnreachable(id);
    return absl::OkStatus();
  });
}

absl::Status Node::ReportSnapshot(uint64_t id, SnapshotStatus status) {
  return Locked([&](RawNode& rn) {
    rn.ReportSnapshot(id, status);
    return absl::OkStatus();
  });
}

absl::Status Node::TransferLeadership(uint64_t transferee) {
  return Locked([&](RawNode& rn) {
    rn.TransferLeader(transferee);
    return absl::OkStatus();
  });
}

absl::Status Node::ForgetLeader() {
  return Locked([](RawNode& rn) { return rn.ForgetLeader(); });
}

absl::Status Node::ReadIndex(std::string request_ctx) {
  return Locked([&](RawNode& rn) {
    rn.ReadIndex(std::move(request_ctx));
    return absl::OkStatus();
  });
}

void Node::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    SyncReadyFdLocked();
  }
  cv_.notify_all();
}

}  // namespace craft
