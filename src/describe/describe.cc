#include "craft/describe.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gofmt/gofmt.h"

namespace craft {
std::string QuoteData(absl::string_view data) { return gofmt::Quote(data); }

std::string DescribeNodeId(uint64_t id) {
  switch (id) {
    case kNone:
      return "None";
    case kLocalAppendThread:
      return "AppendThread";
    case kLocalApplyThread:
      return "ApplyThread";
    default:
      return absl::StrFormat("%x", id);
  }
}

namespace {

template <typename Changes>
std::string ConfChangesString(const Changes& changes) {
  std::string out;
  for (const raftpb::ConfChangeSingle& cc : changes) {
    if (!out.empty()) out.push_back(' ');
    switch (cc.type()) {
      case raftpb::ConfChangeAddNode:
        out.push_back('v');
        break;
      case raftpb::ConfChangeAddLearnerNode:
        out.push_back('l');
        break;
      case raftpb::ConfChangeRemoveNode:
        out.push_back('r');
        break;
      case raftpb::ConfChangeUpdateNode:
        out.push_back('u');
        break;
      default:
        out += "unknown";
    }
    absl::StrAppend(&out, cc.node_id());
  }
  return out;
}

}  // namespace

std::string DescribeConfChanges(
    absl::Span<const raftpb::ConfChangeSingle> changes) {
  return ConfChangesString(changes);
}

std::string DescribeConfChanges(
    const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>&
        changes) {
  return ConfChangesString(changes);
}

std::string DescribeEntry(const Entry& e) {
  std::string payload;
  switch (e.type()) {
    case raftpb::EntryNormal:
      payload = QuoteData(e.data());
      break;
    case raftpb::EntryConfChange: {
      raftpb::ConfChange cc;
      if (!cc.ParseFromArray(e.data().data(),
                             static_cast<int>(e.data().size()))) {
        payload = "<malformed ConfChange>";
        break;
      }
      raftpb::ConfChangeSingle single;
      single.set_type(cc.type());
      single.set_node_id(cc.node_id());
      payload = DescribeConfChanges({&single, 1});
      break;
    }
    case raftpb::EntryConfChangeV2: {
      raftpb::ConfChangeV2 cc;
      if (!cc.ParseFromArray(e.data().data(),
                             static_cast<int>(e.data().size()))) {
        payload = "<malformed ConfChangeV2>";
        break;
      }
      payload = DescribeConfChanges(cc.changes());
      break;
    }
    default:
      payload = QuoteData(e.data());
  }
  std::string out =
      absl::StrCat(e.term(), "/", e.index(), " ",
                   gofmt::EnumValue(e.type(), EntryTypeName(e.type())));
  if (!payload.empty()) absl::StrAppend(&out, " ", payload);
  return out;
}

std::string DescribeEntries(absl::Span<const Entry> ents) {
  std::string out;
  for (const Entry& e : ents) absl::StrAppend(&out, DescribeEntry(e), "\n");
  return out;
}

std::string DescribeMessage(const Message& m, absl::string_view indent) {
  std::string out = absl::StrCat(
      indent, DescribeNodeId(m.from()), "->", DescribeNodeId(m.to()), " ",
      gofmt::EnumValue(m.type(), MessageTypeName(m.type())), " Term:", m.term(),
      " Log:", m.log_term(), "/", m.index());
  if (m.reject())
    absl::StrAppend(&out, " Rejected (Hint: ", m.reject_hint(), ")");
  if (m.commit() != 0) absl::StrAppend(&out, " Commit:", m.commit());
  if (m.vote() != 0) absl::StrAppend(&out, " Vote:", m.vote());
  if (m.entries_size() == 1) {
    absl::StrAppend(&out, " Entries:[", DescribeEntry(m.entries(0)), "]");
  } else if (m.entries_size() > 1) {
    out += " Entries:[";
    for (const Entry& e : m.entries()) {
      absl::StrAppend(&out, "\n", indent, "  ", DescribeEntry(e));
    }
    absl::StrAppend(&out, "\n", indent, "]");
  }
  if (m.has_snapshot() && !IsEmptySnapshot(m.snapshot())) {
    absl::StrAppend(&out, "\n", indent,
                    "  Snapshot: ", DescribeSnapshot(m.snapshot()));
  }
  if (m.responses_size() > 0) {
    out += " Responses:[";
    const std::string inner = absl::StrCat(indent, "  ");
    for (const Message& r : m.responses()) {
      absl::StrAppend(&out, "\n", DescribeMessage(r, inner));
    }
    absl::StrAppend(&out, "\n", indent, "]");
  }
  return out;
}

std::string DescribeHardState(const HardState& hs) {
  std::string out = absl::StrCat("Term:", hs.term());
  if (hs.vote() != 0) absl::StrAppend(&out, " Vote:", hs.vote());
  absl::StrAppend(&out, " Commit:", hs.commit());
  return out;
}

std::string DescribeSoftState(const SoftState& ss) {
  return absl::StrCat("Lead:", ss.lead,
                      " State:", StateTypeName(ss.raft_state));
}

std::string DescribeConfState(const raftpb::ConfState& cs) {
  return absl::StrCat("Voters:", gofmt::UintList(cs.voters()),
                      " VotersOutgoing:", gofmt::UintList(cs.voters_outgoing()),
                      " Learners:", gofmt::UintList(cs.learners()),
                      " LearnersNext:", gofmt::UintList(cs.learners_next()),
                      " AutoLeave:", cs.auto_leave() ? "true" : "false");
}

std::string GoFormatConfState(const raftpb::ConfState& cs) {
  return gofmt::ConfState(cs);
}

std::string GoFormatConfStateWithNames(const raftpb::ConfState& cs) {
  return gofmt::ConfStateNamed(cs);
}

std::string GoFormatConfChange(const raftpb::ConfChange& cc) {
  return gofmt::ConfChange(cc);
}

std::string GoFormatConfChangeV2(const raftpb::ConfChangeV2& cc) {
  return gofmt::ConfChangeV2(cc);
}

std::string GoFormatBytes(absl::string_view b) { return gofmt::Bytes(b); }

std::string DescribeSnapshot(const raftpb::Snapshot& s) {
  const raftpb::SnapshotMetadata& m = s.metadata();
  return absl::StrCat("Index:", m.index(), " Term:", m.term(),
                      " ConfState:", DescribeConfState(m.conf_state()));
}

std::string DescribeReadStates(absl::Span<const ReadState> rs) {
  std::string out = "[";
  for (size_t i = 0; i < rs.size(); ++i) {
    if (i > 0) out.push_back(' ');
    absl::StrAppend(&out, "{", rs[i].index, " [");
    for (size_t j = 0; j < rs[i].request_ctx.size(); ++j) {
      if (j > 0) out.push_back(' ');
      absl::StrAppend(&out, static_cast<uint8_t>(rs[i].request_ctx[j]));
    }
    out += "]}";
  }
  out += "]";
  return out;
}

std::string DescribeReady(const Ready& rd) {
  std::string out;
  if (rd.soft_state)
    absl::StrAppend(&out, DescribeSoftState(*rd.soft_state), "\n");
  if (!IsEmptyHardState(rd.hard_state)) {
    absl::StrAppend(&out, "HardState ", DescribeHardState(rd.hard_state), "\n");
  }
  if (!rd.read_states.empty()) {
    absl::StrAppend(&out, "ReadStates ", DescribeReadStates(rd.read_states),
                    "\n");
  }
  if (!rd.entries.empty()) {
    absl::StrAppend(&out, "Entries:\n", DescribeEntries(rd.entries));
  }
  if (!IsEmptySnapshot(rd.snapshot)) {
    absl::StrAppend(&out, "Snapshot ", DescribeSnapshot(rd.snapshot), "\n");
  }
  if (!rd.committed_entries.empty()) {
    absl::StrAppend(&out, "CommittedEntries:\n",
                    DescribeEntries(rd.committed_entries));
  }
  if (!rd.messages.empty()) {
    out += "Messages:\n";
    for (const Message& m : rd.messages) {
      absl::StrAppend(&out, DescribeMessage(m), "\n");
    }
  }
  if (out.empty()) return "<empty Ready>";
  return absl::StrCat("Ready MustSync=", rd.must_sync ? "true" : "false", ":\n",
                      out);
}

}  // namespace craft
