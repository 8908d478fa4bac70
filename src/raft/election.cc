// Elections (Raft thesis 3.4, 9.6): campaigns, pre-votes, casting and
// counting votes.

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

absl::Status Raft::Hup(CampaignType t) {
  if (state_ == StateType::kLeader) {
    CRAFT_DEBUGF(log_.logger(), "%x ignoring MsgHup because already leader",
                 id_);
    return absl::OkStatus();
  }
  if (!Promotable()) {
    CRAFT_WARNINGF(log_.logger(), "%x is unpromotable and can not campaign",
                   id_);
    return absl::OkStatus();
  }
  // A campaign asks for the next term, and a leader appends an entry: both
  // must stay in range.
  if (term_ >= kMaxTerm || log_.LastIndex() >= kMaxIndex) {
    CRAFT_ERRORF(
        log_.logger(),
        "%x cannot campaign at term %d with last index %d: out of range", id_,
        term_, log_.LastIndex());
    return absl::OutOfRangeError(absl::StrFormat(
        "cannot campaign past term %d or index %d", kMaxTerm, kMaxIndex));
  }
  if (HasUnappliedConfChanges()) {
    CRAFT_WARNINGF(
        log_.logger(),
        "%x cannot campaign at term %d since there are still pending "
        "configuration changes to apply",
        id_, term_);
    return absl::OkStatus();
  }
  CRAFT_INFOF(log_.logger(), "%x is starting a new election at term %d", id_,
              term_);
  Campaign(t);
  return absl::OkStatus();
}

bool Raft::HasUnappliedConfChanges() const {
  if (log_.applied() >= log_.committed()) return false;
  bool found = false;
  // Scan in pages bounded like the entries handed out for application.
  absl::Status s = log_.Scan(log_.applied() + 1, log_.committed() + 1, kNoLimit,
                             [&](absl::Span<const Entry> ents) {
                               for (const Entry& e : ents) {
                                 if (e.type() == raftpb::EntryConfChange ||
                                     e.type() == raftpb::EntryConfChangeV2) {
                                   found = true;
                                   return absl::CancelledError();
                                 }
                               }
                               return absl::OkStatus();
                             });
  if (!s.ok() && !found) {
    CRAFT_ERRORF(log_.logger(), "error scanning unapplied entries [%d, %d): %s",
                 log_.applied() + 1, log_.committed() + 1, s.message());
    // Without knowing, assume a change is pending: not campaigning is safe.
    return true;
  }
  return found;
}

void Raft::Campaign(CampaignType t) {
  if (!Promotable()) {
    CRAFT_WARNINGF(log_.logger(),
                   "%x is unpromotable; campaign() should have been called",
                   id_);
  }
  uint64_t term;
  raftpb::MessageType vote_msg;
  if (t == CampaignType::kPreElection) {
    BecomePreCandidate();
    vote_msg = raftpb::MsgPreVote;
    // Pre-votes ask for the next term without entering it.
    term = term_ + 1;
  } else {
    BecomeCandidate();
    vote_msg = raftpb::MsgVote;
    term = term_;
  }
  const EntryId last = log_.LastEntryId();
  for (uint64_t id : trk_.config().voters.Ids()) {
    if (id == id_) {
      // The candidate votes for itself once its vote is durable, through
      // the same path as any other vote.
      Message self = NewMessage(VoteRespMsgType(vote_msg), id);
      self.set_term(term);
      Send(std::move(self));
      continue;
    }
    CRAFT_INFOF(log_.logger(),
                "%x [logterm: %d, index: %d] sent %s request to %x at term %d",
                id_, last.term, last.index, MessageTypeName(vote_msg), id,
                term_);
    Message m = NewMessage(vote_msg, id);
    m.set_term(term);
    m.set_index(last.index);
    m.set_log_term(last.term);
    if (t == CampaignType::kTransfer) {
      m.set_context(kCampaignTransfer);
    }
    Send(std::move(m));
  }
}

quorum::VoteResult Raft::Poll(uint64_t id, raftpb::MessageType t,
                              bool granted) {
  if (granted) {
    CRAFT_INFOF(log_.logger(), "%x received %s from %x at term %d", id_,
                MessageTypeName(t), id, term_);
  } else {
    CRAFT_INFOF(log_.logger(), "%x received %s rejection from %x at term %d",
                id_, MessageTypeName(t), id, term_);
  }
  trk_.RecordVote(id, granted);
  tracker::VoteTally tally = trk_.TallyVotes();
  CRAFT_INFOF(log_.logger(),
              "%x has received %d %s votes and %d vote rejections", id_,
              tally.granted, MessageTypeName(t), tally.rejected);
  return tally.result;
}

