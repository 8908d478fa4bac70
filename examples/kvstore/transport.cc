#include "transport.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "asio.hpp"
#include "craft/wire.h"
#include "spdlog/spdlog.h"

namespace kvstore {
namespace {

using asio::ip::tcp;

constexpr char kMagic[8] = {'c', 'r', 'a', 'f', 't', 'k', 'v', '1'};
constexpr size_t kHelloSize = 24;
constexpr size_t kLengthSize = 4;
// One write gathers at most this many frames, or this many bytes (but at
// least one frame, whatever its size).
constexpr size_t kMaxBatchFrames = 256;
constexpr size_t kMaxBatchBytes = 4 << 20;
// A connection's read buffer: its usual size, and the size above which an
// emptied buffer (that held a large frame) is given back.
constexpr size_t kReadChunk = 64 << 10;
constexpr size_t kMaxIdleReadBuffer = 1 << 20;
// The pause before accepting again after accept failed (say, out of file
// descriptors), not to spin.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

void PutLE32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutLE64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetLE32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetLE64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// SplitHostPort splits "host:port" or "[v6addr]:port". The host may be
// empty (any address, for listening).
absl::Status SplitHostPort(const std::string& addr, std::string* host,
                           std::string* port) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon + 1 == addr.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("transport: address \"%s\" is not host:port", addr));
  }
  *host = addr.substr(0, colon);
  *port = addr.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return absl::OkStatus();
}

std::string FormatEndpoint(const tcp::endpoint& ep) {
  if (ep.address().is_v6()) {
    return absl::StrFormat("[%s]:%d", ep.address().to_string(), ep.port());
  }
  return absl::StrFormat("%s:%d", ep.address().to_string(), ep.port());
}

std::string RemoteOf(const tcp::socket& s) {
  asio::error_code ec;
  tcp::endpoint ep = s.remote_endpoint(ec);
  return ec ? std::string("(unknown)") : FormatEndpoint(ep);
}

// A message ready for the wire.
struct Frame {
  std::array<char, kLengthSize> length;
  std::string body;
  bool snapshot = false;
};

}  // namespace

struct Transport::Impl {
  enum class State {
    kIdle,        // not connected; the next send dials
    kConnecting,  // resolving or dialling; sends are queued
    kConnected,   // sends are queued and written
    kBackoff,     // the dial failed, or the connection died young: sends
                  // are dropped for a while
  };

  // What one write puts on the wire.
  struct Batch {
    std::array<char, kHelloSize> hello;
    std::vector<Frame> frames;
    std::vector<asio::const_buffer> buffers;
  };

  struct Peer {
    Peer(asio::io_context& io, uint64_t id, std::string addr,
         absl::Duration backoff)
        : id(id),
          addr(std::move(addr)),
          socket(io),
          resolver(io),
          timer(io),
          backoff(backoff) {}

    const uint64_t id;
    const std::string addr;

    // Guarded by Impl::mu (not annotated: a member of another object).
    State state = State::kIdle;
    bool removed = false;
    // A write is in flight, or one is posted: a send need not post one.
    bool writing = false;
    // Something was sent during the backoff: dial when it ends.
    bool wanted = false;
    std::deque<Frame> queue;

    // The I/O thread's only.
    tcp::socket socket;
    tcp::resolver resolver;
    asio::steady_timer timer;
    // Bumped whenever the socket is closed: handlers of an earlier epoch
    // are stale and do nothing.
    uint64_t epoch = 0;
    absl::Duration backoff;
    absl::Time connected_at = absl::InfinitePast();
    bool failing = false;  // in an outage: warned already
    std::shared_ptr<Batch> inflight;
    char probe = 0;
  };

  // A connection accepted from a peer; the I/O thread's only.
  struct Inbound {
    explicit Inbound(tcp::socket s)
        : socket(std::move(s)), remote(RemoteOf(socket)) {}
    tcp::socket socket;
    const std::string remote;
    bool hello_done = false;
    uint64_t from = 0;
    std::vector<char> buf;
    size_t begin = 0, end = 0;  // the unparsed bytes of buf
  };

  // The callbacks owed for dropped messages.
  struct Drops {
    std::vector<uint64_t> unreachable;  // each peer once
    std::vector<uint64_t> snapshots;    // one per MsgSnap

    void Add(uint64_t peer, bool snapshot) {
      if (std::find(unreachable.begin(), unreachable.end(), peer) ==
          unreachable.end()) {
        unreachable.push_back(peer);
      }
      if (snapshot) snapshots.push_back(peer);
    }
    bool empty() const { return unreachable.empty(); }
  };

