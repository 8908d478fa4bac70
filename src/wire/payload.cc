#include "craft/payload.h"

#include <cstring>
#include <new>

namespace craft {

Payload::Payload(absl::string_view bytes) {
  if (bytes.empty()) return;
  void* mem = ::operator new(sizeof(Rep) + bytes.size());
  rep_ = new (mem) Rep{{1}, bytes.size()};
  std::memcpy(rep_->bytes(), bytes.data(), bytes.size());
}

void Payload::Free(Rep* rep) {
  rep->~Rep();
  ::operator delete(rep);
}

}  // namespace craft
