// BufferCache keeps emptied vectors (of messages, entries, read states) for
// reuse by every node of the calling thread.
//
// A node's output queues and a Ready's lists are vectors. Reusing them
// makes the steady state allocation-free; keeping them per node would cost
// an idle node their capacity for as long as it idles, which adds up with
// thousands of mostly idle groups per process. So the node holds a buffer
// only while it has something in it: it takes one from this cache when it
// queues its first item, hands it out in a Ready, and Advance gives it back.
// With many groups on one thread they share a handful of buffers.
//
// The cache is thread-local and bounded (a few buffers of bounded
// capacity), so a buffer taken on one thread and given back on another just
// moves between the caches.

#ifndef CRAFT_UTIL_BUFFER_CACHE_H_
#define CRAFT_UTIL_BUFFER_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace craft {

// ThreadCache<C>::Get is the calling thread's C, or null once the thread is
// exiting (its C destroyed), so that a node destroyed after that frees its
// buffers instead of caching them. The common case is one load of a plain
// thread-local pointer: this runs several times per Ready.
template <typename C>
class ThreadCache {
 public:
  static C* Get() {
    C* c = current_;
    if (c != nullptr && c != Gone()) return c;
    if (c == Gone()) return nullptr;
    thread_local Owner owner;
    current_ = &owner.cache;
    return current_;
  }

 private:
  struct Owner {
    C cache;
    ~Owner() { current_ = Gone(); }
  };
  static C* Gone() { return reinterpret_cast<C*>(uintptr_t{1}); }
  static inline thread_local C* current_ = nullptr;
};

template <typename T>
class BufferCache {
 public:
  // An empty vector, with capacity if the cache had one.
  static std::vector<T> Take() {
    std::vector<T> v;
    Cache* c = Get();
    if (c != nullptr && c->count > 0) v.swap(c->free[--c->count]);
    return v;
  }

  // Makes sure `v` has room for a few items, taking a cached buffer (or
  // allocating one) when it has no capacity yet: a node's output rarely
  // holds a single item, and growing one by one would allocate each time.
  static void Reserve(std::vector<T>& v) {
    if (v.capacity() != 0) return;
    v = Take();
    if (v.capacity() < kMinCapacity) v.reserve(kMinCapacity);
  }

  // Moves every item of `from` to the end of `*to`, leaving `from` empty
  // without capacity (its buffer goes to whichever of the two needs it).
  static void MoveInto(std::vector<T>& from, std::vector<T>* to) {
    if (to->empty()) {
      Give(*to);
      to->swap(from);
      return;
    }
    for (T& x : from) to->push_back(std::move(x));
    Give(from);
  }

  // Empties `v` and keeps its buffer for reuse, unless the cache is full or
  // the buffer grew beyond kMaxCapacity (a burst should not be hoarded).
  // `v` is left empty without capacity either way.
  static void Give(std::vector<T>& v) {
    if (v.capacity() == 0) return;
    v.clear();
    Cache* c = Get();
    if (c != nullptr && c->count < kMaxBuffers &&
        v.capacity() <= kMaxCapacity) {
      c->free[c->count++].swap(v);  // the free slot was empty, capacity 0
    } else {
      std::vector<T>().swap(v);  // freed
    }
  }

 private:
  static constexpr size_t kMinCapacity = 2;
  static constexpr size_t kMaxBuffers = 8;
  static constexpr size_t kMaxCapacity = 4096;

  struct Cache {
    std::vector<T> free[kMaxBuffers];
    size_t count = 0;
  };
  static Cache* Get() { return ThreadCache<Cache>::Get(); }
};

// BlockCache keeps a few heap blocks of T for reuse by every node of the
// calling thread, for state a node holds only between two calls (a Ready
// handed out and its Advance): an idle node holds none.
template <typename T>
class BlockCache {
 public:
  // A block, cached or new; the caller finds it as it gave it back.
  static std::unique_ptr<T> Take() {
    Cache* c = ThreadCache<Cache>::Get();
    if (c != nullptr && c->count > 0) return std::move(c->free[--c->count]);
    return std::make_unique<T>();
  }
  // Keeps `p` for reuse (the caller has reset it), or frees it when the
  // cache is full.
  static void Give(std::unique_ptr<T> p) {
    Cache* c = ThreadCache<Cache>::Get();
    if (c != nullptr && c->count < kMaxBlocks)
      c->free[c->count++] = std::move(p);
  }

 private:
  static constexpr size_t kMaxBlocks = 8;
  struct Cache {
    std::unique_ptr<T> free[kMaxBlocks];
    size_t count = 0;
  };
};

}  // namespace craft

#endif  // CRAFT_UTIL_BUFFER_CACHE_H_
