// The confchange language: `simple`, `enter-joint [autoleave=B]` and
// `leave-joint`, each with the changes ("v1 l2 r3 u4") as input. Every
// directive, whatever its outcome, advances the last index that new
// progress starts from.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "craft/confchange/confchange.h"
#include "craft/confchange/conversions.h"
#include "craft/tracker/tracker.h"
#include "datadriven/suites.h"

namespace craft::datadriven {
namespace {

struct ConfChangeState {
  tracker::ProgressTracker trk{/*max_inflight=*/10, /*max_inflight_bytes=*/0};
  uint64_t last_index = 0;
};

absl::StatusOr<std::string> RunConfChange(ConfChangeState& state,
                                          const TestData& d) {
  absl::StatusOr<std::vector<raftpb::ConfChangeSingle>> ccs =
      confchange::ParseConfChanges(d.input);
  if (!ccs.ok()) return std::string(ccs.status().message());

  const confchange::Changer changer(state.trk, state.last_index);
  absl::StatusOr<confchange::ChangeResult> result;
  if (d.cmd == "simple") {
    result = changer.Simple(*ccs);
  } else if (d.cmd == "enter-joint") {
    bool auto_leave = false;
    if (!d.cmd_args.empty()) {
      if (absl::Status s = d.ScanArg("autoleave", &auto_leave); !s.ok()) {
        return s;
      }
    }
    result = changer.EnterJoint(auto_leave, *ccs);
  } else if (d.cmd == "leave-joint") {
    if (!ccs->empty()) {
      result = absl::InvalidArgumentError("this command takes no input");
    } else {
      result = changer.LeaveJoint();
    }
  } else {
    return std::string("unknown command");
  }
  if (!result.ok()) return absl::StrCat(result.status().message(), "\n");
  state.trk.SetConfig(std::move(result->config), std::move(result->progress));
  return absl::StrCat(state.trk.config().String(), "\n",
                      tracker::ProgressMapString(state.trk.progress()));
}

}  // namespace

HandlerFactory ConfChangeSuite() {
  return [] {
    auto state = std::make_shared<ConfChangeState>();
    return Handler([state](const TestData& d) {
      absl::StatusOr<std::string> out = RunConfChange(*state, d);
      ++state->last_index;
      return out;
    });
  };
}

void RegisterPureLayerSuites(SuiteRegistry* registry) {
  registry->Register("quorum", QuorumSuite());
  registry->Register("confchange", ConfChangeSuite());
}

}  // namespace craft::datadriven
