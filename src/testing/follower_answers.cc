#include "craft/testing/follower_answers.h"

#include <utility>

namespace craft::testing {

std::vector<Message> AnswerAsFollowers(absl::Span<const Message> msgs) {
  std::vector<Message> answers;
  for (const Message& m : msgs) {
    Message a;
    a.set_from(m.to());
    a.set_to(m.from());
    a.set_term(m.term());
    if (m.type() == raftpb::MsgVote) {
      a.set_type(raftpb::MsgVoteResp);
    } else if (m.type() == raftpb::MsgApp) {
      a.set_type(raftpb::MsgAppResp);
      a.set_index(m.index() + m.entries_size());
    } else {
      continue;
    }
    answers.push_back(std::move(a));
  }
  return answers;
}

}  // namespace craft::testing
