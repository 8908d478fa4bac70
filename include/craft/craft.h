// The public API of craft in one include.

#ifndef CRAFT_CRAFT_H_
#define CRAFT_CRAFT_H_

#include "craft/capturing_logger.h"
#include "craft/describe.h"
#include "craft/errors.h"
#include "craft/logger.h"
#include "craft/memory_storage.h"
#include "craft/raftpb.h"
#include "craft/read_state.h"
#include "craft/ready.h"
#include "craft/state.h"
#include "craft/storage.h"

#endif  // CRAFT_CRAFT_H_