  Impl(TransportOptions o, TransportCallbacks cb)
      : options(std::move(o)),
        callbacks(std::move(cb)),
        log(options.logger != nullptr ? options.logger
                                      : spdlog::default_logger()),
        acceptor(io),
        accept_timer(io) {}

  ~Impl() { Stop(); }

  absl::Status Listen();
  void Run();
  void Stop();

  void AddPeer(uint64_t id, const std::string& addr);
  void RemovePeer(uint64_t id);
  void Send(std::vector<craft::Message> msgs);

  // The rest runs on the I/O thread.
  void Accept();
  void Read(const std::shared_ptr<Inbound>& c);
  bool Parse(Inbound& c);

  void Connect(const std::shared_ptr<Peer>& p);
  void Dial(const std::shared_ptr<Peer>& p, uint64_t epoch,
            const std::vector<tcp::endpoint>& endpoints);
  void Connected(const std::shared_ptr<Peer>& p);
  void StartWrite(const std::shared_ptr<Peer>& p, bool hello);
  void Disconnect(const std::shared_ptr<Peer>& p, bool dial_failed,
                  const std::string& why);
  void BackoffDone(const std::shared_ptr<Peer>& p);
  void ClosePeer(Peer& p);
  void Report(const Drops& drops);

  // First: the sockets and timers below must go before it.
  asio::io_context io;
  const TransportOptions options;
  const TransportCallbacks callbacks;
  const std::shared_ptr<spdlog::logger> log;
  tcp::acceptor acceptor;
  asio::steady_timer accept_timer;
  std::string listen_address;
  std::set<std::shared_ptr<Inbound>> inbound;  // the I/O thread's only
  std::thread thread;

  // std::mutex rather than absl::Mutex, so that ThreadSanitizer sees the
  // locking (Debian's abseil is not built with it).
  std::mutex stop_mu;  // serializes Stop
  std::mutex mu;
  bool stopped = false;                                        // guarded by mu
  absl::flat_hash_map<uint64_t, std::shared_ptr<Peer>> peers;  // guarded by mu
};

absl::Status Transport::Impl::Listen() {
  std::string host, port_str;
  if (absl::Status s = SplitHostPort(options.listen, &host, &port_str);
      !s.ok()) {
    return s;
  }
  asio::error_code ec;
  tcp::endpoint ep;
  uint32_t port = 0;
  if (!absl::SimpleAtoi(port_str, &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "transport: bad port in listen address \"%s\"", options.listen));
  }
  if (host.empty()) {
    ep = tcp::endpoint(tcp::v4(), static_cast<uint16_t>(port));
  } else if (asio::ip::address a = asio::ip::make_address(host, ec); !ec) {
    ep = tcp::endpoint(a, static_cast<uint16_t>(port));
  } else {
    tcp::resolver resolver(io);
    tcp::resolver::results_type r =
        resolver.resolve(host, port_str, tcp::resolver::passive, ec);
    if (ec || r.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("transport: cannot resolve listen address \"%s\": %s",
                          options.listen, ec ? ec.message() : "no address"));
    }
    ep = r.begin()->endpoint();
  }

  auto fail = [&](const char* what) {
    asio::error_code ignored;
    acceptor.close(ignored);
    return absl::UnavailableError(
        absl::StrFormat("transport: cannot listen on \"%s\": %s: %s",
                        options.listen, what, ec.message()));
  };
  acceptor.open(ep.protocol(), ec);
  if (ec) return fail("open");
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR");
  acceptor.bind(ep, ec);
  if (ec) return fail("bind");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return fail("local address");
  listen_address = FormatEndpoint(bound);
  log->info("transport: member {} listening on {}", options.self,
            listen_address);
  Accept();
  return absl::OkStatus();
}

void Transport::Impl::Run() {
  auto work = asio::make_work_guard(io);
  for (;;) {
    // A handler that throws (a callback, or an allocation) loses its
    // connection's continuation, not the thread.
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      log->error("transport: I/O thread caught an exception: {}", e.what());
    } catch (...) {
      log->error("transport: I/O thread caught an exception");
    }
  }
}

