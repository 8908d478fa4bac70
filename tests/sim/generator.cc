#include "sim/generator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "craft/describe.h"

namespace craft::sim {
namespace {

constexpr uint64_t kTick = 100;  // virtual time units per base tick

}  // namespace

ClusterOptions ClusterOptionsForSeed(uint64_t seed) {
  std::mt19937_64 r(seed * 0x9e3779b97f4a7c15ULL + 17);
  ClusterOptions o;
  o.seed = seed;
  o.nodes = 3 + static_cast<int>(r() % 5);
  o.voters = std::min(o.nodes, r() % 3 == 0 ? 5 : 3);
  o.pre_vote = r() % 2 == 0;
  o.check_quorum = r() % 2 == 0;
  o.async_writes = r() % 3 == 0;
  o.lease_reads = o.check_quorum && r() % 2 == 0;
  o.step_down_on_removal = r() % 2 == 0;
  // One entry per message gives the most interleavings; larger batches are
  // what applications run with.
  static constexpr uint64_t kSizes[] = {0, 0, 256, 1 << 20};
  o.max_size_per_msg = kSizes[r() % 4];
  static constexpr int kInflight[] = {1, 4, 8, 256};
  o.max_inflight_msgs = kInflight[r() % 4];
  return o;
}

Generator::Generator(uint64_t seed, const ClusterOptions& opts, uint64_t ticks)
    : rng_(seed * 0xbf58476d1ce4e5b9ULL + 1),
      opts_(opts),
      chaos_end_(ticks * kTick) {
  // Clock skew: each node's tick takes 100 +- up to 15 time units; with
  // lease-based reads, which assume tick rates within about 12% of true
  // time (see src/raft/lease.h), +- up to 10.
  const uint64_t skew = opts_.lease_reads ? 10 : 15;
  for (uint64_t id = 1; id <= static_cast<uint64_t>(opts_.nodes); ++id) {
    tick_period_[id] = kTick - skew + Rand(2 * skew + 1);
    At(Rand(kTick), {Action::kTick, id, {}});
  }
  static constexpr double kDrop[] = {0, 0.02, 0.05, 0.15};
  drop_ = kDrop[Rand(4)];
  duplicate_ = Rand(2) == 0 ? 0 : 0.03;
  slow_ = Rand(2) == 0 ? 0.02 : 0.1;
  fault_rate_ = 0.5 + static_cast<double>(Rand(4)) * 0.5;
  static constexpr double kYoungLeaderCrash[] = {0.01, 0.05, 0.2};
  young_leader_crash_ = kYoungLeaderCrash[Rand(3)];
  restart_ = Rand(2) == 0 ? 0.05 : 0.3;
  figure8_ = Rand(2) == 0 ? 0 : 0.01;
  clients_ = 3 + static_cast<int>(Rand(6));
  keys_ = 1 + static_cast<int>(Rand(4));
  At(kTick / 2, {Action::kClients, 0, {}});
  At(kTick, {Action::kFaults, 0, {}});
}

void Generator::At(uint64_t time, Scheduled s) {
  queue_.emplace(std::make_pair(time, order_++), s);
}

Event Generator::Make(EventType t, uint64_t node) {
  Event e;
  e.time = now_;
  e.type = t;
  e.node = node;
  return e;
}

uint64_t Generator::RandomNode(const World& w) {
  return 1 + Rand(w.ids().size());
}

void Generator::ScheduleMessages(World& w) {
  for (const World::LinkKey& key : w.TakeNewMessages()) {
    // Latency of a fraction of a tick, sometimes much more (reordering).
    uint64_t delay = 5 + Rand(60);
    if (!stable_ && Chance(slow_)) delay += Rand(8 * kTick);
    At(now_ + delay, {Action::kArrive, 0, key});
  }
}

void Generator::ScheduleDisks(World& w) {
  if (!opts_.async_writes) return;
  for (uint64_t id : w.ids()) {
    if (!w.alive(id) || w.stalled(id)) continue;
    if (w.append_queue(id) > 0 && disk_write_pending_.insert(id).second) {
      At(now_ + 1 + Rand(stable_ ? 20 : 80), {Action::kDiskWrite, id, {}});
    }
    if (w.apply_queue(id) > 0 && disk_apply_pending_.insert(id).second) {
      At(now_ + 1 + Rand(stable_ ? 20 : 80), {Action::kDiskApply, id, {}});
    }
  }
}

std::optional<Event> Generator::Next(World& w) {
  ScheduleMessages(w);
  ScheduleDisks(w);
  if (!burst_.empty()) {
    Event e = std::move(burst_.front());
    burst_.pop_front();
    e.time = now_;
    return e;
  }
  if (stable_ &&
      (w.liveness_met() || now_ > stable_at_ + opts_.liveness_ticks * kTick)) {
    return std::nullopt;
  }
  if (!stable_ && now_ >= chaos_end_) {
    if (fig8_.step != 0 || isolated_leader_ != 0) {
      burst_.push_back(Make(EventType::kHeal));
      fig8_.step = 0;
      isolated_leader_ = 0;
    }
    LivenessPhase(w);
    return Next(w);
  }
  // A schedule in progress watches every step of the cluster: its moments
  // (a leader elected, an index committed) pass quickly.
  if (fig8_.step != 0 && Figure8(w)) return Next(w);
  while (!queue_.empty()) {
    auto it = queue_.begin();
    now_ = std::max(now_, it->first.first);
    const Scheduled s = it->second;
    queue_.erase(it);
    switch (s.action) {
      case Action::kTick: {
        At(now_ + tick_period_[s.node], s);
        Event e = Make(EventType::kTick, s.node);
        return e;
      }
      case Action::kArrive: {
        if (!w.in_flight().contains(s.link)) continue;
        Event e = Make(EventType::kDeliver, std::get<0>(s.link));
        e.to = std::get<1>(s.link);
        e.n = std::get<2>(s.link);
        if (!stable_ && Chance(drop_)) {
          e.type = EventType::kDrop;
        } else if (!stable_ && Chance(duplicate_)) {
          // The copy arrives now; the original later.
          e.type = EventType::kDuplicate;
          At(now_ + Rand(4 * kTick), s);
        }
        return e;
      }
      case Action::kDiskWrite:
      case Action::kDiskApply: {
        const bool write = s.action == Action::kDiskWrite;
        (write ? disk_write_pending_ : disk_apply_pending_).erase(s.node);
        Event e =
            Make(write ? EventType::kDiskWrite : EventType::kDiskApply, s.node);
        // Mostly a whole batch; sometimes one write at a time.
        if (Chance(0.3)) e.n = 1;
        return e;
      }
      case Action::kClients:
        At(now_ + kTick / 2, s);
        Clients(w);
        break;
      case Action::kFaults:
        At(now_ + kTick, s);
        if (!stable_) {
          Faults(w);
        } else {
          Recover(w);
        }
        break;
    }
    if (!burst_.empty()) return Next(w);
  }
  return std::nullopt;
}

void Generator::Clients(World& w) {
  const uint64_t leader = w.leader();
  const std::vector<uint64_t> leaders = w.leaders();
  // While a leader is cut off, clients press harder: the moments after the
  // others elect a new leader, while the old one may still answer, are few.
  const double rate = isolated_leader_ != 0 ? 0.5 : 0.15;
  for (int c = 1; c <= clients_; ++c) {
    if (w.client_busy(c) || !Chance(rate)) continue;
    // Most requests go to a node that believes it leads (a client may not
    // have noticed that its leader was deposed, and a deposed leader may
    // not have noticed either); the rest to any node, which forwards them
    // (or not).
    uint64_t node = RandomNode(w);
    if (Chance(0.6) && !leaders.empty()) {
      node =
          Chance(0.5) && leader != 0 ? leader : leaders[Rand(leaders.size())];
    }
    if (stable_ && leader != 0) node = leader;
    const uint64_t kind = Rand(10);
    // While a deposed leader still believes it leads, some clients keep
    // reading from it, as clients that have not noticed would: the reads a
    // careless leader answers stale.
    if (!stable_ && kind < 4 && leaders.size() > 1 && Chance(0.5)) {
      for (uint64_t l : leaders) {
        if (l != leader) node = l;
      }
    }
    Event e = Make(EventType::kPut, node);
    e.n = c;
    // ... and on one key, so that a read there can miss a write.
    e.key = absl::StrCat("k", isolated_leader_ != 0 ? 0 : Rand(keys_));
    if (kind < 4) {
      e.type = EventType::kGet;
    } else if (kind < 7) {
      e.value = absl::StrCat("v", ++value_);
    } else if (kind < 8) {
      e.type = EventType::kDelete;
    } else {
      e.type = EventType::kCas;
      e.value = absl::StrCat("v", ++value_);
      // Expect a recent value: sometimes right.
      e.text = absl::StrCat("v", value_ > 3 ? value_ - 1 - Rand(3) : 1);
    }
    if (stable_ && e.type == EventType::kGet) e.type = EventType::kPut;
    if (stable_ && e.value.empty()) e.value = absl::StrCat("v", ++value_);
    burst_.push_back(std::move(e));
  }
}

void Generator::Crash(World& w, uint64_t id) {
  Event e = Make(EventType::kCrash, id);
  const SimDisk& d = w.disk(id);
  // Any prefix of the unsynced writes survives, the last possibly torn.
  e.n = Rand(d.volatile_writes() + 1);
  if (e.n > 0) e.arg = Rand(d.volatile_entries(e.n - 1) + 1);
  burst_.push_back(std::move(e));
}

void Generator::Faults(World& w) {
  // A schedule in progress plays alone.
  if (Figure8(w) || fig8_.step != 0) return;
  if (isolated_leader_ != 0) {
    if (now_ < isolated_since_ + 40 * kTick) return;
    burst_.push_back(Make(EventType::kHeal));
    isolated_leader_ = 0;
  }
  const double f = fault_rate_;
  const uint64_t leader = w.leader();
  const std::vector<uint64_t> ids = w.ids();
  auto p = [&](double base) { return Chance(base * f); };

  if (p(0.004)) {
    const uint64_t id = RandomNode(w);
    if (w.alive(id)) Crash(w, id);
  }
  for (uint64_t id : ids) {
    if (!w.alive(id) && Chance(restart_)) {
      burst_.push_back(Make(EventType::kRestart, id));
    }
  }
  if (p(0.006)) {
    // A random split into two sides (sometimes leaving a node alone).
    std::vector<uint64_t> a;
    std::vector<uint64_t> b;
    for (uint64_t id : ids) (Rand(2) == 0 ? a : b).push_back(id);
    Event e = Make(EventType::kPartition);
    e.text = absl::StrCat(absl::StrJoin(a, ","), "|", absl::StrJoin(b, ","));
    burst_.push_back(std::move(e));
  }
  if (p(0.003)) {
    Event e = Make(EventType::kCut, RandomNode(w));
    e.to = RandomNode(w);
    if (e.to != e.node) burst_.push_back(std::move(e));
  }
  if (Chance(0.02)) burst_.push_back(Make(EventType::kHeal));
  if (p(0.003)) burst_.push_back(Make(EventType::kStall, RandomNode(w)));
  for (uint64_t id : ids) {
    if (w.stalled(id) && Chance(0.05)) {
      burst_.push_back(Make(EventType::kUnstall, id));
    }
  }
  if (p(0.02)) {
    Event e = Make(EventType::kCompact, RandomNode(w));
    e.n = Rand(3) == 0 ? Rand(20) : 0;
    burst_.push_back(std::move(e));
  }
  if (leader != 0 && p(0.004)) PartialReplicationCrash(w, leader);
  if (leader != 0 && p(opts_.lease_reads ? 0.012 : 0.006)) {
    // Cut the leader off from everyone (Jepsen's partition-leader), and
    // hold the partition while the others elect a new leader and it
    // commits: the deposed leader may not know yet, and clients may still
    // read from it.
    std::vector<uint64_t> rest;
    for (uint64_t id : ids) {
      if (id != leader) rest.push_back(id);
    }
    Split({{leader}, rest});
    isolated_leader_ = leader;
    isolated_since_ = now_;
  }
  // A new leader dies young: before the entry of its own term reaches a
  // majority, while entries of earlier terms it replicates may already
  // count as committed to a careless commit rule (Raft's Figure 8). Each
  // leader is new for its first ticks.
  for (uint64_t l : w.leaders()) {
    const uint64_t term = w.term(l);
    auto [it, fresh] = leader_since_.emplace(std::make_pair(term, l), now_);
    if (now_ - it->second <= 3 * kTick && Chance(young_leader_crash_)) {
      Crash(w, l);
    }
  }
  if (leader != 0 && p(0.01)) ConfChange(w, leader);
  if (leader != 0 && p(0.004)) {
    Event e = Make(EventType::kTransfer, Rand(2) == 0 ? leader : RandomNode(w));
    e.to = RandomNode(w);
    burst_.push_back(std::move(e));
  }
  if (p(0.003)) burst_.push_back(Make(EventType::kForgetLeader, RandomNode(w)));
  if (p(0.01)) {
    Event e = Make(EventType::kHostile, RandomNode(w));
    e.to = RandomNode(w);
    e.n = Rand(1000);
    e.arg = Rand(kHostileKinds);
    burst_.push_back(std::move(e));
  }
  if (p(0.01)) {
    // A buggy transport replays an old message.
    const uint64_t from = RandomNode(w);
    const uint64_t to = RandomNode(w);
    if (from != to && w.delivered(from, to) > 0) {
      Event e = Make(EventType::kReplay, from);
      e.to = to;
      e.n = Rand(w.delivered(from, to));
      burst_.push_back(std::move(e));
    }
  }
}

void Generator::PartialReplicationCrash(World& w, uint64_t leader) {
  // The schedule behind Raft's Figure 8: the leader's newest appends reach
  // one follower only, and the leader dies before it can finish.
  bool reached_one = false;
  for (const auto& [key, f] : w.in_flight()) {
    if (std::get<0>(key) != leader || f.msg.type() != raftpb::MsgApp ||
        f.msg.entries_size() == 0) {
      continue;
    }
    Event e =
        Make(reached_one ? EventType::kDrop : EventType::kDeliver, leader);
    e.to = std::get<1>(key);
    e.n = std::get<2>(key);
    reached_one |= e.type == EventType::kDeliver && e.to == std::get<1>(key);
    burst_.push_back(std::move(e));
  }
  if (reached_one) Crash(w, leader);
}

void Generator::Split(std::vector<std::vector<uint64_t>> sides) {
  Event e = Make(EventType::kPartition);
  for (const std::vector<uint64_t>& side : sides) {
    if (!e.text.empty()) e.text.push_back('|');
    absl::StrAppend(&e.text, absl::StrJoin(side, ","));
  }
  burst_.push_back(std::move(e));
}

// Raft's Figure 8, played with partitions on five voters: the schedule
// under which a leader that commits an entry of an earlier term by counting
// its replicas loses a committed entry.
//   1. The leader L (term a) appends an entry at index i that reaches only
//      one follower F.
//   2. The other three elect a leader R (term b > a) among them, which
//      appends its own entry at i and is cut off at once.
//   3. L or F (their logs end with a/i) is elected again (term c > b) with
//      the two that R left behind, and replicates a/i to a majority; as
//      soon as it reports i committed, it is cut off too.
//   4. R, whose last entry b/i is newer than a/i, can be elected by the
//      others, and overwrites index i. A correct leader reports i committed
//      only once an entry of term c follows it on a majority, which then
//      refuse R: nothing is lost. (The checker sees the loss as a new
//      leader without a committed entry.)
// Each step that does not come about within 60 ticks heals and gives up.
bool Generator::Figure8(World& w) {
  Figure8State& f = fig8_;
  auto others = [&](std::initializer_list<uint64_t> except) {
    std::vector<uint64_t> out;
    for (uint64_t id : f.voters) {
      if (std::find(except.begin(), except.end(), id) == except.end()) {
        out.push_back(id);
      }
    }
    return out;
  };
  auto next = [&](int step) {
    f.step = step;
    f.since = now_;
  };
  if (f.step != 0 && now_ > f.since + 60 * kTick) {
    burst_.push_back(Make(EventType::kHeal));
    f.step = 0;
    return true;
  }
  switch (f.step) {
    case 0: {
      const uint64_t l = w.leader();
      const raftpb::ConfState cs = w.config();
      if (l == 0 || cs.voters_size() != 5 || cs.voters_outgoing_size() != 0 ||
          !Chance(figure8_)) {
        return false;
      }
      f.voters.assign(cs.voters().begin(), cs.voters().end());
      for (uint64_t id : f.voters) {
        if (!w.alive(id)) return false;
      }
      f.old_leader = l;
      std::vector<uint64_t> rest = others({l});
      f.follower = rest[Rand(rest.size())];
      f.index = w.last_index(l) + 1;
      Split({{f.old_leader, f.follower}, others({f.old_leader, f.follower})});
      Event put = Make(EventType::kPut, l);
      put.n = 1 + Rand(clients_);
      put.key = "k0";
      put.value = absl::StrCat("v", ++value_);
      burst_.push_back(std::move(put));
      next(1);
      return true;
    }
    case 1:
      // Wait for the entry to reach F, then cut both off.
      if (w.last_index(f.follower) < f.index) return false;
      Split({{f.old_leader}, {f.follower}, others({f.old_leader, f.follower})});
      next(2);
      return true;
    case 2:
      for (uint64_t id : others({f.old_leader, f.follower})) {
        if (w.leaders().empty()) break;
        for (uint64_t l : w.leaders()) {
          if (l != id || w.last_index(l) < f.index) continue;
          f.rival = l;
          Split({{f.rival}, others({f.rival})});
          next(3);
          return true;
        }
      }
      return false;
    case 3:
      for (uint64_t l : w.leaders()) {
        if (l != f.old_leader && l != f.follower) continue;
        if (w.term(l) <= w.term(f.rival) || w.commit(l) < f.index) continue;
        f.winner = l;
        Split({{f.winner}, others({f.winner})});
        next(4);
        return true;
      }
      return false;
    case 4:
      // The rival may now win; either way, heal once it had its chance.
      if (now_ < f.since + 40 * kTick) return false;
      burst_.push_back(Make(EventType::kHeal));
      f.step = 0;
      return true;
  }
  return false;
}

void Generator::ConfChange(World& w, uint64_t leader) {
  const raftpb::ConfState cs = w.config();
  const std::vector<uint64_t> ids = w.ids();
  // Like etcd's strict reconfiguration check, the operator changes the
  // membership only while every live member has caught up with the current
  // configuration. (Stacking changes while members lag far behind leaves
  // them in configurations so old that they campaign among nodes that no
  // longer count, and can stall the cluster for good, in etcd-io/raft and
  // craft alike.)
  for (uint64_t id : ids) {
    const bool member = std::find(cs.voters().begin(), cs.voters().end(), id) !=
                            cs.voters().end() ||
                        std::find(cs.learners().begin(), cs.learners().end(),
                                  id) != cs.learners().end();
    if (member && w.alive(id) &&
        w.config(id).SerializeAsString() != cs.SerializeAsString()) {
      return;
    }
  }
  Event e = Make(EventType::kConfChange, leader);
  if (cs.voters_outgoing_size() > 0) {
    // In a joint configuration: leave it (explicitly entered ones need it).
    if (Rand(2) == 0) burst_.push_back(Make(EventType::kLeaveJoint, leader));
    return;
  }
  auto is = [](const auto& list, uint64_t id) {
    return std::find(list.begin(), list.end(), id) != list.end();
  };
  auto one = [&]() -> std::string {
    const uint64_t id = ids[Rand(ids.size())];
    if (is(cs.voters(), id)) {
      // Remove or demote a voter, keeping at least two.
      if (cs.voters_size() <= 2) return absl::StrCat("v", id);
      return absl::StrCat(Rand(3) == 0 ? "l" : "r", id);
    }
    if (is(cs.learners(), id)) {
      return absl::StrCat(Rand(3) == 0 ? "r" : "v", id);  // promote mostly
    }
    return absl::StrCat(Rand(3) == 0 ? "l" : "v", id);
  };
  const uint64_t kind = Rand(6);
  e.text = one();
  if (kind >= 4) {
    std::string second = one();
    if (second.substr(1) != e.text.substr(1)) {
      e.text = absl::StrCat(e.text, " ", second);
    }
  }
  // 0: auto, 1: joint implicit, 2: joint explicit, 3: the legacy ConfChange.
  e.arg = Rand(4);
  burst_.push_back(std::move(e));
}

void Generator::LivenessPhase(World& w) {
  stable_ = true;
  stable_at_ = now_;
  burst_.push_back(Make(EventType::kStable));
  burst_.push_back(Make(EventType::kHeal));
  for (uint64_t id : w.ids()) {
    if (w.stalled(id)) burst_.push_back(Make(EventType::kUnstall, id));
  }
  Recover(w);
}

void Generator::Recover(World& w) {
  // What operators and applications do once things calm down: members
  // come back; processes removed from the configuration are shut down (a
  // removed leader that does not step down would otherwise hold on to its
  // leadership, refusing proposals); an explicitly entered joint
  // configuration is left; snapshots are taken now and then (a member that
  // joined after the last one needs a newer one to catch up).
  const raftpb::ConfState cs = w.config();
  auto member = [](const raftpb::ConfState& c, uint64_t id) {
    for (const auto* list :
         {&c.voters(), &c.learners(), &c.voters_outgoing()}) {
      if (std::find(list->begin(), list->end(), id) != list->end()) return true;
    }
    return false;
  };
  // A removed process goes only once no member's own configuration still
  // counts on it (a member that has not applied the removal yet may need
  // its vote).
  std::set<uint64_t> needed;
  for (uint64_t id : w.ids()) {
    if (!member(cs, id)) continue;
    for (uint64_t other : w.ids()) {
      if (member(w.config(id), other)) needed.insert(other);
    }
  }
  for (uint64_t id : w.ids()) {
    if (!w.alive(id) && member(cs, id)) {
      burst_.push_back(Make(EventType::kRestart, id));
    } else if (w.alive(id) && !member(cs, id) && !needed.contains(id)) {
      Event e = Make(EventType::kCrash, id);
      e.n = w.disk(id).volatile_writes();  // a clean shutdown
      burst_.push_back(std::move(e));
    }
  }
  const uint64_t l = w.leader();
  if (l == 0) return;
  if (cs.voters_outgoing_size() > 0 && Chance(0.2)) {
    burst_.push_back(Make(EventType::kLeaveJoint, l));
  }
  if (Chance(0.05)) burst_.push_back(Make(EventType::kCompact, l));
}

}  // namespace craft::sim
