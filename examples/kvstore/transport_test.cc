#include "transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "craft/wire.h"
#include "gtest/gtest.h"

namespace kvstore {
namespace {

using craft::SnapshotStatus;

constexpr absl::Duration kWait = absl::Seconds(10);

// Sink records what a transport's callbacks report, and waits for it.
class Sink {
 public:
  TransportCallbacks Callbacks() {
    TransportCallbacks cb;
    cb.deliver = [this](craft::Message m) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        messages_.push_back(std::move(m));
      }
      cv_.notify_all();
    };
    cb.unreachable = [this](uint64_t peer) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++unreachable_[peer];
      }
      cv_.notify_all();
    };
    cb.snapshot_done = [this](uint64_t peer, SnapshotStatus s) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        snapshots_.emplace_back(peer, s);
      }
      cv_.notify_all();
    };
    return cb;
  }

  // Wait is true once `f` (called with the lock held) is; false if `timeout`
  // passes first.
  template <typename F>
  bool Wait(F f, absl::Duration timeout = kWait) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), f);
  }

  bool WaitMessages(size_t n, absl::Duration timeout = kWait) {
    return Wait([&] { return messages_.size() >= n; }, timeout);
  }
  bool WaitUnreachable(uint64_t peer, int n = 1) {
    return Wait([&] { return unreachable_[peer] >= n; });
  }
  bool WaitSnapshot(uint64_t peer, SnapshotStatus s) {
    return Wait([&] {
      for (const auto& [p, st] : snapshots_) {
        if (p == peer && st == s) return true;
      }
      return false;
    });
  }

  std::vector<craft::Message> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  size_t message_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_.size();
  }
  int unreachable(uint64_t peer) {
    std::lock_guard<std::mutex> lock(mu_);
    return unreachable_[peer];
  }
  std::map<uint64_t, int> all_unreachable() {
    std::lock_guard<std::mutex> lock(mu_);
    return unreachable_;
  }
  std::vector<std::pair<uint64_t, SnapshotStatus>> snapshots() {
    std::lock_guard<std::mutex> lock(mu_);
    return snapshots_;
  }

 private:
  std::mutex mu_;  // std::mutex: visible to ThreadSanitizer
  std::condition_variable cv_;
  std::vector<craft::Message> messages_;
  std::map<uint64_t, int> unreachable_;
  std::vector<std::pair<uint64_t, SnapshotStatus>> snapshots_;
};

TransportOptions Options(uint64_t self, std::string listen = "127.0.0.1:0") {
  TransportOptions o;
  o.self = self;
  o.listen = std::move(listen);
  o.min_backoff = absl::Milliseconds(10);
  o.max_backoff = absl::Milliseconds(100);
  return o;
}

std::unique_ptr<Transport> MustStart(TransportOptions o, Sink& sink) {
  absl::StatusOr<std::unique_ptr<Transport>> t =
      Transport::Start(std::move(o), sink.Callbacks());
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : nullptr;
}

// An append from `from` to `to` carrying one entry, at `index`, whose data
// names all three.
craft::Message App(uint64_t from, uint64_t to, uint64_t index, size_t pad = 0) {
  craft::Message m;
  m.set_type(craft::raftpb::MsgApp);
  m.set_from(from);
  m.set_to(to);
  m.set_term(3);
  m.set_index(index);
  craft::Entry* e = m.add_entries();
  e->set_term(3);
  e->set_index(index + 1);
  e->set_data(absl::StrCat("entry ", from, "->", to, " #", index,
                           std::string(pad, 'x')));
  return m;
}

craft::Message Snap(uint64_t from, uint64_t to, size_t size) {
  craft::Message m;
  m.set_type(craft::raftpb::MsgSnap);
  m.set_from(from);
  m.set_to(to);
  m.set_term(3);
  std::string data(size, '\0');
  std::mt19937 rng(static_cast<uint32_t>(size));
  for (char& c : data) c = static_cast<char>(rng());
  m.mutable_snapshot()->set_data(data);
  m.mutable_snapshot()->mutable_metadata()->set_index(1000);
  m.mutable_snapshot()->mutable_metadata()->set_term(3);
  return m;
}

