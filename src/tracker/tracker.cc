#include "craft/tracker/tracker.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/fixed_array.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace craft::tracker {

std::string TrackerConfig::String() const {
  std::string out = absl::StrCat("voters=", voters.String());
  if (!learners.empty()) {
    absl::StrAppend(&out, " learners=(", absl::StrJoin(learners, " "), ")");
  }
  if (!learners_next.empty()) {
    absl::StrAppend(&out, " learners_next=(", absl::StrJoin(learners_next, " "),
                    ")");
  }
  if (auto_leave) out.append(" autoleave");
  return out;
}

Progress* ProgressTracker::GetProgress(uint64_t id) {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

const Progress* ProgressTracker::GetProgress(uint64_t id) const {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

void ProgressTracker::SetConfig(TrackerConfig config, ProgressMap progress) {
  config_ = std::move(config);
  progress_ = std::move(progress);
}

raftpb::ConfState ProgressTracker::ConfState() const {
  raftpb::ConfState cs;
  for (uint64_t id : config_.voters.incoming()) cs.add_voters(id);
  for (uint64_t id : config_.voters.outgoing()) cs.add_voters_outgoing(id);
  for (uint64_t id : config_.learners) cs.add_learners(id);
  for (uint64_t id : config_.learners_next) cs.add_learners_next(id);
  cs.set_auto_leave(config_.auto_leave);
  return cs;
}

namespace {

// The committed index of one majority half: its voters' match indexes,
// found by walking the two sorted id lists side by side.
uint64_t HalfCommitted(const quorum::MajorityConfig& voters,
                       const ProgressMap& progress) {
  absl::FixedArray<uint64_t, 7> acked(voters.size());
  auto pr = progress.begin();
  size_t i = 0;
  for (uint64_t id : voters) {
    while (pr != progress.end() && pr->first < id) ++pr;
    acked[i++] =
        pr != progress.end() && pr->first == id ? pr->second.match() : 0;
  }
  return quorum::MajorityConfig::CommittedIndex(absl::MakeSpan(acked));
}

}  // namespace

uint64_t ProgressTracker::Committed() const {
  // The same as config_.voters.CommittedIndex over the match indexes,
  // without a lookup per voter: it runs on every acknowledgement.
  const uint64_t in = HalfCommitted(config_.voters.incoming(), progress_);
  if (!config_.voters.IsJoint()) return in;
  return std::min(in, HalfCommitted(config_.voters.outgoing(), progress_));
}

void ProgressTracker::Visit(
    absl::FunctionRef<void(uint64_t id, Progress& pr)> fn) {
  for (auto& [id, pr] : progress_) fn(id, pr);
}

void ProgressTracker::Visit(
    absl::FunctionRef<void(uint64_t id, const Progress& pr)> fn) const {
  for (const auto& [id, pr] : progress_) fn(id, pr);
}

bool ProgressTracker::QuorumActive() const {
  // A voter's "vote" is its recent activity; voters without a progress
  // (or tracked as learners) have not answered.
  return config_.voters.VoteResult([this](uint64_t id) -> std::optional<bool> {
    const Progress* pr = GetProgress(id);
    if (pr == nullptr || pr->is_learner()) return std::nullopt;
    return pr->recent_active();
  }) == quorum::kVoteWon;
}

std::vector<uint64_t> ProgressTracker::VoterNodes() const {
  quorum::MajorityConfig ids = config_.voters.Ids();
  return std::vector<uint64_t>(ids.begin(), ids.end());
}

std::vector<uint64_t> ProgressTracker::LearnerNodes() const {
  return std::vector<uint64_t>(config_.learners.begin(),
                               config_.learners.end());
}

ProgressTracker::ProgressTracker(const ProgressTracker& other)
    : config_(other.config_),
      max_inflight_(other.max_inflight_),
      progress_(other.progress_),
      votes_(other.votes_ ? std::make_unique<quorum::VoteMap>(*other.votes_)
                          : nullptr),
      max_inflight_bytes_(other.max_inflight_bytes_) {}

ProgressTracker& ProgressTracker::operator=(const ProgressTracker& other) {
  if (this != &other) *this = ProgressTracker(other);
  return *this;
}

void ProgressTracker::RecordVote(uint64_t id, bool granted) {
  if (!votes_) votes_ = std::make_unique<quorum::VoteMap>();
  votes_->try_emplace(id, granted);
}

const quorum::VoteMap& ProgressTracker::votes() const {
  static const quorum::VoteMap* const kNoVotes = new quorum::VoteMap();
  return votes_ ? *votes_ : *kNoVotes;
}

VoteTally ProgressTracker::TallyVotes() const {
  const quorum::VoteMap& votes = this->votes();
  VoteTally tally;
  // Count only current non-learner members, so that votes recorded before
  // a configuration change do not inflate the numbers.
  for (const auto& [id, pr] : progress_) {
    if (pr.is_learner()) continue;
    auto it = votes.find(id);
    if (it == votes.end()) continue;
    if (it->second) {
      ++tally.granted;
    } else {
      ++tally.rejected;
    }
  }
  tally.result = config_.voters.VoteResult(votes);
  return tally;
}

}  // namespace craft::tracker
