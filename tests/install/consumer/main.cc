// A minimal application on the installed (or embedded) craft: a single-node
// cluster that elects itself, commits a proposal and applies it. Exits
// non-zero on any unexpected result.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "craft/craft.h"
#include "craft/testing/capturing_logger.h"

#ifdef CONSUMER_HAS_WAL
#include <stdlib.h>

#include <filesystem>

#include "craft/wal/wal.h"

// Saves an entry to a WAL in a scratch directory and reads it back.
static bool WalRoundTrip() {
  char tmpl[] = "/tmp/craft_consumer_XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return false;
  bool ok = false;
  {
    auto wal = craft::Wal::Open(tmpl, {}, nullptr);
    craft::Entry e = craft::MakeEntry(1, 1);
    e.set_data("durable");
    if (wal.ok() && (*wal)->Save(nullptr, {e}, true).ok()) {
      wal->reset();
      craft::WalContents c;
      wal = craft::Wal::Open(tmpl, {}, &c);
      ok =
          wal.ok() && c.entries.size() == 1 && c.entries[0].data() == "durable";
    }
  }
  std::filesystem::remove_all(tmpl);
  return ok;
}
#endif

int main() {
  craft::MemoryStorage storage;
  craft::CapturingLogger logger(craft::LogLevel::kWarning);
  craft::Config cfg;
  cfg.id = 1;
  cfg.storage = &storage;
  cfg.logger = &logger;
  absl::StatusOr<std::unique_ptr<craft::RawNode>> node =
      craft::RawNode::Create(cfg);
  if (!node.ok()) return 1;
  if (!(*node)->Bootstrap({{.id = 1, .context = {}}}).ok()) return 2;
  std::vector<std::string> applied;
  for (int round = 0; round < 10; ++round) {
    // Campaign once the bootstrap configuration is applied.
    if (round == 1 && !(*node)->Campaign().ok()) return 3;
    if (round == 5 && !(*node)->Propose("hello").ok()) return 4;
    if (!(*node)->HasReady()) continue;
    craft::Ready rd = (*node)->GetReady();
    if (!craft::IsEmptyHardState(rd.hard_state) &&
        !storage.SetHardState(rd.hard_state).ok()) {
      return 5;
    }
    if (!storage.Append(rd.entries).ok()) return 6;
    for (const craft::Entry& e : rd.committed_entries) {
      if (e.type() == craft::raftpb::EntryConfChange) {
        craft::raftpb::ConfChange cc;
        if (!cc.ParseFromString(e.data().ToString())) return 7;
        if (!(*node)->ApplyConfChange(cc).ok()) return 8;
      } else if (!e.data().empty()) {
        applied.push_back(e.data().ToString());
      }
    }
    (*node)->Advance(std::move(rd));
  }
  if (applied != std::vector<std::string>{"hello"}) return 9;
#ifdef CONSUMER_HAS_WAL
  if (!WalRoundTrip()) return 10;
#endif
  std::printf("applied %s at commit %d\n", applied[0].c_str(),
              static_cast<int>((*node)->GetBasicStatus().hard_state.commit()));
  return 0;
}