void Transport::Impl::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu);
  absl::flat_hash_map<uint64_t, std::shared_ptr<Peer>> gone;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped) return;
    stopped = true;
    gone.swap(peers);
    for (auto& [id, p] : gone) {
      p->removed = true;
      p->queue.clear();
    }
  }
  io.stop();
  if (thread.joinable()) thread.join();
  // The I/O thread is gone: what it used is this thread's now. The pending
  // handlers never run; the io_context destroys them.
  asio::error_code ignored;
  acceptor.close(ignored);
  accept_timer.cancel();
  for (const std::shared_ptr<Inbound>& c : inbound) c->socket.close(ignored);
  inbound.clear();
  for (auto& [id, p] : gone) ClosePeer(*p);
  if (!listen_address.empty()) {
    log->info("transport: member {} stopped", options.self);
  }
}

void Transport::Impl::AddPeer(uint64_t id, const std::string& addr) {
  if (id == options.self) {
    log->warn("transport: not adding member {} as a peer of itself", id);
    return;
  }
  std::shared_ptr<Peer> old;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped) return;
    std::shared_ptr<Peer>& slot = peers[id];
    if (slot != nullptr && slot->addr == addr) return;
    old = std::move(slot);
    if (old != nullptr) {
      old->removed = true;
      old->queue.clear();
    }
    slot = std::make_shared<Peer>(io, id, addr, options.min_backoff);
  }
  if (old != nullptr) {
    log->info("transport: peer {} moved from {} to {}", id, old->addr, addr);
    asio::post(io, [this, old] { ClosePeer(*old); });
  } else {
    log->info("transport: peer {} at {}", id, addr);
  }
}

void Transport::Impl::RemovePeer(uint64_t id) {
  std::shared_ptr<Peer> old;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped) return;
    auto it = peers.find(id);
    if (it == peers.end()) return;
    old = std::move(it->second);
    peers.erase(it);
    old->removed = true;
    old->queue.clear();
  }
  log->info("transport: removed peer {} at {}", id, old->addr);
  asio::post(io, [this, old] { ClosePeer(*old); });
}

void Transport::Impl::Send(std::vector<craft::Message> msgs) {
  // Encode out of the lock: a snapshot may take a while.
  struct Item {
    uint64_t to;
    Frame frame;
  };
  std::vector<Item> items;
  items.reserve(msgs.size());
  Drops drops;
  for (const craft::Message& m : msgs) {
    if (m.to() == options.self) {
      log->error("transport: dropping a {} from member {} to itself",
                 craft::raftpb::MessageType_Name(m.type()), options.self);
      continue;
    }
    Item& it = items.emplace_back();
    it.to = m.to();
    it.frame.snapshot = m.type() == craft::raftpb::MsgSnap;
    it.frame.body = craft::EncodeMessage(m);
    if (it.frame.body.size() >
        std::min<size_t>(options.max_frame_bytes, UINT32_MAX)) {
      log->error(
          "transport: dropping a {} to peer {}: {} bytes, over the "
          "limit of {}",
          craft::raftpb::MessageType_Name(m.type()), m.to(),
          it.frame.body.size(), options.max_frame_bytes);
      drops.Add(it.to, it.frame.snapshot);
      items.pop_back();
      continue;
    }
    PutLE32(it.frame.length.data(),
            static_cast<uint32_t>(it.frame.body.size()));
  }
  msgs.clear();

  std::vector<std::shared_ptr<Peer>> dial, kick;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped) return;
    for (Item& item : items) {
      auto it = peers.find(item.to);
      if (it == peers.end()) {
        drops.Add(item.to, item.frame.snapshot);
        continue;
      }
      const std::shared_ptr<Peer>& p = it->second;
      if (p->state == State::kBackoff) {
        p->wanted = true;
        drops.Add(item.to, item.frame.snapshot);
        continue;
      }
      if (p->queue.size() >= options.max_queued) {
        drops.Add(item.to, item.frame.snapshot);
        continue;
      }
      p->queue.push_back(std::move(item.frame));
      if (p->state == State::kIdle) {
        p->state = State::kConnecting;
        dial.push_back(p);
      } else if (p->state == State::kConnected && !p->writing) {
        p->writing = true;
        kick.push_back(p);
      }
    }
  }
  for (std::shared_ptr<Peer>& p : dial) {
    asio::post(io, [this, p = std::move(p)] { Connect(p); });
  }
  for (std::shared_ptr<Peer>& p : kick) {
    asio::post(io, [this, p = std::move(p)] { StartWrite(p, false); });
  }
  if (!drops.empty()) {
    asio::post(io, [this, drops = std::move(drops)] { Report(drops); });
  }
}