absl::Status Raft::StepVote(const Message& m) {
  // We can vote for a repeat of our vote, when we have not voted and know
  // of no leader in this term, or for a pre-vote about a future term...
  const bool can_vote = vote_ == m.from() ||
                        (vote_ == kNone && lead_ == kNone) ||
                        (m.type() == raftpb::MsgPreVote && m.term() > term_);
  // ...if the candidate's log is at least as up-to-date as ours (§5.4.1).
  const EntryId last = log_.LastEntryId();
  const EntryId cand{m.log_term(), m.index()};
  if (can_vote && log_.IsUpToDate(cand)) {
    // Learners vote too: a learner may have been promoted by a change it has
    // not yet seen, and the candidate asking knows better.
    CRAFT_INFOF(
        log_.logger(),
        "%x [logterm: %d, index: %d, vote: %x] cast %s for %x [logterm: %d, "
        "index: %d] at term %d",
        id_, last.term, last.index, vote_, MessageTypeName(m.type()), m.from(),
        cand.term, cand.index, term_);
    // The response carries the message's term, not ours: for pre-votes ours
    // may be older, and the candidate would ignore a stale response.
    Message resp = NewMessage(VoteRespMsgType(m.type()), m.from());
    resp.set_term(m.term());
    Send(std::move(resp));
    if (m.type() == raftpb::MsgVote) {
      election_elapsed_ = 0;
      if (vote_ != m.from()) term_or_vote_changed_ = true;
      vote_ = m.from();
    }
  } else {
    CRAFT_INFOF(
        log_.logger(),
        "%x [logterm: %d, index: %d, vote: %x] rejected %s from %x [logterm: "
        "%d, index: %d] at term %d",
        id_, last.term, last.index, vote_, MessageTypeName(m.type()), m.from(),
        cand.term, cand.index, term_);
    Send(VoteRejection(m));
  }
  return absl::OkStatus();
}

Message Raft::VoteRejection(const Message& req) const {
  Message resp = NewMessage(VoteRespMsgType(req.type()), req.from());
  resp.set_term(term_);
  resp.set_reject(true);
  if (!Promotable() && log_.committed() > 0) {
    // This node cannot lead, and knows the configuration that left it so is
    // committed: a candidate asking for its vote may be a voter of that
    // configuration that has not learned the commit yet, still counting on
    // this node's vote (which its longer log makes it refuse), with no
    // leader left to tell it. Tell it what is committed, by index and term:
    // if it holds that entry, it holds everything up to it and may commit
    // as much. (The simulator found clusters stuck for good this way, after
    // a leader stepped down on its removal.)
    resp.set_commit(log_.committed());
    resp.set_index(log_.committed());
    resp.set_log_term(log_.TermOrZero(log_.committed()));
  }
  return resp;
}

absl::Status Raft::StepCandidate(Message& m) {
  // While a candidate, stale pre-vote responses of this term may arrive;
  // only responses to the current campaign count.
  const raftpb::MessageType my_resp = state_ == StateType::kPreCandidate
                                          ? raftpb::MsgPreVoteResp
                                          : raftpb::MsgVoteResp;
  switch (m.type()) {
    case raftpb::MsgProp:
      CRAFT_INFOF(log_.logger(), "%x no leader at term %d; dropping proposal",
                  id_, term_);
      return ProposalDroppedError();
    case raftpb::MsgApp:
      // Step only lets a leader's message of our own term get here (a
      // higher term made us a follower already): that node won this term.
      BecomeFollower(m.term(), m.from());
      HandleAppendEntries(m);
      return absl::OkStatus();
    case raftpb::MsgHeartbeat:
      BecomeFollower(m.term(), m.from());
      HandleHeartbeat(m);
      return absl::OkStatus();
    case raftpb::MsgSnap:
      BecomeFollower(m.term(), m.from());
      HandleSnapshot(m);
      return absl::OkStatus();
    case raftpb::MsgTimeoutNow:
      CRAFT_DEBUGF(log_.logger(),
                   "%x [term %d state %s] ignored MsgTimeoutNow from %x", id_,
                   term_, StateTypeName(state_), m.from());
      return absl::OkStatus();
    default:
      break;
  }
  if (m.type() == my_resp) {
    switch (Poll(m.from(), m.type(), !m.reject())) {
      case quorum::kVoteWon:
        if (state_ == StateType::kPreCandidate) {
          Campaign(CampaignType::kElection);
        } else if (!trk_.votes().contains(id_)) {
          // The others elected us, but our own vote (and with it the term)
          // is not durable yet: its response arrives once it is (with
          // asynchronous storage writes, possibly after theirs). A leader
          // that crashed before that could come back in the old term, win
          // this term a second time and append different entries at the
          // same index and term: log matching broken, as the simulator
          // found. Leading waits for our own vote.
          CRAFT_DEBUGF(
              log_.logger(),
              "%x has a quorum of votes at term %d; waiting for its own", id_,
              term_);
        } else {
          BecomeLeader();
          BcastAppend();
        }
        break;
      case quorum::kVoteLost:
        // A rejected pre-vote may carry a future term; stay at ours.
        BecomeFollower(term_, kNone);
        break;
      case quorum::kVotePending:
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace craft
