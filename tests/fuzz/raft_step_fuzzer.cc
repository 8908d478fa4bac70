// Fuzzes a three-node cluster with byte-driven schedules: ticks, Ready
// handling, delivery, loss and duplication of messages, proposals,
// campaigns, compaction, and messages decoded from the fuzzer's bytes and
// stepped into a node. Whatever the input, no node may crash or reach the
// logger's panic hook.
//
// Built with -fsanitize=fuzzer (the `fuzz` preset, clang) this is a
// libFuzzer target; otherwise standalone_main.cc drives it with files or
// seeded random inputs.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "craft/craft.h"

namespace {

// Reads the input front to back; past the end everything reads as zero.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t Next() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string Take(size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Turns a panic into a crash the fuzzer reports.
class TrappingLogger : public craft::Logger {
 public:
  bool Enabled(craft::LogLevel) const override { return false; }
  void Write(craft::LogLevel, absl::string_view) override {}
  void Panic(absl::string_view message) override {
    std::fprintf(stderr, "panic: %.*s\n", static_cast<int>(message.size()),
                 message.data());
    std::abort();
  }
};

struct Member {
  std::unique_ptr<craft::MemoryStorage> storage;
  std::unique_ptr<craft::RawNode> node;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  static TrappingLogger logger;
  const uint8_t flags = in.Next();
  constexpr int kNodes = 3;
  craft::raftpb::Snapshot boot;
  boot.mutable_metadata()->set_index(1);
  boot.mutable_metadata()->set_term(1);
  for (int i = 1; i <= kNodes; ++i) {
    boot.mutable_metadata()->mutable_conf_state()->add_voters(i);
  }
  std::vector<Member> members(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    members[i].storage = std::make_unique<craft::MemoryStorage>();
    if (!members[i].storage->ApplySnapshot(boot).ok()) std::abort();
    craft::Config cfg;
    cfg.id = i + 1;
    cfg.election_tick = 4;
    cfg.heartbeat_tick = 1;
    cfg.storage = members[i].storage.get();
    cfg.logger = &logger;
    cfg.pre_vote = flags & 1;
    cfg.check_quorum = flags & 2;
    cfg.max_size_per_msg = (flags & 4) ? 0 : 1024;
    cfg.max_inflight_msgs = 4;
    cfg.applied = 1;
    absl::StatusOr<std::unique_ptr<craft::RawNode>> rn =
        craft::RawNode::Create(cfg);
    if (!rn.ok()) std::abort();
    members[i].node = *std::move(rn);
  }
  std::deque<craft::raftpb::Message> queue;
  auto handle_ready = [&](Member& m) {
    if (!m.node->HasReady()) return;
    craft::Ready rd = m.node->GetReady();
    if (!craft::IsEmptySnapshot(rd.snapshot)) {
      (void)m.storage->ApplySnapshot(rd.snapshot);
    }
    if (!craft::IsEmptyHardState(rd.hard_state)) {
      (void)m.storage->SetHardState(rd.hard_state);
    }
    (void)m.storage->Append(rd.entries);
    for (craft::raftpb::Message& msg : rd.messages) {
      if (queue.size() < 256) queue.push_back(std::move(msg));
    }
    m.node->Advance();
  };

  for (int steps = 0; !in.empty() && steps < 2000; ++steps) {
    const uint8_t op = in.Next();
    Member& m = members[in.Next() % kNodes];
    switch (op % 9) {
      case 0:
        m.node->Tick();
        break;
      case 1:
        handle_ready(m);
        break;
      case 2:
      case 3: {  // deliver, or lose (3), a queued message
        if (queue.empty()) break;
        const size_t i = in.Next() % queue.size();
        craft::raftpb::Message msg = queue[i];
        queue.erase(queue.begin() + static_cast<ptrdiff_t>(i));
        if (op % 9 == 2 && msg.to() >= 1 && msg.to() <= kNodes) {
          (void)members[msg.to() - 1].node->Step(std::move(msg));
        }
        break;
      }
      case 4: {  // a message made of the fuzzer's bytes
        craft::raftpb::Message msg;
        if (msg.ParseFromString(in.Take(in.Next()))) {
          (void)m.node->Step(std::move(msg));
        }
        break;
      }
      case 5:
        (void)m.node->Propose(in.Take(in.Next() % 16));
        break;
      case 6:
        (void)m.node->Campaign();
        break;
      case 7: {  // snapshot and compact what is committed
        const uint64_t commit = m.node->GetBasicStatus().hard_state.commit();
        if (commit > *m.storage->FirstIndex()) {
          craft::raftpb::ConfState cs = boot.metadata().conf_state();
          if (m.storage->CreateSnapshot(commit, &cs, "s").ok()) {
            (void)m.storage->Compact(commit);
          }
        }
        break;
      }
      case 8:  // a queued message delivered twice
        if (!queue.empty()) {
          craft::raftpb::Message msg = queue[in.Next() % queue.size()];
          if (msg.to() >= 1 && msg.to() <= kNodes) {
            (void)members[msg.to() - 1].node->Step(std::move(msg));
          }
        }
        break;
    }
  }
  return 0;
}