void Transport::Impl::Report(const Drops& drops) {
  for (uint64_t id : drops.unreachable) {
    if (callbacks.unreachable) callbacks.unreachable(id);
  }
  for (uint64_t id : drops.snapshots) {
    if (callbacks.snapshot_done) {
      callbacks.snapshot_done(id, craft::SnapshotStatus::kFailure);
    }
  }
}

void Transport::Impl::Accept() {
  acceptor.async_accept([this](const asio::error_code& ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      log->warn("transport: accept on {} failed: {}", listen_address,
                ec.message());
      accept_timer.expires_after(kAcceptRetry);
      accept_timer.async_wait([this](const asio::error_code& ec) {
        if (!ec) Accept();
      });
      return;
    }
    auto c = std::make_shared<Inbound>(std::move(s));
    c->buf.resize(kReadChunk);
    inbound.insert(c);
    log->debug("transport: accepted a connection from {}", c->remote);
    Read(c);
    Accept();
  });
}

void Transport::Impl::Read(const std::shared_ptr<Inbound>& c) {
  c->socket.async_read_some(
      asio::buffer(c->buf.data() + c->end, c->buf.size() - c->end),
      [this, c](const asio::error_code& ec, size_t n) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
          if (ec == asio::error::eof) {
            log->info("transport: member {} at {} closed its connection",
                      c->from, c->remote);
          } else {
            log->warn("transport: reading from member {} at {}: {}", c->from,
                      c->remote, ec.message());
          }
          asio::error_code ignored;
          c->socket.close(ignored);
          inbound.erase(c);
          return;
        }
        c->end += n;
        if (Parse(*c)) {
          Read(c);
        } else {
          // Parse has said why.
          asio::error_code ignored;
          c->socket.close(ignored);
          inbound.erase(c);
        }
      });
}

// Parse delivers the complete frames in c.buf and makes room for the next
// read; false (having logged why) if the connection must be closed.
bool Transport::Impl::Parse(Inbound& c) {
  auto reject = [&](const std::string& why) {
    log->warn("transport: closing the connection from {} (member {}): {}",
              c.remote, c.from, why);
    return false;
  };
  for (;;) {
    const size_t avail = c.end - c.begin;
    const char* p = c.buf.data() + c.begin;
    if (!c.hello_done) {
      if (avail < kHelloSize) break;
      if (std::memcmp(p, kMagic, sizeof(kMagic)) != 0) {
        return reject("not a craft-kvstore peer (bad hello)");
      }
      const uint64_t from = GetLE64(p + 8);
      const uint64_t to = GetLE64(p + 16);
      if (from == 0 || from == options.self) {
        return reject(absl::StrFormat("a hello from member %d", from));
      }
      if (to != options.self) {
        return reject(absl::StrFormat(
            "member %d dialled member %d, but this is member %d", from, to,
            options.self));
      }
      c.from = from;
      c.hello_done = true;
      c.begin += kHelloSize;
      log->info("transport: member {} connected from {}", from, c.remote);
      continue;
    }
    if (avail < kLengthSize) break;
    const size_t len = GetLE32(p);
    if (len > options.max_frame_bytes) {
      return reject(absl::StrFormat("a frame of %d bytes, over the limit of %d",
                                    len, options.max_frame_bytes));
    }
    if (avail - kLengthSize < len) {
      // Make room for the whole frame.
      if (c.begin + kLengthSize + len > c.buf.size()) {
        std::memmove(c.buf.data(), p, avail);
        c.begin = 0;
        c.end = avail;
        if (kLengthSize + len > c.buf.size()) c.buf.resize(kLengthSize + len);
      }
      break;
    }
    absl::StatusOr<craft::Message> m =
        craft::DecodeMessage(absl::string_view(p + kLengthSize, len));
    if (!m.ok()) {
      return reject(absl::StrFormat("an undecodable frame of %d bytes: %s", len,
                                    m.status().ToString()));
    }
    if (m->to() != options.self || m->from() != c.from) {
      return reject(absl::StrFormat("a %s from member %d to member %d",
                                    craft::raftpb::MessageType_Name(m->type()),
                                    m->from(), m->to()));
    }
    c.begin += kLengthSize + len;
    if (callbacks.deliver) callbacks.deliver(*std::move(m));
  }
  if (c.begin == c.end) {
    c.begin = c.end = 0;
    if (c.buf.size() > kMaxIdleReadBuffer) {
      c.buf.resize(kReadChunk);
      c.buf.shrink_to_fit();
    }
  } else if (c.begin > 0 && c.buf.size() - c.end < kReadChunk / 4) {
    std::memmove(c.buf.data(), c.buf.data() + c.begin, c.end - c.begin);
    c.end -= c.begin;
    c.begin = 0;
  }
  return true;
}

