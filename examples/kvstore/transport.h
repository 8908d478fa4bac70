// Transport carries craft::Messages between the members of craft-kvstore
// over TCP, with standalone Asio on one I/O thread.
//
// Each member dials each peer it sends to and only writes on that
// connection; the connections it accepts it only reads. So a pair of
// members talks over two connections, one per direction, and the messages
// from one member to another arrive in the order they were sent, as long
// as the connection lasts.
//
// Wire format, little-endian throughout:
//   hello  = "craftkv1" (8 bytes) | sender id (8) | recipient id (8)
//   frame  = length (4) | craft::EncodeMessage bytes (length of them)
// The dialer sends the hello once, then frames. The acceptor closes the
// connection (and logs a warning naming the remote address) on a hello
// with another magic or for another recipient, a length over
// max_frame_bytes, bytes that craft::DecodeMessage rejects, or a message
// whose to() is not this member. The acceptor never writes: the dialer
// takes anything it reads back, end of stream included, for the end of the
// connection.
//
// Sending never blocks. Each peer has a queue of at most max_queued
// messages and one write in flight (gathering what is queued). A peer is
// dialled when there is something to send to it. After a failed dial, or a
// connection lost soon after it was made (within max_backoff), the peer is
// left alone for a backoff, which doubles from min_backoff up to
// max_backoff with each failure in a row; what is sent to it meanwhile is
// dropped (and a send during the backoff has it dialled when the backoff
// ends). Whatever was queued is dropped when the dial or the connection
// fails. A drop is reported, which is how the raft node learns to probe
// the peer again (craft::Node::ReportUnreachable, ReportSnapshot).

#ifndef CRAFT_EXAMPLES_KVSTORE_TRANSPORT_H_
#define CRAFT_EXAMPLES_KVSTORE_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "craft/message.h"
#include "craft/raw_node.h"
#include "spdlog/logger.h"

namespace kvstore {

struct TransportOptions {
  // This member's id: the sender in the hellos, the only acceptable
  // recipient of what arrives.
  uint64_t self = 0;
  // "host:port" ("[v6addr]:port" for IPv6) to accept peers on; port 0 picks
  // a free one (listen_address() tells which).
  std::string listen;
  // Per peer, the messages waiting to be written; Send drops beyond it.
  size_t max_queued = 4096;
  // An incoming frame longer than this is malformed. Outgoing messages
  // longer than this are dropped too (the peer, configured alike, would
  // reject them).
  size_t max_frame_bytes = 256 << 20;
  // The wait after a failed dial before the next, doubling from min to max
  // with each failure in a row.
  absl::Duration min_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
  std::shared_ptr<spdlog::logger> logger;  // null: spdlog::default_logger()
};

// Every callback runs on the transport's I/O thread, one at a time, and
// none runs once Stop has returned. A callback must not call Stop (nor
// destroy the transport); it may call the other methods. An empty function
// is not called.
struct TransportCallbacks {
  // A message from a peer, decoded, addressed to this member.
  std::function<void(craft::Message)> deliver;
  // Messages to `peer` were dropped: the peer is unknown, its queue is
  // full, it cannot be reached, or its connection failed. Reported at
  // most once per Send call and once per failed dial or connection, not
  // once per message.
  std::function<void(uint64_t peer)> unreachable;
  // A MsgSnap to `peer` was written to the socket (kFinish: handed to the
  // kernel, not known to be received), or was dropped or its write failed
  // (kFailure). Once per MsgSnap sent, except for those to a peer removed
  // since.
  std::function<void(uint64_t peer, craft::SnapshotStatus)> snapshot_done;
};

class Transport {
 public:
  // Start binds and listens on options.listen and starts the I/O thread.
  // InvalidArgument for an address that does not parse or resolve,
  // Unavailable if it cannot be listened on; both name the address.
  static absl::StatusOr<std::unique_ptr<Transport>> Start(
      TransportOptions options, TransportCallbacks callbacks);

  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  ~Transport();  // Stop()

  // Stop closes every connection and the listener, drops what is queued
  // (without callbacks) and joins the I/O thread. Idempotent, thread-safe;
  // prompt whatever the peers do. Later calls of the other methods do
  // nothing. (Destroying the transport may yet wait for a name lookup in
  // progress, which Asio cannot cancel.)
  void Stop();

  // AddPeer makes `id` reachable at `addr` ("host:port"). For a known peer
  // with another address it is RemovePeer then AddPeer. Thread-safe.
  void AddPeer(uint64_t id, const std::string& addr);
  // RemovePeer forgets `id`: its connection is closed and what is queued
  // for it dropped, without callbacks. Later sends to it are to an unknown
  // peer. Thread-safe.
  void RemovePeer(uint64_t id);

  // Send queues each message for its peer, m.to(). Never blocks (beyond a
  // short lock), thread-safe; messages are encoded on the calling thread.
  // A message to an unknown or unreachable peer, or beyond its queue, is
  // dropped and reported (unreachable, and snapshot_done(kFailure) for a
  // MsgSnap). A message to this member is a caller's bug: dropped and
  // logged as an error, not reported.
  void Send(std::vector<craft::Message> msgs);

  // The bound address, "host:port", with the port chosen for port 0.
  std::string listen_address() const { return listen_address_; }

 private:
  struct Impl;
  explicit Transport(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  std::string listen_address_;
};

// Splits "host:port" (the form of --cluster, --listen-client and a new
// member's address); InvalidArgument naming `what` if malformed. Port 0
// is accepted (listen on any free port).
absl::StatusOr<std::pair<std::string, int>> ParseHostPort(
    const std::string& address, const std::string& what);

}  // namespace kvstore

#endif  // CRAFT_EXAMPLES_KVSTORE_TRANSPORT_H_
