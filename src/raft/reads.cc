// ReadIndex reads (Raft thesis 6.4): confirming leadership, answering
// local and forwarded requests.

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "craft/confchange/confchange.h"
#include "craft/confchange/conversions.h"
#include "craft/errors.h"
#include "gofmt/gofmt.h"
#include "logger/log.h"
#include "raft/messages.h"
#include "raft/raft.h"

namespace craft {

Raft::Rare& Raft::MutableRare() {
  // A lease lasts 3/4 of the election timeout (see LeaderLease).
  if (rare_ == nullptr) {
    rare_ = std::make_unique<Rare>(
        std::max<int>(1, int64_t{settings_->election_timeout} * 3 / 4));
  }
  return *rare_;
}

void Raft::AddReadState(ReadState rs) {
  std::vector<ReadState>& states = MutableRare().states;
  BufferCache<ReadState>::Reserve(states);
  states.push_back(std::move(rs));
}

bool Raft::CommittedEntryInCurrentTerm() const {
  return log_.TermOrZero(log_.committed()) == term_;
}

void Raft::RespondToReadIndex(Message req, uint64_t read_index) {
  if (req.from() == kNone || req.from() == id_) {
    AddReadState(ReadState{read_index, req.entries(0).data().ToString()});
    return;
  }
  Message resp = NewMessage(raftpb::MsgReadIndexResp, req.from());
  resp.set_index(read_index);
  *resp.mutable_entries() = std::move(*req.mutable_entries());
  Send(std::move(resp));
}

void Raft::SendReadIndexResponse(Message m) {
  if (trk_.IsSingleton() && trk_.config().voters.Contains(id_)) {
    // The only voter needs no confirmation. (A leader removed from the
    // configuration is not that voter: the remaining one may have elected
    // itself and moved on, so it must confirm like anyone.)
    RespondToReadIndex(std::move(m), log_.committed());
    return;
  }
  // A leader under a valid lease knows no other leader can have been
  // elected: it answers at once. Otherwise, and always with safe reads, it
  // confirms its leadership with a heartbeat round that starts after the
  // request arrived.
  if (lease_based_reads() && lease()->Valid(trk_.config().voters, id_)) {
    RespondToReadIndex(std::move(m), log_.committed());
    return;
  }
  Rare& reads = MutableRare();
  const uint64_t seq = ++reads.seq;
  reads.read_only.AddRequest(seq, log_.committed(), std::move(m));
  BcastReadHeartbeat(seq);
}

void Raft::ReleasePendingReadIndexMessages() {
  if (rare_ == nullptr || rare_->held.empty()) return;
  if (!CommittedEntryInCurrentTerm()) {
    CRAFT_ERRORF(
        log_.logger(),
        "pending MsgReadIndex should be released only after first commit in "
        "current term");
    return;
  }
  std::vector<Message> msgs = std::move(rare_->held);
  rare_->held.clear();
  for (Message& m : msgs) SendReadIndexResponse(std::move(m));
}

}  // namespace craft