void Transport::Impl::Connect(const std::shared_ptr<Peer>& p) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (p->removed) return;
  }
  std::string host, port_str;
  if (absl::Status s = SplitHostPort(p->addr, &host, &port_str); !s.ok()) {
    Disconnect(p, true, std::string(s.message()));
    return;
  }
  const uint64_t epoch = p->epoch;
  asio::error_code ec;
  uint32_t port = 0;
  if (asio::ip::address a = asio::ip::make_address(host, ec);
      !ec && absl::SimpleAtoi(port_str, &port) && port <= 65535) {
    Dial(p, epoch, {tcp::endpoint(a, static_cast<uint16_t>(port))});
    return;
  }
  p->resolver.async_resolve(
      host, port_str,
      [this, p, epoch](const asio::error_code& ec,
                       const tcp::resolver::results_type& results) {
        if (epoch != p->epoch || ec == asio::error::operation_aborted) return;
        if (ec) {
          Disconnect(p, true, "resolve: " + ec.message());
          return;
        }
        std::vector<tcp::endpoint> endpoints;
        for (const auto& r : results) endpoints.push_back(r.endpoint());
        Dial(p, epoch, endpoints);
      });
}

void Transport::Impl::Dial(const std::shared_ptr<Peer>& p, uint64_t epoch,
                           const std::vector<tcp::endpoint>& endpoints) {
  asio::async_connect(
      p->socket, endpoints,
      [this, p, epoch](const asio::error_code& ec, const tcp::endpoint&) {
        if (epoch != p->epoch || ec == asio::error::operation_aborted) return;
        if (ec) {
          Disconnect(p, true, ec.message());
          return;
        }
        Connected(p);
      });
}

void Transport::Impl::Connected(const std::shared_ptr<Peer>& p) {
  asio::error_code ignored;
  p->socket.set_option(tcp::no_delay(true), ignored);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (p->removed) return;
    p->state = State::kConnected;
    p->writing = true;
  }
  // The backoff and the log's outage last until a connection has lasted
  // (Disconnect).
  log->info("transport: connected to peer {} at {}{}", p->id, p->addr,
            p->failing ? " (again)" : "");
  p->connected_at = absl::Now();
  // The peer never writes: a completed read is the end of the connection.
  const uint64_t epoch = p->epoch;
  p->socket.async_read_some(
      asio::buffer(&p->probe, 1),
      [this, p, epoch](const asio::error_code& ec, size_t) {
        if (epoch != p->epoch || ec == asio::error::operation_aborted) return;
        Disconnect(p, false,
                   ec == asio::error::eof ? std::string("closed by the peer")
                   : ec                   ? ec.message()
                                          : std::string("the peer wrote"));
      });
  StartWrite(p, true);
}

void Transport::Impl::StartWrite(const std::shared_ptr<Peer>& p, bool hello) {
  // A write in flight drains the queue when it completes.
  if (p->inflight != nullptr) return;
  auto batch = std::make_shared<Batch>();
  {
    std::lock_guard<std::mutex> lock(mu);
    if (p->removed || p->state != State::kConnected) return;
    size_t bytes = 0;
    while (!p->queue.empty() && batch->frames.size() < kMaxBatchFrames &&
           (batch->frames.empty() || bytes < kMaxBatchBytes)) {
      bytes += p->queue.front().body.size();
      batch->frames.push_back(std::move(p->queue.front()));
      p->queue.pop_front();
    }
    if (batch->frames.empty() && !hello) {
      p->writing = false;
      return;
    }
    p->writing = true;
  }
  batch->buffers.reserve(2 * batch->frames.size() + 1);
  if (hello) {
    std::memcpy(batch->hello.data(), kMagic, sizeof(kMagic));
    PutLE64(batch->hello.data() + 8, options.self);
    PutLE64(batch->hello.data() + 16, p->id);
    batch->buffers.push_back(asio::buffer(batch->hello));
  }
  for (const Frame& f : batch->frames) {
    batch->buffers.push_back(asio::buffer(f.length));
    batch->buffers.push_back(asio::buffer(f.body));
  }
  p->inflight = batch;
  const uint64_t epoch = p->epoch;
  asio::async_write(
      p->socket, batch->buffers,
      [this, p, batch, epoch](const asio::error_code& ec, size_t) {
        // Stale: Disconnect or ClosePeer has dealt with the batch.
        if (epoch != p->epoch) return;
        if (ec) {
          Disconnect(p, false, "write: " + ec.message());
          return;
        }
        p->inflight.reset();
        bool removed;
        {
          std::lock_guard<std::mutex> lock(mu);
          removed = p->removed;
        }
        if (!removed && callbacks.snapshot_done) {
          for (const Frame& f : batch->frames) {
            if (f.snapshot) {
              callbacks.snapshot_done(p->id, craft::SnapshotStatus::kFinish);
            }
          }
        }
        StartWrite(p, false);
      });
}