// The address of a port nothing listens on (any more).
std::string DeadAddress() {
  Sink sink;
  std::unique_ptr<Transport> t = MustStart(Options(99), sink);
  std::string addr = t->listen_address();
  t->Stop();
  return addr;
}

uint16_t PortOf(const std::string& addr) {
  uint32_t port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(addr.substr(addr.rfind(':') + 1), &port));
  return static_cast<uint16_t>(port);
}

// A POSIX socket to 127.0.0.1:port, or -1, listening if `listen`.
int Socket(uint16_t port, bool listen) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int rc =
      listen ? (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) ||
                ::listen(fd, 16))
             : ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  if (rc != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{};
  tv.tv_sec = 5;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

std::string BoundAddress(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return absl::StrCat("127.0.0.1:", ntohs(sa.sin_port));
}

bool WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// ClosedByPeer reads until the other end closes the connection (true) or
// nothing comes for the receive timeout (false).
bool ClosedByPeer(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

std::string LE(uint64_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}

std::string Hello(uint64_t from, uint64_t to) {
  return "craftkv1" + LE(from, 8) + LE(to, 8);
}

std::string Frame(const std::string& body) { return LE(body.size(), 4) + body; }

TEST(TransportTest, ExchangesMessagesBothWays) {
  Sink sa, sb;
  std::unique_ptr<Transport> a = MustStart(Options(1), sa);
  std::unique_ptr<Transport> b = MustStart(Options(2), sb);
  ASSERT_TRUE(a && b);
  a->AddPeer(2, b->listen_address());
  b->AddPeer(1, a->listen_address());

  constexpr int kRounds = 20, kBatch = 100, kTotal = kRounds * kBatch;
  for (int r = 0; r < kRounds; ++r) {
    std::vector<craft::Message> to_b, to_a;
    for (int i = 0; i < kBatch; ++i) {
      const uint64_t index = r * kBatch + i;
      to_b.push_back(App(1, 2, index, index % 7 * 100));
      to_a.push_back(App(2, 1, index, index % 5 * 100));
    }
    a->Send(std::move(to_b));
    b->Send(std::move(to_a));
  }
  ASSERT_TRUE(sb.WaitMessages(kTotal)) << sb.message_count();
  ASSERT_TRUE(sa.WaitMessages(kTotal)) << sa.message_count();
  std::vector<craft::Message> at_b = sb.messages(), at_a = sa.messages();
  for (int i = 0; i < kTotal; ++i) {
    // One connection a direction: in order.
    const craft::Message want_b = App(1, 2, i, i % 7 * 100);
    const craft::Message want_a = App(2, 1, i, i % 5 * 100);
    ASSERT_EQ(craft::EncodeMessage(at_b[i]), craft::EncodeMessage(want_b));
    ASSERT_EQ(craft::EncodeMessage(at_a[i]), craft::EncodeMessage(want_a));
  }
  EXPECT_EQ(at_b[7].entries(0).data().view(), "entry 1->2 #7");

  // A large snapshot each way, among appends.
  const craft::Message snap_ab = Snap(1, 2, 5 << 20);
  const craft::Message snap_ba = Snap(2, 1, 3 << 20);
  a->Send({App(1, 2, kTotal), snap_ab, App(1, 2, kTotal + 1)});
  b->Send({snap_ba});
  ASSERT_TRUE(sa.WaitSnapshot(2, SnapshotStatus::kFinish));
  ASSERT_TRUE(sb.WaitSnapshot(1, SnapshotStatus::kFinish));
  ASSERT_TRUE(sb.WaitMessages(kTotal + 3));
  ASSERT_TRUE(sa.WaitMessages(kTotal + 1));
  at_b = sb.messages();
  EXPECT_EQ(at_b[kTotal].index(), uint64_t{kTotal});
  EXPECT_EQ(at_b[kTotal + 1].type(), craft::raftpb::MsgSnap);
  EXPECT_EQ(at_b[kTotal + 1].snapshot().data(), snap_ab.snapshot().data());
  EXPECT_EQ(at_b[kTotal + 1].snapshot().metadata().index(), 1000u);
  EXPECT_EQ(at_b[kTotal + 2].index(), uint64_t{kTotal + 1});
  EXPECT_EQ(sa.messages()[kTotal].snapshot().data(), snap_ba.snapshot().data());

  EXPECT_TRUE(sa.all_unreachable().empty());
  EXPECT_TRUE(sb.all_unreachable().empty());
  EXPECT_EQ(sa.snapshots().size(), 1u);
  EXPECT_EQ(sb.snapshots().size(), 1u);
}

TEST(TransportTest, ReconnectsOnceThePeerIsUp) {
  const std::string b_addr = DeadAddress();
  Sink sa, sb;
  std::unique_ptr<Transport> a = MustStart(Options(1), sa);
  ASSERT_TRUE(a);
  a->AddPeer(2, b_addr);

  // Down: sends return at once (the dials fail on the I/O thread), and the
  // drops are reported, a snapshot's as a failure.
  const absl::Time start = absl::Now();
  for (int i = 0; i < 100; ++i) a->Send({App(1, 2, i)});
  a->Send({Snap(1, 2, 1024)});
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_TRUE(sa.WaitUnreachable(2));
  ASSERT_TRUE(sa.WaitSnapshot(2, SnapshotStatus::kFailure));

  // Up, on the same port: after a backoff, messages flow.
  std::unique_ptr<Transport> b = MustStart(Options(2, b_addr), sb);
  ASSERT_TRUE(b);
  const absl::Time deadline = absl::Now() + kWait;
  uint64_t index = 1000;
  while (sb.message_count() == 0 && absl::Now() < deadline) {
    a->Send({App(1, 2, index++)});
    sb.WaitMessages(1, absl::Milliseconds(20));
  }
  ASSERT_GT(sb.message_count(), 0u);
  // Connected: nothing lost from here on.
  const size_t before = sb.message_count();
  std::vector<craft::Message> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(App(1, 2, 5000 + i));
  a->Send(std::move(batch));
  ASSERT_TRUE(sb.WaitMessages(before + 100));
  std::vector<craft::Message> got = sb.messages();
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(got[before + i].index(), uint64_t(5000 + i));
  }
}

TEST(TransportTest, FullQueueDrops) {
  Sink sa, sb;
  TransportOptions o = Options(1);
  o.max_queued = 8;
  std::unique_ptr<Transport> a = MustStart(o, sa);
  std::unique_ptr<Transport> b = MustStart(Options(2), sb);
  ASSERT_TRUE(a && b);
  a->AddPeer(2, b->listen_address());

  // One call: the dial cannot finish before the queue is full.
  std::vector<craft::Message> msgs;
  for (int i = 0; i < 100; ++i) msgs.push_back(App(1, 2, i));
  msgs.push_back(Snap(1, 2, 100));
  a->Send(std::move(msgs));
  ASSERT_TRUE(sa.WaitUnreachable(2));
  ASSERT_TRUE(sa.WaitSnapshot(2, SnapshotStatus::kFailure));
  ASSERT_TRUE(sb.WaitMessages(8));
  std::vector<craft::Message> got = sb.messages();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(got[i].index(), uint64_t(i));
  // Reported once for the call, not per message.
  EXPECT_EQ(sa.unreachable(2), 1);
}

TEST(TransportTest, SlowPeerBlocksNeitherSendNorOthers) {
  // Peer 3 accepts and never reads: once the kernel's buffers are full, the
  // writes to it stall.
  const int slow = Socket(0, /*listen=*/true);
  ASSERT_GE(slow, 0);
  Sink sa, sb;
  TransportOptions o = Options(1);
  o.max_queued = 16;
  std::unique_ptr<Transport> a = MustStart(o, sa);
  std::unique_ptr<Transport> b = MustStart(Options(2), sb);
  ASSERT_TRUE(a && b);
  a->AddPeer(2, b->listen_address());
  a->AddPeer(3, BoundAddress(slow));
  a->Send({App(1, 3, 0)});
  const int conn = ::accept(slow, nullptr, nullptr);  // 5 s timeout
  ASSERT_GE(conn, 0);

  // Connected: a message of 256 KiB to the slow peer, one to peer 2, until
  // the slow peer's queue is full.
  const absl::Time deadline = absl::Now() + kWait;
  uint64_t sent_to_b = 0;
  size_t sent_to_slow = 0;
  while (sa.unreachable(3) == 0 && absl::Now() < deadline) {
    a->Send({App(1, 3, sent_to_slow++, 256 << 10), App(1, 2, sent_to_b++)});
    ASSERT_TRUE(sb.WaitMessages(sent_to_b));
  }
  ASSERT_GT(sa.unreachable(3), 0);
  // More than the queue holds: some were taken into a write, which stalled.
  EXPECT_GT(sent_to_slow, o.max_queued + 1);
  // Peer 2 got everything, in order, and still does.
  a->Send({App(1, 2, sent_to_b)});
  ASSERT_TRUE(sb.WaitMessages(sent_to_b + 1));
  std::vector<craft::Message> got = sb.messages();
  for (uint64_t i = 0; i <= sent_to_b; ++i) EXPECT_EQ(got[i].index(), i);
  EXPECT_EQ(sa.unreachable(2), 0);

  // Stop does not wait for the stalled write.
  const absl::Time start = absl::Now();
  a->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ::close(conn);
  ::close(slow);
}

TEST(TransportTest, MalformedInputClosesOnlyThatConnection) {
  Sink st, sp;
  TransportOptions o = Options(1);
  o.max_frame_bytes = 1 << 20;
  std::unique_ptr<Transport> t = MustStart(o, st);
  std::unique_ptr<Transport> p = MustStart(Options(2), sp);
  ASSERT_TRUE(t && p);
  p->AddPeer(1, t->listen_address());
  const uint16_t port = PortOf(t->listen_address());

  // A real peer first, connected throughout.
  p->Send({App(2, 1, 0)});
  ASSERT_TRUE(st.WaitMessages(1));

  std::string random(4096, '\0');
  std::mt19937 rng(42);
  for (char& c : random) c = static_cast<char>(rng());
  const std::string undecodable = "\x0f\xff\xff";  // field 1, wire type 7
  ASSERT_FALSE(craft::DecodeMessage(undecodable).ok());
  const std::string good = craft::EncodeMessage(App(9, 1, 77));

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"random bytes", random},
      {"a huge length", Hello(9, 1) + LE(0xffffffffu, 4) + "abc"},
      {"a length over max_frame_bytes",
       Hello(9, 1) + LE((1 << 20) + 1, 4) + std::string(1000, 'a')},
      {"an undecodable body", Hello(9, 1) + Frame(undecodable)},
      {"a good frame, then an undecodable one",
       Hello(9, 1) + Frame(good) + Frame(undecodable)},
      {"a hello for another member", Hello(9, 5) + Frame(good)},
      {"a message for another member",
       Hello(9, 1) + Frame(craft::EncodeMessage(App(9, 4, 1)))},
      {"a message from another sender than the hello's",
       Hello(9, 1) + Frame(craft::EncodeMessage(App(8, 1, 1)))},
      {"a hello from member 0", Hello(0, 1) + Frame(good)},
      {"a hello from this member", Hello(1, 1) + Frame(good)},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    const int fd = Socket(port, /*listen=*/false);
    ASSERT_GE(fd, 0);
    WriteAll(fd, bytes);  // may fail once the transport has closed it
    EXPECT_TRUE(ClosedByPeer(fd));
    ::close(fd);
  }
  // A message that arrived before the bad frame was delivered.
  ASSERT_TRUE(st.WaitMessages(2));
  EXPECT_EQ(st.messages()[1].index(), 77u);

  // A hand-made peer speaking the documented protocol, in pieces.
  {
    const int fd = Socket(port, /*listen=*/false);
    ASSERT_GE(fd, 0);
    const std::string bytes = Hello(9, 1) + Frame(good) + Frame(good);
    for (char c : bytes) ASSERT_TRUE(WriteAll(fd, std::string(1, c)));
    ASSERT_TRUE(st.WaitMessages(4));
    ::close(fd);
  }

  // The real peer is still served, on its connection.
  std::vector<craft::Message> msgs;
  for (int i = 1; i <= 100; ++i) msgs.push_back(App(2, 1, i));
  p->Send(std::move(msgs));
  ASSERT_TRUE(st.WaitMessages(104));
  EXPECT_EQ(st.messages().back().index(), 100u);
  EXPECT_TRUE(sp.all_unreachable().empty());
}

