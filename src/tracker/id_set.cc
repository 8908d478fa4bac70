#include "craft/tracker/id_set.h"

#include <algorithm>

namespace craft::tracker {

IdSet::IdSet(std::initializer_list<uint64_t> ids) {
  for (uint64_t id : ids) insert(id);
}

IdSet::IdSet(const IdSet& other)
    : ids_(other.ids_ ? std::make_unique<std::vector<uint64_t>>(*other.ids_)
                      : nullptr) {}

IdSet& IdSet::operator=(const IdSet& other) {
  if (this != &other) *this = IdSet(other);
  return *this;
}

bool IdSet::contains(uint64_t id) const {
  return ids_ && std::binary_search(ids_->begin(), ids_->end(), id);
}

bool IdSet::insert(uint64_t id) {
  if (!ids_) ids_ = std::make_unique<std::vector<uint64_t>>();
  auto it = std::lower_bound(ids_->begin(), ids_->end(), id);
  if (it != ids_->end() && *it == id) return false;
  ids_->insert(it, id);
  return true;
}

size_t IdSet::erase(uint64_t id) {
  if (!ids_) return 0;
  auto it = std::lower_bound(ids_->begin(), ids_->end(), id);
  if (it == ids_->end() || *it != id) return 0;
  ids_->erase(it);
  if (ids_->empty()) ids_.reset();
  return 1;
}

bool operator==(const IdSet& a, const IdSet& b) {
  return a.empty() ? b.empty() : (!b.empty() && *a.ids_ == *b.ids_);
}

}  // namespace craft::tracker
