// The public API of craft in one include.

#ifndef CRAFT_CRAFT_H_
#define CRAFT_CRAFT_H_

#include "craft/confchange/confchange.h"
#include "craft/confchange/conversions.h"
#include "craft/config.h"
#include "craft/describe.h"
#include "craft/entry.h"
#include "craft/errors.h"
#include "craft/hard_state.h"
#include "craft/logger.h"
#include "craft/memory_storage.h"
#include "craft/message.h"
#include "craft/node.h"
#include "craft/node_status.h"
#include "craft/payload.h"
#include "craft/quorum/joint.h"
#include "craft/quorum/majority.h"
#include "craft/quorum/quorum.h"
#include "craft/raftpb.h"
#include "craft/raw_node.h"
#include "craft/read_state.h"
#include "craft/ready.h"
#include "craft/state.h"
#include "craft/storage.h"
#include "craft/tracker/inflights.h"
#include "craft/tracker/progress.h"
#include "craft/tracker/tracker.h"
#include "craft/wire.h"

#endif  // CRAFT_CRAFT_H_
