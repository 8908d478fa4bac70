#include "interaction/interaction_env.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "craft/confchange/conversions.h"
#include "craft/describe.h"
#include "craft/errors.h"
#include "craft/testing/raw_node_peer.h"
#include "craft/tracker/progress.h"

namespace craft::interaction {

using datadriven::CmdArg;
using datadriven::TestData;

namespace {

constexpr absl::string_view kLevelNames[] = {"DEBUG", "INFO",  "WARN",
                                             "ERROR", "FATAL", "NONE"};

bool IsLocalMessage(const Message& m) {
  auto local = [](uint64_t id) {
    return id == kLocalAppendThread || id == kLocalApplyThread;
  };
  return m.from() == m.to() || local(m.from()) || local(m.to());
}

absl::StatusOr<raftpb::MessageType> ParseMessageType(absl::string_view name) {
  raftpb::MessageType t;
  if (!raftpb::MessageType_Parse(std::string(name), &t)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown message type ", name));
  }
  return t;
}

}  // namespace

// The environment's logger writes into the command output, so that raft's
// log lines interleave with the harness's text.
class InteractionEnv::EnvLogger : public Logger {
 public:
  explicit EnvLogger(InteractionEnv* env) : env_(env) {}

  bool Enabled(LogLevel level) const override {
    return static_cast<int>(level) >= static_cast<int>(env_->level_);
  }
  void Write(LogLevel level, absl::string_view message) override {
    // A panic aborts the process next: its message goes to stderr too.
    if (level == LogLevel::kFatal) {
      std::fprintf(stderr, "panic: %.*s\n", static_cast<int>(message.size()),
                   message.data());
    }
    if (!Enabled(level)) return;
    env_->Write(absl::StrCat(LogLevelName(level), " ", message, "\n"));
  }

 private:
  InteractionEnv* env_;
};

// MemoryStorage whose Snapshot() is the node's latest applied state (the
// last element of its history), as the reference harness does.
class InteractionEnv::HistoryStorage : public MemoryStorage {
 public:
  explicit HistoryStorage(const std::vector<raftpb::Snapshot>* history)
      : history_(history) {}
  absl::StatusOr<raftpb::Snapshot> Snapshot() const override {
    return history_->back();
  }

