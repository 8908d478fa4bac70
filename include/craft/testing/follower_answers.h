// Answers to a node's messages as its followers would give them, for tests
// and benchmarks that run one node alone. Part of the craft::testing
// library, not of craft itself.

#ifndef CRAFT_TESTING_FOLLOWER_ANSWERS_H_
#define CRAFT_TESTING_FOLLOWER_ANSWERS_H_

#include <vector>

#include "absl/types/span.h"
#include "craft/message.h"

namespace craft::testing {

// A granting MsgVoteResp for each MsgVote and a MsgAppResp acknowledging
// everything each MsgApp carries (its index plus its entries); no answer to
// any other message. Each answer comes from the message's recipient, in
// the message's term.
std::vector<Message> AnswerAsFollowers(absl::Span<const Message> msgs);

}  // namespace craft::testing

#endif  // CRAFT_TESTING_FOLLOWER_ANSWERS_H_