// Disconnect closes the peer's connection (or gives up the dial) and drops
// what was in flight and queued, reporting it. A failed dial, or a
// connection lost within max_backoff of being made (a peer that accepts and
// hangs up at once), puts the peer in backoff; after a connection that
// lasted, the next send dials again at once.
void Transport::Impl::Disconnect(const std::shared_ptr<Peer>& p,
                                 bool dial_failed, const std::string& why) {
  asio::error_code ignored;
  p->socket.close(ignored);
  ++p->epoch;
  std::shared_ptr<Batch> batch = std::move(p->inflight);
  const bool failed =
      dial_failed || absl::Now() - p->connected_at < options.max_backoff;
  std::deque<Frame> dropped;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (p->removed) return;
    dropped.swap(p->queue);
    p->writing = false;
    p->wanted = false;
    p->state = failed ? State::kBackoff : State::kIdle;
  }
  const char* what = dial_failed ? "cannot reach" : "lost the connection to";
  if (!failed) {
    log->warn("transport: {} peer {} at {}: {}", what, p->id, p->addr, why);
    p->backoff = options.min_backoff;
    p->failing = false;
  } else {
    if (!p->failing) {
      log->warn("transport: {} peer {} at {}: {} (retrying with backoff)", what,
                p->id, p->addr, why);
    } else {
      log->debug("transport: {} peer {} at {}: {}", what, p->id, p->addr, why);
    }
    p->failing = true;
    p->timer.expires_after(absl::ToChronoNanoseconds(p->backoff));
    p->timer.async_wait([this, p](const asio::error_code& ec) {
      if (!ec) BackoffDone(p);
    });
    p->backoff = std::min(p->backoff * 2, options.max_backoff);
  }
  Drops drops;
  drops.Add(p->id, false);
  if (batch != nullptr) {
    for (const Frame& f : batch->frames) {
      if (f.snapshot) drops.Add(p->id, true);
    }
  }
  for (const Frame& f : dropped) {
    if (f.snapshot) drops.Add(p->id, true);
  }
  Report(drops);
}

void Transport::Impl::BackoffDone(const std::shared_ptr<Peer>& p) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (p->removed || p->state != State::kBackoff) return;
    if (!p->wanted) {
      p->state = State::kIdle;
      return;
    }
    p->wanted = false;
    p->state = State::kConnecting;
  }
  Connect(p);
}

// ClosePeer ends everything of a removed peer, without callbacks.
void Transport::Impl::ClosePeer(Peer& p) {
  ++p.epoch;
  asio::error_code ignored;
  p.socket.close(ignored);
  p.resolver.cancel();
  p.timer.cancel();
  p.inflight.reset();
}

Transport::Transport(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)), listen_address_(impl_->listen_address) {}

Transport::~Transport() { Stop(); }

absl::StatusOr<std::unique_ptr<Transport>> Transport::Start(
    TransportOptions options, TransportCallbacks callbacks) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(callbacks));
  if (absl::Status s = impl->Listen(); !s.ok()) return s;
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<Transport>(new Transport(std::move(impl)));
}

void Transport::Stop() { impl_->Stop(); }

void Transport::AddPeer(uint64_t id, const std::string& addr) {
  impl_->AddPeer(id, addr);
}

void Transport::RemovePeer(uint64_t id) { impl_->RemovePeer(id); }

void Transport::Send(std::vector<craft::Message> msgs) {
  impl_->Send(std::move(msgs));
}

absl::StatusOr<std::pair<std::string, int>> ParseHostPort(
    const std::string& address, const std::string& what) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": '", address, "' is not host:port (e.g. 127.0.0.1:8101)"));
  }
  return std::make_pair(address.substr(0, colon), port);
}

}  // namespace kvstore