TEST(TransportTest, StopIsPromptWithPeersDown) {
  const int silent = Socket(0, /*listen=*/true);  // never accepts
  ASSERT_GE(silent, 0);
  Sink sa;
  std::unique_ptr<Transport> a = MustStart(Options(1), sa);
  ASSERT_TRUE(a);
  a->AddPeer(2, DeadAddress());
  a->AddPeer(3, BoundAddress(silent));
  a->AddPeer(4, "10.255.255.1:9");  // unroutable: the dial may hang
  a->AddPeer(5, "localhost:" + std::to_string(PortOf(DeadAddress())));
  for (int i = 0; i < 10; ++i) {
    a->Send({App(1, 2, i), App(1, 3, i, 1 << 20), App(1, 4, i), App(1, 5, i),
             Snap(1, 3, 1 << 20)});
  }
  ASSERT_TRUE(sa.WaitUnreachable(2));

  const absl::Time start = absl::Now();
  a->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  // Stopped: no more callbacks, whatever is called.
  const std::map<uint64_t, int> reported = sa.all_unreachable();
  const size_t snapshots = sa.snapshots().size();
  a->Send({App(1, 2, 100), App(1, 7, 100)});
  a->AddPeer(6, "127.0.0.1:1");
  a->RemovePeer(2);
  a->Stop();
  a.reset();
  EXPECT_EQ(sa.all_unreachable(), reported);
  EXPECT_EQ(sa.snapshots().size(), snapshots);
  ::close(silent);
}

