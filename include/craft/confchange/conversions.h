// Conversions between the configuration change messages: the legacy
// ConfChange, ConfChangeV2, and the compact text form "v1 l2 r3 u4" (whose
// inverse is DescribeConfChanges in craft/describe.h).

#ifndef CRAFT_CONFCHANGE_CONVERSIONS_H_
#define CRAFT_CONFCHANGE_CONVERSIONS_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "craft/raftpb.h"

namespace craft::confchange {

// AsV2 returns the ConfChangeV2 that carries out the same single change,
// with the same context.
raftpb::ConfChangeV2 AsV2(const raftpb::ConfChange& cc);

// EnterJoint tells whether applying `cc` enters a joint configuration:
// when it has more than one change or asks for a joint transition
// explicitly. If so, *auto_leave (when non-null) tells whether the joint
// configuration is left automatically (transitions Auto and JointImplicit)
// or by the application (JointExplicit).
bool EnterJoint(const raftpb::ConfChangeV2& cc, bool* auto_leave = nullptr);

// LeaveJoint tells whether `cc` is the empty change that leaves a joint
// configuration: transition Auto and no changes (the context may be set).
bool LeaveJoint(const raftpb::ConfChangeV2& cc);

// Validate rejects a configuration change this build cannot interpret
// safely: one carrying values unknown to it (an unknown change type or
// transition decodes as the default value, so applying it would do
// something other than what was proposed).
absl::Status Validate(const raftpb::ConfChange& cc);
absl::Status Validate(const raftpb::ConfChangeV2& cc);

// Canonical returns `cc` with every field etcd-io/raft always encodes set
// explicitly, so that it serializes to the same bytes as etcd's encoding
// (and so to the same entry size, which byte budgets count).
raftpb::ConfChange Canonical(raftpb::ConfChange cc);
raftpb::ConfChangeV2 Canonical(raftpb::ConfChangeV2 cc);

// ParseConfChanges parses space-separated tokens <op><id>, op one of v
// (AddNode), l (AddLearnerNode), r (RemoveNode), u (UpdateNode), id a
// decimal uint64; surrounding white space (Go's unicode.IsSpace, as etcd
// trims it) is ignored and an empty string yields no changes. Errors carry
// etcd's texts: "unknown token <tok>" for a
// token shorter than two bytes (two consecutive spaces make an empty one),
// "unknown input: <tok>" for another op, and Go's ParseUint error (e.g.
// `strconv.ParseUint: parsing "x": invalid syntax`) for a bad id.
absl::StatusOr<std::vector<raftpb::ConfChangeSingle>> ParseConfChanges(
    absl::string_view s);

}  // namespace craft::confchange

#endif  // CRAFT_CONFCHANGE_CONVERSIONS_H_
