#include "craft/tracker/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace craft::tracker {

absl::string_view ProgressStateName(ProgressState s) {
  switch (s) {
    case ProgressState::kProbe:
      return "StateProbe";
    case ProgressState::kReplicate:
      return "StateReplicate";
    case ProgressState::kSnapshot:
      return "StateSnapshot";
  }
  return "StateUnknown";
}

void Progress::ResetState(ProgressState state) {
  msg_app_flow_paused_ = false;
  pending_snapshot_ = 0;
  state_ = state;
  inflights_.Reset();
}

void Progress::BecomeProbe() {
  if (state_ == ProgressState::kSnapshot) {
    // The snapshot reached the follower: probe right after it.
    const uint64_t pending = pending_snapshot_;
    ResetState(ProgressState::kProbe);
    next_ = std::max(match_ + 1, pending + 1);
  } else {
    ResetState(ProgressState::kProbe);
    next_ = match_ + 1;
  }
  sent_commit_ = std::min(sent_commit_, next_ - 1);
}

void Progress::BecomeReplicate() {
  ResetState(ProgressState::kReplicate);
  next_ = match_ + 1;
}

void Progress::BecomeSnapshot(uint64_t snapshot_index) {
  ResetState(ProgressState::kSnapshot);
  pending_snapshot_ = snapshot_index;
  next_ = snapshot_index + 1;
  // Applying the snapshot commits everything it contains.
  sent_commit_ = snapshot_index;
}

void Progress::SentEntries(size_t count, uint64_t bytes) {
  switch (state_) {
    case ProgressState::kReplicate:
      if (count > 0) {
        next_ += count;
        inflights_.Add(next_ - 1, bytes);
      }
      // A message that fills the window (or finds it full) acts as a probe:
      // the flow waits for an acknowledgement or a heartbeat response.
      msg_app_flow_paused_ = inflights_.Full();
      break;
    case ProgressState::kProbe:
      if (count > 0) msg_app_flow_paused_ = true;
      break;
    case ProgressState::kSnapshot:
      break;
  }
}

bool Progress::MaybeUpdate(uint64_t n) {
  if (n <= match_) return false;
  match_ = n;
  next_ = std::max(next_, n + 1);
  msg_app_flow_paused_ = false;
  return true;
}

bool Progress::MaybeDecrTo(uint64_t rejected, uint64_t match_hint) {
  if (state_ == ProgressState::kReplicate) {
    // Everything up to match is acknowledged: a rejection at or below it
    // is an old message arriving late.
    if (rejected <= match_) return false;
    next_ = match_ + 1;
    sent_commit_ = std::min(sent_commit_, next_ - 1);
    return true;
  }
  // Outside kReplicate only one append is outstanding, at next - 1; a
  // rejection of anything else is stale.
  if (next_ - 1 != rejected) return false;
  next_ = std::max(std::min(rejected, match_hint + 1), match_ + 1);
  sent_commit_ = std::min(sent_commit_, next_ - 1);
  msg_app_flow_paused_ = false;
  return true;
}

bool Progress::IsPaused() const {
  switch (state_) {
    case ProgressState::kProbe:
    case ProgressState::kReplicate:
      return msg_app_flow_paused_;
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

std::string Progress::String() const {
  std::string out = absl::StrCat(ProgressStateName(state_), " match=", match_,
                                 " next=", next_);
  if (is_learner_) out.append(" learner");
  if (IsPaused()) out.append(" paused");
  if (pending_snapshot_ > 0) {
    absl::StrAppend(&out, " pendingSnap=", pending_snapshot_);
  }
  if (!recent_active_) out.append(" inactive");
  if (size_t n = inflights_.count(); n > 0) {
    absl::StrAppend(&out, " inflight=", n);
    if (inflights_.Full()) out.append("[full]");
  }
  return out;
}

std::string ProgressMapString(const ProgressMap& progress) {
  std::string out;
  for (const auto& [id, pr] : progress) {
    absl::StrAppend(&out, id, ": ", pr.String(), "\n");
  }
  return out;
}

}  // namespace craft::tracker