TEST(TransportTest, RemovePeerStopsSending) {
  Sink sa, sb, sc;
  std::unique_ptr<Transport> a = MustStart(Options(1), sa);
  std::unique_ptr<Transport> b = MustStart(Options(2), sb);
  ASSERT_TRUE(a && b);
  a->AddPeer(2, b->listen_address());
  a->Send({App(1, 2, 0)});
  ASSERT_TRUE(sb.WaitMessages(1));

  a->RemovePeer(2);
  a->Send({App(1, 2, 1)});  // to an unknown peer now
  ASSERT_TRUE(sa.WaitUnreachable(2));

  a->AddPeer(2, b->listen_address());
  a->Send({App(1, 2, 2)});
  ASSERT_TRUE(sb.WaitMessages(2));
  std::vector<craft::Message> got = sb.messages();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].index(), 0u);
  EXPECT_EQ(got[1].index(), 2u);

  // A new address for a known peer: the messages follow it.
  std::unique_ptr<Transport> c = MustStart(Options(2), sc);
  ASSERT_TRUE(c);
  a->AddPeer(2, c->listen_address());
  a->Send({App(1, 2, 3)});
  ASSERT_TRUE(sc.WaitMessages(1));
  EXPECT_EQ(sc.messages()[0].index(), 3u);
  EXPECT_EQ(sb.message_count(), 2u);
}

