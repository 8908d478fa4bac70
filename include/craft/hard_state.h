// HardState is the state a node must persist before it sends messages:
// its term, its vote in that term, and its commit index. A plain value; its
// accessors follow HardState's, to which craft/wire.h converts it
// for applications that store it in that form.

#ifndef CRAFT_HARD_STATE_H_
#define CRAFT_HARD_STATE_H_

#include <cstdint>

namespace craft {

class HardState {
 public:
  HardState() = default;

  uint64_t term() const { return term_; }
  uint64_t vote() const { return vote_; }
  uint64_t commit() const { return commit_; }
  void set_term(uint64_t v) { term_ = v; }
  void set_vote(uint64_t v) { vote_ = v; }
  void set_commit(uint64_t v) { commit_ = v; }

  friend bool operator==(const HardState&, const HardState&) = default;

 private:
  uint64_t term_ = 0;
  uint64_t vote_ = 0;
  uint64_t commit_ = 0;
};

}  // namespace craft

#endif  // CRAFT_HARD_STATE_H_
