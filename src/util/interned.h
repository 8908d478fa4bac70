// Interned<T> is a handle to an immutable T that every handle made from an
// equal value shares: one copy per distinct value in the process, however
// many objects hold it.
//
// A process running thousands of Raft groups configures them alike, and a
// group's settings (timeouts, size limits, feature flags) never change after
// it is created. Holding them through one pointer instead of by value saves
// every group their size; the price is a mutex taken when a handle is made
// or destroyed (a group's creation and destruction), never when it is read.
//
// T must be copyable, equality-comparable and hashable with absl::Hash.

#ifndef CRAFT_UTIL_INTERNED_H_
#define CRAFT_UTIL_INTERNED_H_

#include <cstddef>
#include <unordered_map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"

namespace craft {

template <typename T>
class Interned {
 public:
  explicit Interned(const T& value) : node_(Acquire(value)) {}
  Interned(const Interned& other) : node_(other.node_) { Ref(node_); }
  Interned& operator=(const Interned& other) {
    if (node_ != other.node_) {
      Ref(other.node_);
      Unref(node_);
      node_ = other.node_;
    }
    return *this;
  }
  ~Interned() { Unref(node_); }

  const T& operator*() const { return node_->first; }
  const T* operator->() const { return &node_->first; }

 private:
  // Each distinct value with the number of handles to it. The map's nodes
  // never move, so a handle may point at its entry; an entry is erased
  // with its last handle, under the same lock that counts it, so no handle
  // can find it half-destroyed.
  using Map = std::unordered_map<T, size_t, absl::Hash<T>>;
  using Node = typename Map::value_type;
  struct Registry {
    absl::Mutex mu;
    Map values ABSL_GUARDED_BY(mu);
  };
  // Never destroyed: handles may outlive static destruction order.
  static Registry& registry() {
    static Registry* const r = new Registry;
    return *r;
  }

  static Node* Acquire(const T& value) {
    Registry& r = registry();
    absl::MutexLock lock(&r.mu);
    Node& node = *r.values.try_emplace(value, 0).first;
    ++node.second;
    return &node;
  }
  static void Ref(Node* node) {
    Registry& r = registry();
    absl::MutexLock lock(&r.mu);
    ++node->second;
  }
  static void Unref(Node* node) {
    Registry& r = registry();
    absl::MutexLock lock(&r.mu);
    if (--node->second == 0) r.values.erase(r.values.find(node->first));
  }

  Node* node_;
};

}  // namespace craft

#endif  // CRAFT_UTIL_INTERNED_H_