TEST(TransportTest, SendToSelfIsDropped) {
  Sink sa, sb;
  std::unique_ptr<Transport> a = MustStart(Options(1), sa);
  std::unique_ptr<Transport> b = MustStart(Options(2), sb);
  ASSERT_TRUE(a && b);
  a->AddPeer(2, b->listen_address());
  a->Send({App(1, 1, 0), App(1, 2, 1)});
  ASSERT_TRUE(sb.WaitMessages(1));
  EXPECT_EQ(sb.messages()[0].index(), 1u);
  EXPECT_EQ(sa.message_count(), 0u);
  EXPECT_EQ(sa.unreachable(1), 0);
}

TEST(TransportTest, StartReportsTheAddress) {
  Sink s;
  absl::StatusOr<std::unique_ptr<Transport>> bad =
      Transport::Start(Options(1, "nonsense"), s.Callbacks());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("nonsense"), absl::string_view::npos);

  std::unique_ptr<Transport> a = MustStart(Options(1), s);
  ASSERT_TRUE(a);
  absl::StatusOr<std::unique_ptr<Transport>> taken =
      Transport::Start(Options(2, a->listen_address()), s.Callbacks());
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(taken.status().message().find(a->listen_address()),
            absl::string_view::npos)
      << taken.status();
}

}  // namespace
}  // namespace kvstore