 private:
  const std::vector<raftpb::Snapshot>* history_;
};

struct InteractionEnv::Node {
  std::vector<raftpb::Snapshot> history;
  std::unique_ptr<HistoryStorage> storage;
  Config config;
  std::unique_ptr<RawNode> node;
  std::deque<Message> append_work;
  std::deque<Message> apply_work;
};

InteractionEnv::InteractionEnv()
    : out_(&buf_), logger_(std::make_unique<EnvLogger>(this)) {}

InteractionEnv::~InteractionEnv() = default;

void InteractionEnv::Write(absl::string_view s) {
  if (level_ == EnvLevel::kNone) return;
  out_->append(s.data(), s.size());
}

void InteractionEnv::Fatal(absl::Status s) {
  if (fatal_.ok()) fatal_ = std::move(s);
}

absl::Status InteractionEnv::WithIndent(
    const std::function<absl::Status()>& fn) {
  std::string* saved = out_;
  std::string inner;
  out_ = &inner;
  absl::Status s = fn();
  out_ = saved;
  if (!inner.empty()) {
    std::vector<absl::string_view> lines = absl::StrSplit(inner, '\n');
    // A final newline does not start another line.
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    for (absl::string_view line : lines) {
      out_->append("  ");
      out_->append(line.data(), line.size());
      out_->append("\n");
    }
  }
  return s;
}

absl::Status InteractionEnv::SetLevel(absl::string_view name) {
  const std::string upper = absl::AsciiStrToUpper(name);
  for (size_t i = 0; i < std::size(kLevelNames); ++i) {
    if (upper == kLevelNames[i]) {
      level_ = static_cast<EnvLevel>(i);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      "log levels must be either of [DEBUG INFO WARN ERROR FATAL NONE]");
}

absl::StatusOr<size_t> InteractionEnv::NodeIdx(uint64_t id) const {
  if (id == 0 || id > nodes_.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("node %d does not exist", id));
  }
  return id - 1;
}

absl::StatusOr<size_t> InteractionEnv::FirstNode(const TestData& d) const {
  if (d.cmd_args.empty()) {
    return absl::InvalidArgumentError("a node id is required");
  }
  absl::StatusOr<uint64_t> id = datadriven::ParseUint64(d.cmd_args[0].key);
  if (!id.ok()) return id.status();
  return NodeIdx(*id);
}

absl::StatusOr<std::vector<size_t>> InteractionEnv::NodeIdxs(
    const TestData& d) const {
  std::vector<size_t> out;
  for (const CmdArg& arg : d.cmd_args) {
    if (!arg.vals.empty()) continue;
    absl::StatusOr<uint64_t> id = datadriven::ParseUint64(arg.key);
    if (!id.ok()) return id.status();
    absl::StatusOr<size_t> idx = NodeIdx(*id);
    if (!idx.ok()) return idx.status();
    out.push_back(*idx);
  }
  return out;
}

absl::StatusOr<std::string> InteractionEnv::Handle(const TestData& d) {
  buf_.clear();
  out_ = &buf_;
  absl::Status err;
  const std::string& cmd = d.cmd;
  if (cmd == "_breakpoint") {
  } else if (cmd == "add-nodes") {
    err = AddNodes(d);
  } else if (cmd == "campaign") {
    err = Campaign(d);
  } else if (cmd == "compact") {
    err = Compact(d);
  } else if (cmd == "deliver-msgs") {
    err = DeliverMsgsCommand(d);
  } else if (cmd == "forget-leader") {
    err = ForgetLeader(d);
  } else if (cmd == "log-level") {
    err = LogLevelCommand(d);
  } else if (cmd == "process-ready") {
    err = ProcessReadyCommand(d);
  } else if (cmd == "process-append-thread") {
    err = ProcessAppendThreadCommand(d);
  } else if (cmd == "process-apply-thread") {
    err = ProcessApplyThreadCommand(d);
  } else if (cmd == "propose") {
    err = Propose(d);
  } else if (cmd == "propose-conf-change") {
    err = ProposeConfChange(d);
  } else if (cmd == "raft-log") {
    err = RaftLog(d);
  } else if (cmd == "raft-state") {
    err = RaftState();
  } else if (cmd == "report-unreachable") {
    err = ReportUnreachable(d);
  } else if (cmd == "send-snapshot") {
    err = SendSnapshot(d);
  } else if (cmd == "set-randomized-election-timeout") {
    err = SetRandomizedElectionTimeout(d);
  } else if (cmd == "stabilize") {
    err = Stabilize(d);
  } else if (cmd == "status") {
    err = Status(d);
  } else if (cmd == "tick-election") {
    err = Tick(d, /*election=*/true);
  } else if (cmd == "tick-heartbeat") {
    err = Tick(d, /*election=*/false);
  } else if (cmd == "transfer-leadership") {
    err = TransferLeadership(d);
  } else {
    err = absl::InvalidArgumentError("unknown command");
  }
  if (!fatal_.ok()) {
    return absl::Status(fatal_.code(),
                        absl::StrCat(d.pos, ": ", fatal_.message()));
  }
  if (!err.ok()) {
    if (level_ == EnvLevel::kNone) return std::string(err.message());
    buf_.append(err.message().data(), err.message().size());
  }
  if (buf_.empty()) return std::string("ok");
  return buf_;
}

// ---------------------------------------------------------------------------
// add-nodes

absl::Status InteractionEnv::AddNodes(const TestData& d) {
  absl::StatusOr<size_t> n = [&]() -> absl::StatusOr<size_t> {
    if (d.cmd_args.empty()) return absl::InvalidArgumentError("missing count");
    absl::StatusOr<uint64_t> v = datadriven::ParseUint64(d.cmd_args[0].key);
    if (!v.ok()) return v.status();
    return static_cast<size_t>(*v);
  }();
  if (!n.ok()) {
    Fatal(n.status());
    return absl::OkStatus();
  }
  raftpb::Snapshot snap;
  Config cfg;
  cfg.election_tick = 3;
  cfg.heartbeat_tick = 1;
  cfg.max_size_per_msg = kNoLimit;
  cfg.max_inflight_msgs = std::numeric_limits<int32_t>::max();
  cfg.max_committed_size_per_ready = 0;
  // etcd sends every append at once: its transcripts show each message.
  cfg.batch_appends = false;
  cfg.logger = logger_.get();
  bool bootstrap = false;
  for (size_t i = 1; i < d.cmd_args.size(); ++i) {
    const CmdArg& arg = d.cmd_args[i];
    for (size_t j = 0; j < arg.vals.size(); ++j) {
      absl::Status s;
      if (arg.key == "voters" || arg.key == "learners") {
        uint64_t id = 0;
        s = arg.Scan(j, &id);
        if (arg.key == "voters") {
          snap.mutable_metadata()->mutable_conf_state()->add_voters(id);
        } else {
          snap.mutable_metadata()->mutable_conf_state()->add_learners(id);
        }
        bootstrap = true;
      } else if (arg.key == "index") {
        uint64_t index = 0;
        s = arg.Scan(j, &index);
        snap.mutable_metadata()->set_index(index);
        cfg.applied = index;
        bootstrap = true;
      } else if (arg.key == "content") {
        std::string content;
        s = arg.Scan(j, &content);
        snap.set_data(content);
        bootstrap = true;
      } else if (arg.key == "inflight") {
        s = arg.Scan(j, &cfg.max_inflight_msgs);
      } else if (arg.key == "async-storage-writes") {
        s = arg.Scan(j, &cfg.async_storage_writes);
      } else if (arg.key == "prevote") {
        s = arg.Scan(j, &cfg.pre_vote);
      } else if (arg.key == "checkquorum") {
        s = arg.Scan(j, &cfg.check_quorum);
      } else if (arg.key == "max-committed-size-per-ready") {
        s = arg.Scan(j, &cfg.max_committed_size_per_ready);
      } else if (arg.key == "disable-conf-change-validation") {
        s = arg.Scan(j, &cfg.disable_conf_change_validation);
      } else if (arg.key == "step-down-on-removal") {
        s = arg.Scan(j, &cfg.step_down_on_removal);
      } else if (arg.key == "read-only") {
        std::string opt;
        s = arg.Scan(j, &opt);
        if (opt == "safe") {
          cfg.read_only_option = ReadOnlyOption::kSafe;
        } else if (opt == "lease-based") {
          cfg.read_only_option = ReadOnlyOption::kLeaseBased;
        } else {
          return absl::InvalidArgumentError(
              absl::StrCat("invalid read-only option ", QuoteData(opt)));
        }
      }
      if (!s.ok()) {
        Fatal(s);
        return absl::OkStatus();
      }
    }
  }
  if (bootstrap && snap.metadata().index() <= 1) {
    return absl::InvalidArgumentError(
        "index must be specified as > 1 due to bootstrap");
  }
  if (bootstrap) snap.mutable_metadata()->set_term(1);

  for (size_t i = 0; i < *n; ++i) {
    auto node = std::make_unique<Node>();
    node->history.push_back(snap);
    node->storage = std::make_unique<HistoryStorage>(&node->history);
    if (bootstrap) {
      if (absl::Status s = node->storage->ApplySnapshot(snap); !s.ok()) {
        return s;
      }
      const uint64_t first = *node->storage->FirstIndex();
      if (first != snap.metadata().index() + 1) {
        return absl::InternalError(
            absl::StrFormat("failed to establish first index %d; got %d",
                            snap.metadata().index() + 1, first));
      }
    }
    node->config = cfg;
    node->config.id = nodes_.size() + 1;
    node->config.storage = node->storage.get();
    absl::StatusOr<std::unique_ptr<RawNode>> rn = RawNode::Create(node->config);
    if (!rn.ok()) {
      Fatal(rn.status());
      return absl::OkStatus();
    }
    node->node = *std::move(rn);
    nodes_.push_back(std::move(node));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Simple node commands

absl::Status InteractionEnv::Campaign(const TestData& d) {
  absl::StatusOr<size_t> idx = FirstNode(d);
  if (!idx.ok()) {
    Fatal(idx.status());
    return absl::OkStatus();
  }
  return nodes_[*idx]->node->Campaign();
}

absl::Status InteractionEnv::ForgetLeader(const TestData& d) {
  absl::StatusOr<size_t> idx = FirstNode(d);
  if (!idx.ok()) {
    Fatal(idx.status());
    return absl::OkStatus();
  }
  (void)nodes_[*idx]->node->ForgetLeader();
  return absl::OkStatus();
}

absl::Status InteractionEnv::Tick(const TestData& d, bool election) {
  absl::StatusOr<size_t> idx = FirstNode(d);
  if (!idx.ok()) {
    Fatal(idx.status());
    return absl::OkStatus();
  }
  Node& n = *nodes_[*idx];
  const int ticks = election ? n.config.election_tick : n.config.heartbeat_tick;
  for (int i = 0; i < ticks; ++i) n.node->Tick();
  return absl::OkStatus();
}

absl::Status InteractionEnv::LogLevelCommand(const TestData& d) {
  if (d.cmd_args.empty()) {
    Fatal(absl::InvalidArgumentError("log-level needs a level"));
    return absl::OkStatus();
  }
  return SetLevel(d.cmd_args[0].key);
}

absl::Status InteractionEnv::Propose(const TestData& d) {
  if (d.cmd_args.size() != 2 || !d.cmd_args[1].vals.empty()) {
    Fatal(absl::InvalidArgumentError("expected exactly two arguments"));
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> idx = FirstNode(d);
  if (!idx.ok()) {
    Fatal(idx.status());
    return absl::OkStatus();
  }
  return nodes_[*idx]->node->Propose(d.cmd_args[1].key);
}

absl::Status InteractionEnv::ProposeConfChange(const TestData& d) {
  absl::StatusOr<size_t> idx = FirstNode(d);
  if (!idx.ok()) {
    Fatal(idx.status());
    return absl::OkStatus();
  }
  bool v1 = false;
  raftpb::ConfChangeTransition transition = raftpb::ConfChangeTransitionAuto;
  for (size_t i = 1; i < d.cmd_args.size(); ++i) {
    const CmdArg& arg = d.cmd_args[i];
    if (arg.vals.empty()) continue;
    if (arg.key == "v1") {
      absl::StatusOr<bool> b = datadriven::ParseBool(arg.vals[0]);
      if (!b.ok()) return b.status();
      v1 = *b;
    } else if (arg.key == "transition") {
      const std::string& t = arg.vals[0];
      if (t == "auto") {
        transition = raftpb::ConfChangeTransitionAuto;
      } else if (t == "implicit") {
        transition = raftpb::ConfChangeTransitionJointImplicit;
      } else if (t == "explicit") {
        transition = raftpb::ConfChangeTransitionJointExplicit;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown transition ", t));
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown command ", arg.key));
    }
  }
  absl::StatusOr<std::vector<raftpb::ConfChangeSingle>> changes =
      confchange::ParseConfChanges(d.input);
  if (!changes.ok()) return changes.status();
  RawNode& rn = *nodes_[*idx]->node;
  if (v1) {
    if (changes->size() > 1 || transition != raftpb::ConfChangeTransitionAuto) {
      return absl::InvalidArgumentError(
          "v1 conf change can only have one operation and no transition");
    }
    if (changes->empty()) {
      Fatal(absl::InvalidArgumentError("v1 conf change needs one operation"));
      return absl::OkStatus();
    }
    raftpb::ConfChange cc;
    cc.set_type((*changes)[0].type());
    cc.set_node_id((*changes)[0].node_id());
    return rn.ProposeConfChange(cc);
  }
  raftpb::ConfChangeV2 cc;
  cc.set_transition(transition);
  for (const raftpb::ConfChangeSingle& c : *changes) *cc.add_changes() = c;
  return rn.ProposeConfChange(cc);
}

absl::Status InteractionEnv::ReportUnreachable(const TestData& d) {
  absl::StatusOr<std::vector<size_t>> idxs = NodeIdxs(d);
  if (!idxs.ok()) {
    Fatal(idxs.status());
    return absl::OkStatus();
  }
  if (idxs->size() != 2) {
    return absl::InvalidArgumentError(
        "must specify exactly two node indexes: node on which to report, and "
        "reported node");
  }
  nodes_[(*idxs)[0]]->node->ReportUnreachable((*idxs)[1] + 1);
  return absl::OkStatus();
}

absl::Status InteractionEnv::SetRandomizedElectionTimeout(const TestData& d) {
  absl::StatusOr<size_t> idx = FirstNode(d);
  if (!idx.ok()) {
    Fatal(idx.status());
    return absl::OkStatus();
  }
  int timeout = 0;
  if (absl::Status s = d.ScanArg("timeout", &timeout);
      !s.ok() || timeout == 0) {
    Fatal(s.ok() ? absl::InvalidArgumentError("timeout must be non-zero") : s);
    return absl::OkStatus();
  }
  testing::RawNodePeer::SetRandomizedElectionTimeout(*nodes_[*idx]->node,
                                                     timeout);
  return absl::OkStatus();
}

absl::Status InteractionEnv::TransferLeadership(const TestData& d) {
  uint64_t from = 0, to = 0;
  absl::Status s1 = d.ScanArg("from", &from);
  absl::Status s2 = d.ScanArg("to", &to);
  if (!s1.ok() || !s2.ok() || !NodeIdx(from).ok() || !NodeIdx(to).ok()) {
    Fatal(
        absl::InvalidArgumentError("transfer-leadership needs from= and to="));
    return absl::OkStatus();
  }
  nodes_[from - 1]->node->TransferLeader(to);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Introspection

absl::Status InteractionEnv::RaftLogOutput(size_t idx) {
  const MemoryStorage& s = *nodes_[idx]->storage;
  const uint64_t first = *s.FirstIndex();
  const uint64_t last = *s.LastIndex();
  if (last < first) {
    Write(absl::StrFormat("log is empty: first index=%d, last index=%d", first,
                          last));
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Entry>> ents =
      s.Entries(first, last + 1, kNoLimit);
  if (!ents.ok()) return ents.status();
  Write(DescribeEntries(*ents));
  return absl::OkStatus();
}

absl::Status InteractionEnv::RaftLog(const TestData& d) {
  absl::StatusOr<size_t> idx = FirstNode(d);
  if (!idx.ok()) {
    Fatal(idx.status());
    return absl::OkStatus();
  }
  return RaftLogOutput(*idx);
}

absl::Status InteractionEnv::Compact(const TestData& d) {
  absl::StatusOr<size_t> idx = FirstNode(d);
  if (!idx.ok() || d.cmd_args.size() < 2) {
    Fatal(idx.ok() ? absl::InvalidArgumentError("compact needs an index")
                   : idx.status());
    return absl::OkStatus();
  }
  absl::StatusOr<uint64_t> index = datadriven::ParseUint64(d.cmd_args[1].key);
  if (!index.ok()) return index.status();
  if (absl::Status s = nodes_[*idx]->storage->Compact(*index); !s.ok()) {
    // Compacting what is already compacted is an ordinary error; past the
    // end of the log it is a broken script (etcd's storage panics).
    if (IsCompacted(s)) return s;
    Fatal(s);
    return absl::OkStatus();
  }
  return RaftLogOutput(*idx);
}

absl::Status InteractionEnv::RaftState() {
  for (const std::unique_ptr<Node>& n : nodes_) {
    NodeStatus st = n->node->GetStatus();
    const bool voter = st.config.voters.Contains(st.basic.id);
    Write(absl::StrFormat("%d: %s (%s) Term:%d Lead:%d\n", st.basic.id,
                          StateTypeName(st.basic.soft_state.raft_state),
                          voter ? "Voter" : "Non-Voter",
                          st.basic.hard_state.term(),
                          st.basic.soft_state.lead));
  }
  return absl::OkStatus();
}

absl::Status InteractionEnv::Status(const TestData& d) {
  absl::StatusOr<size_t> idx = FirstNode(d);
  if (!idx.ok()) {
    Fatal(idx.status());
    return absl::OkStatus();
  }
  NodeStatus st = nodes_[*idx]->node->GetStatus();
  if (st.basic.soft_state.raft_state == StateType::kLeader) {
    Write(tracker::ProgressMapString(st.progress));
  }
  return absl::OkStatus();
}

absl::Status InteractionEnv::SendSnapshot(const TestData& d) {
  absl::StatusOr<std::vector<size_t>> idxs = NodeIdxs(d);
  if (!idxs.ok() || idxs->size() != 2) {
    Fatal(idxs.ok()
              ? absl::InvalidArgumentError("send-snapshot needs two nodes")
              : idxs.status());
    return absl::OkStatus();
  }
  const size_t from = (*idxs)[0];
  const size_t to = (*idxs)[1];
  Message m;
  m.set_type(raftpb::MsgSnap);
  m.set_from(from + 1);
  m.set_to(to + 1);
  m.set_term(nodes_[from]->node->GetBasicStatus().hard_state.term());
  if (absl::StatusOr<raftpb::Snapshot> snap = nodes_[from]->storage->Snapshot();
      snap.ok()) {
    *m.mutable_snapshot() = *std::move(snap);
  }
  Write(DescribeMessage(m));
  messages_.push_back(std::move(m));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Messages

void InteractionEnv::QueueMessages(size_t idx, std::vector<Message> msgs) {
  Node& n = *nodes_[idx];
  for (Message& m : msgs) {
    if (m.to() == kLocalAppendThread) {
      n.append_work.push_back(std::move(m));
    } else if (m.to() == kLocalApplyThread) {
      n.apply_work.push_back(std::move(m));
    } else {
      messages_.push_back(std::move(m));
    }
  }
}

absl::StatusOr<int> InteractionEnv::DeliverMsgs(uint64_t to,
                                                const raftpb::MessageType* type,
                                                bool drop) {
  std::vector<Message> taken;
  std::deque<Message> kept;
  for (Message& m : messages_) {
    const bool match = m.to() == to && (type == nullptr || m.type() == *type);
    if (match && !(drop && IsLocalMessage(m))) {
      taken.push_back(std::move(m));
    } else {
      kept.push_back(std::move(m));
    }
  }
  messages_ = std::move(kept);
  if (taken.empty()) return 0;
  if (drop) {
    for (const Message& m : taken) {
      Write(absl::StrCat("dropped: ", DescribeMessage(m), "\n"));
    }
    return static_cast<int>(taken.size());
  }
  absl::StatusOr<size_t> idx = NodeIdx(to);
  if (!idx.ok()) return idx.status();
  for (Message& m : taken) {
    Write(absl::StrCat(DescribeMessage(m), "\n"));
    if (absl::Status s = nodes_[*idx]->node->Step(std::move(m)); !s.ok()) {
      Write(absl::StrCat(s.message(), "\n"));
    }
  }
  return static_cast<int>(taken.size());
}

absl::Status InteractionEnv::DeliverMsgsCommand(const TestData& d) {
  raftpb::MessageType type;
  bool typed = false;
  struct Recipient {
    uint64_t id;
    bool drop;
  };
  std::vector<Recipient> rs;
  for (const CmdArg& arg : d.cmd_args) {
    if (arg.vals.empty()) {
      absl::StatusOr<uint64_t> id = datadriven::ParseUint64(arg.key);
      if (!id.ok()) {
        Fatal(id.status());
        return absl::OkStatus();
      }
      rs.push_back({*id, false});
    } else if (arg.key == "drop") {
      for (size_t i = 0; i < arg.vals.size(); ++i) {
        uint64_t id = 0;
        if (absl::Status s = arg.Scan(i, &id); !s.ok()) {
          Fatal(s);
          return absl::OkStatus();
        }
        for (const Recipient& r : rs) {
          if (r.id == id && !r.drop) {
            Fatal(absl::InvalidArgumentError(
                absl::StrFormat("can't both deliver and drop msgs to %d", id)));
            return absl::OkStatus();
          }
        }
        rs.push_back({id, true});
      }
    } else if (arg.key == "type") {
      absl::StatusOr<raftpb::MessageType> t = ParseMessageType(arg.vals[0]);
      if (!t.ok()) {
        Fatal(t.status());
        return absl::OkStatus();
      }
      type = *t;
      typed = true;
    }
  }
  int n = 0;
  for (const Recipient& r : rs) {
    absl::StatusOr<int> got =
        DeliverMsgs(r.id, typed ? &type : nullptr, r.drop);
    if (!got.ok()) {
      Fatal(got.status());
      return absl::OkStatus();
    }
    n += *got;
  }
  if (n == 0) Write("no messages\n");
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Ready handling and the storage threads

absl::Status InteractionEnv::Persist(size_t idx, const HardState& hs,
                                     const raftpb::Snapshot* snap,
                                     const std::vector<Entry>& ents) {
  MemoryStorage& s = *nodes_[idx]->storage;
  if (!IsEmptyHardState(hs)) {
    if (absl::Status st = s.SetHardState(hs); !st.ok()) return st;
  }
  if (snap != nullptr && !IsEmptySnapshot(*snap)) {
    if (!ents.empty()) {
      return absl::InvalidArgumentError(
          "can't apply snapshot and entries at the same time");
    }
    return s.ApplySnapshot(*snap);
  }
  return s.Append(ents);
}

absl::Status InteractionEnv::ApplyEntry(size_t idx, const Entry& e) {
  Node& n = *nodes_[idx];
  std::string update;
  std::optional<raftpb::ConfState> cs;
  if (e.type() == raftpb::EntryConfChange) {
    raftpb::ConfChange cc;
    if (!cc.ParseFromString(e.data().ToString())) {
      return absl::InvalidArgumentError("malformed ConfChange entry");
    }
    absl::StatusOr<raftpb::ConfState> got = n.node->ApplyConfChange(cc);
    if (!got.ok()) return got.status();
    cs = *std::move(got);
    update = cc.context();
  } else if (e.type() == raftpb::EntryConfChangeV2) {
    raftpb::ConfChangeV2 cc;
    if (!cc.ParseFromString(e.data().ToString())) {
      return absl::InvalidArgumentError("malformed ConfChangeV2 entry");
    }
    absl::StatusOr<raftpb::ConfState> got = n.node->ApplyConfChange(cc);
    if (!got.ok()) return got.status();
    cs = *std::move(got);
    update = cc.context();
  } else {
    update = e.data().ToString();
  }
  // An "appender" state machine: its state is every update so far.
  const raftpb::Snapshot& last = n.history.back();
  raftpb::Snapshot snap;
  snap.set_data(absl::StrCat(last.data(), update));
  snap.mutable_metadata()->set_index(e.index());
  snap.mutable_metadata()->set_term(e.term());
  *snap.mutable_metadata()->mutable_conf_state() =
      cs ? *cs : last.metadata().conf_state();
  n.history.push_back(std::move(snap));
  return absl::OkStatus();
}

absl::Status InteractionEnv::ProcessApply(size_t idx,
                                          absl::Span<const Entry> ents) {
  for (const Entry& e : ents) {
    if (absl::Status s = ApplyEntry(idx, e); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status InteractionEnv::ProcessReady(size_t idx) {
  Node& n = *nodes_[idx];
  Ready rd = n.node->GetReady();
  Write(DescribeReady(rd));
  if (!n.config.async_storage_writes) {
    if (absl::Status s = Persist(idx, rd.hard_state, &rd.snapshot, rd.entries);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ProcessApply(idx, rd.committed_entries); !s.ok()) {
      return s;
    }
  }
  QueueMessages(idx, std::move(rd.messages));
  if (!n.config.async_storage_writes) n.node->Advance();
  return absl::OkStatus();
}

absl::Status InteractionEnv::ProcessThread(
    std::deque<Message>& work, absl::string_view none,
    const std::function<absl::Status(const Message&)>& perform) {
  if (work.empty()) {
    Write(none);
    return absl::OkStatus();
  }
  Message m = std::move(work.front());
  work.pop_front();
  std::vector<Message> resps(
      std::make_move_iterator(m.mutable_responses()->begin()),
      std::make_move_iterator(m.mutable_responses()->end()));
  m.clear_responses();
  Write(absl::StrCat("Processing:\n", DescribeMessage(m), "\n"));
  if (absl::Status s = perform(m); !s.ok()) return s;
  Write("Responses:\n");
  for (const Message& r : resps) {
    Write(absl::StrCat(DescribeMessage(r), "\n"));
  }
  for (Message& r : resps) messages_.push_back(std::move(r));
  return absl::OkStatus();
}

absl::Status InteractionEnv::ProcessAppendThread(size_t idx) {
  return ProcessThread(
      nodes_[idx]->append_work, "no append work to perform",
      [&](const Message& m) {
        HardState hs;
        hs.set_term(m.term());
        hs.set_vote(m.vote());
        hs.set_commit(m.commit());
        std::vector<Entry> ents(m.entries().begin(), m.entries().end());
        return Persist(idx, hs, m.has_snapshot() ? &m.snapshot() : nullptr,
                       ents);
      });
}

absl::Status InteractionEnv::ProcessApplyThread(size_t idx) {
  return ProcessThread(
      nodes_[idx]->apply_work, "no apply work to perform",
      [&](const Message& m) { return ProcessApply(idx, m.entries()); });
}

absl::Status InteractionEnv::ForEachNode(
    const TestData& d, absl::string_view what,
    const std::function<absl::Status(size_t)>& step) {
  absl::StatusOr<std::vector<size_t>> idxs = NodeIdxs(d);
  if (!idxs.ok()) {
    Fatal(idxs.status());
    return absl::OkStatus();
  }
  for (size_t idx : *idxs) {
    absl::Status s;
    if (idxs->size() == 1) {
      s = step(idx);
    } else {
      Write(absl::StrFormat("> %d %s\n", idx + 1, what));
      s = WithIndent([&] { return step(idx); });
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status InteractionEnv::ProcessReadyCommand(const TestData& d) {
  return ForEachNode(d, "handling Ready",
                     [&](size_t idx) { return ProcessReady(idx); });
}

absl::Status InteractionEnv::ProcessAppendThreadCommand(const TestData& d) {
  return ForEachNode(d, "processing append thread",
                     [&](size_t idx) { return ProcessAppendThread(idx); });
}

absl::Status InteractionEnv::ProcessApplyThreadCommand(const TestData& d) {
  return ForEachNode(d, "processing apply thread",
                     [&](size_t idx) { return ProcessApplyThread(idx); });
}

// ---------------------------------------------------------------------------
// stabilize

absl::Status InteractionEnv::Stabilize(const TestData& d) {
  absl::StatusOr<std::vector<size_t>> idxs = NodeIdxs(d);
  if (!idxs.ok()) {
    Fatal(idxs.status());
    return absl::OkStatus();
  }
  if (idxs->empty()) {
    for (size_t i = 0; i < nodes_.size(); ++i) idxs->push_back(i);
  }
  const EnvLevel saved = level_;
  if (const CmdArg* arg = d.Arg("log-level"); arg != nullptr) {
    if (arg->vals.empty()) {
      Fatal(absl::InvalidArgumentError("log-level needs a value"));
      return absl::OkStatus();
    }
    if (absl::Status s = SetLevel(arg->vals[0]); !s.ok()) return s;
  }
  absl::Status result = [&]() -> absl::Status {
    for (;;) {
      bool done = true;
      for (size_t idx : *idxs) {
        if (!nodes_[idx]->node->HasReady()) continue;
        done = false;
        Write(absl::StrFormat("> %d handling Ready\n", idx + 1));
        if (absl::Status s = WithIndent([&] { return ProcessReady(idx); });
            !s.ok()) {
          return s;
        }
      }
      for (size_t idx : *idxs) {
        const uint64_t id = idx + 1;
        const bool any =
            std::any_of(messages_.begin(), messages_.end(),
                        [&](const Message& m) { return m.to() == id; });
        if (!any) continue;
        done = false;
        Write(absl::StrFormat("> %d receiving messages\n", id));
        absl::Status s = WithIndent([&]() -> absl::Status {
          return DeliverMsgs(id, nullptr, /*drop=*/false).status();
        });
        if (!s.ok()) return s;
      }
      for (size_t idx : *idxs) {
        if (nodes_[idx]->append_work.empty()) continue;
        done = false;
        Write(absl::StrFormat("> %d processing append thread\n", idx + 1));
        while (!nodes_[idx]->append_work.empty()) {
          if (absl::Status s =
                  WithIndent([&] { return ProcessAppendThread(idx); });
              !s.ok()) {
            return s;
          }
        }
      }
      for (size_t idx : *idxs) {
        if (nodes_[idx]->apply_work.empty()) continue;
        done = false;
        Write(absl::StrFormat("> %d processing apply thread\n", idx + 1));
        while (!nodes_[idx]->apply_work.empty()) {
          (void)WithIndent([&] { return ProcessApplyThread(idx); });
        }
      }
      if (done || !fatal_.ok()) return absl::OkStatus();
    }
  }();
  level_ = saved;
  return result;
}

}  // namespace craft::interaction
