// IdSet: a small sorted set of node ids that takes eight bytes while empty.
// A configuration carries two (its learners, and the voters it demotes to
// learners when a joint configuration is left); in most groups both stay
// empty, and a process may hold thousands of groups.

#ifndef CRAFT_TRACKER_ID_SET_H_
#define CRAFT_TRACKER_ID_SET_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

namespace craft::tracker {

// The subset of std::set<uint64_t>'s interface the tracker and confchange
// use; iteration is in ascending order.
class IdSet {
 public:
  using value_type = uint64_t;
  using const_iterator = const uint64_t*;
  using iterator = const_iterator;

  IdSet() = default;
  IdSet(std::initializer_list<uint64_t> ids);
  IdSet(const IdSet& other);
  IdSet& operator=(const IdSet& other);
  IdSet(IdSet&&) noexcept = default;
  IdSet& operator=(IdSet&&) noexcept = default;

  const_iterator begin() const { return ids_ ? ids_->data() : nullptr; }
  const_iterator end() const {
    return ids_ ? ids_->data() + ids_->size() : nullptr;
  }
  bool empty() const { return ids_ == nullptr; }
  size_t size() const { return ids_ ? ids_->size() : 0; }
  bool contains(uint64_t id) const;
  size_t count(uint64_t id) const { return contains(id) ? 1 : 0; }

  // Returns whether id was added (false if already present).
  bool insert(uint64_t id);
  // Returns the number of ids removed (0 or 1).
  size_t erase(uint64_t id);
  void clear() { ids_.reset(); }

  friend bool operator==(const IdSet& a, const IdSet& b);

 private:
  // Sorted, without duplicates; null rather than empty.
  std::unique_ptr<std::vector<uint64_t>> ids_;
};

}  // namespace craft::tracker

#endif  // CRAFT_TRACKER_ID_SET_H_
