#include "network/dns/server.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "base/check.h"
#include "base/log.h"
#include "network/dns/listener.h"

namespace berth::network::dns {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxMessageSize = 65535;
constexpr size_t kMaxTcpClientsPerNamespace = 16;
constexpr auto kTcpIdleTimeout = std::chrono::seconds(10);
constexpr size_t kMaxForwards = 512;
// Datagrams read from one socket per wake-up, so that one busy namespace cannot starve others.
constexpr int kMaxDatagramsPerWake = 64;

// The epoll data of a socket: its kind in the top byte, the id of its owner below.
enum class Kind : uint64_t { kWake = 0, kUdpListener, kTcpListener, kTcpClient, kUpstream };
constexpr int kKindShift = 56;
uint64_t Token(Kind kind, uint64_t id) { return static_cast<uint64_t>(kind) << kKindShift | id; }

// SendAll sends a whole message on a non-blocking stream; false when it could not (the peer does
// not read, or is gone), after which the connection is dropped.
bool SendAll(int fd, std::span<const uint8_t> data) {
  ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  return n == static_cast<ssize_t>(data.size());
}

struct Namespace {
  Responder responder;
  Listeners listeners;
  size_t tcp_clients = 0;
};

struct TcpClient {
  uint64_t ns = 0;
  UniqueFd fd;
  std::vector<uint8_t> in;
  Clock::time_point deadline;
};

// A query on its way to the upstream servers.
struct Forward {
  uint64_t ns = 0;
  uint64_t tcp_client = 0;    // the client when the query came over TCP, else 0
  sockaddr_storage client{};  // the client when the query came over UDP
  socklen_t client_size = 0;
  Query query;
  std::vector<uint8_t> message;  // the query as sent upstream, with an id of the server's
  size_t upstream = 0;
  bool over_tcp = false;
  bool connecting = false;
  UniqueFd fd;
  std::vector<uint8_t> in;
  std::vector<uint8_t> truncated;  // a truncated UDP reply, relayed if the TCP one does not fit
  Clock::time_point deadline;
};

}  // namespace

class Server::Loop {
 public:
  Loop(ServerOptions options, UniqueFd epoll, UniqueFd wake)
      : options_(std::move(options)),
        epoll_(std::move(epoll)),
        wake_(std::move(wake)),
        random_(std::random_device{}()) {}

  ~Loop() {
    if (!thread_.joinable()) return;  // Begin failed
    Call([this] { stopping_ = true; });
    thread_.join();
  }

  Status Begin() {
    BERTH_TRY(Watch(wake_.get(), EPOLLIN, Token(Kind::kWake, 0)));
    thread_ = std::thread([this] { Run(); });
    return Ok();
  }

  // Call runs fn on the loop's thread and waits for it.
  void Call(std::function<void()> fn) {
    std::packaged_task<void()> task(std::move(fn));
    std::future<void> done = task.get_future();
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(std::move(task));
    }
    uint64_t one = 1;
    if (write(wake_.get(), &one, sizeof(one)) != sizeof(one)) {
      log::Error("dns server: wake its thread: {}", strerror(errno));
    }
    done.wait();
  }

  uint64_t NewId() { return next_id_.fetch_add(1); }
  const ServerOptions& options() const { return options_; }

  Status Add(uint64_t id, std::unique_ptr<Namespace> ns) {
    BERTH_TRY(Watch(ns->listeners.udp.get(), EPOLLIN, Token(Kind::kUdpListener, id)));
    BERTH_TRY(Watch(ns->listeners.tcp.get(), EPOLLIN, Token(Kind::kTcpListener, id)));
    namespaces_[id] = std::move(ns);
    return Ok();
  }

  void Remove(uint64_t id) {
    std::erase_if(clients_, [id](const auto& entry) { return entry.second.ns == id; });
    std::erase_if(forwards_, [id](const auto& entry) { return entry.second.ns == id; });
    namespaces_.erase(id);
  }

 private:
  Status Watch(int fd, uint32_t events, uint64_t token) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = token;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
      return Fail(ErrnoNow("add socket to the dns server's epoll"));
    }
    return Ok();
  }

  void Rewatch(int fd, uint32_t events, uint64_t token) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = token;
    epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event);
  }

  void Run();
  void RunCalls();
  int NextTimeoutMs();
  void Expire();
  void Dispatch(uint64_t token);
  void ReadUdp(uint64_t ns_id);
  void AcceptTcp(uint64_t ns_id);
  void ReadTcpClient(uint64_t client_id);
  void DropClient(uint64_t client_id);
  void HandleTcpMessage(uint64_t client_id, std::span<const uint8_t> message);
  void SendToClient(const Forward& forward, std::span<const uint8_t> reply);
  void StartForward(Forward forward);
  Status SendUpstream(Forward& forward, uint64_t id);
  void Attempt(uint64_t id);
  void NextUpstream(uint64_t id);
  void ReadUpstream(uint64_t id);
  void ReadUpstreamStream(uint64_t id, Forward& forward);
  void Finish(uint64_t id, std::vector<uint8_t> reply);

  ServerOptions options_;
  UniqueFd epoll_;
  UniqueFd wake_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::packaged_task<void()>> calls_;  // guarded by mutex_
  std::atomic<uint64_t> next_id_{1};
  // Owned by the loop's thread:
  bool stopping_ = false;
  std::mt19937 random_;
  std::unordered_map<uint64_t, std::unique_ptr<Namespace>> namespaces_;
  std::unordered_map<uint64_t, TcpClient> clients_;
  std::unordered_map<uint64_t, Forward> forwards_;
};

void Server::Loop::Run() {
  epoll_event events[64];
  while (!stopping_) {
    int n = epoll_wait(epoll_.get(), events, 64, NextTimeoutMs());
    // epoll_wait fails only on a bad descriptor or buffer, or a signal.
    BERTH_CHECK(n >= 0 || errno == EINTR);
    for (int i = 0; i < n; ++i) Dispatch(events[i].data.u64);
    Expire();
  }
}

void Server::Loop::RunCalls() {
  uint64_t count;
  if (read(wake_.get(), &count, sizeof(count)) < 0 && errno != EAGAIN) {
    log::Error("dns server: read its eventfd: {}", strerror(errno));
  }
  std::vector<std::packaged_task<void()>> calls;
  {
    std::lock_guard lock(mutex_);
    calls.swap(calls_);
  }
  for (auto& call : calls) call();
}

// NextTimeoutMs is the time until the earliest deadline of a TCP client or a forward (the sets are
// small: a scan is cheaper than keeping them ordered), -1 without any.
int Server::Loop::NextTimeoutMs() {
  std::optional<Clock::time_point> next;
  for (const auto& [id, client] : clients_)
    next = std::min(next.value_or(client.deadline), client.deadline);
  for (const auto& [id, forward] : forwards_)
    next = std::min(next.value_or(forward.deadline), forward.deadline);
  if (!next) return -1;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 60'000));
}

void Server::Loop::Expire() {
  Clock::time_point now = Clock::now();
  std::erase_if(clients_, [&](const auto& entry) {
    if (entry.second.deadline > now) return false;
    if (auto ns = namespaces_.find(entry.second.ns); ns != namespaces_.end()) {
      --ns->second->tcp_clients;
    }
    return true;
  });
  std::vector<uint64_t> expired;
  for (const auto& [id, forward] : forwards_) {
    if (forward.deadline <= now) expired.push_back(id);
  }
  for (uint64_t id : expired) NextUpstream(id);
}

void Server::Loop::Dispatch(uint64_t token) {
  uint64_t id = token & ((uint64_t{1} << kKindShift) - 1);
  switch (static_cast<Kind>(token >> kKindShift)) {
    case Kind::kWake:
      return RunCalls();
    case Kind::kUdpListener:
      return ReadUdp(id);
    case Kind::kTcpListener:
      return AcceptTcp(id);
    case Kind::kTcpClient:
      return ReadTcpClient(id);
    case Kind::kUpstream:
      return ReadUpstream(id);
  }
}

void Server::Loop::ReadUdp(uint64_t ns_id) {
  auto found = namespaces_.find(ns_id);
  if (found == namespaces_.end()) return;
  Namespace& ns = *found->second;
  std::vector<uint8_t> buffer(kMaxMessageSize);
  for (int i = 0; i < kMaxDatagramsPerWake; ++i) {
    Forward forward;
    forward.client_size = sizeof(forward.client);
    ssize_t n = recvfrom(ns.listeners.udp.get(), buffer.data(), buffer.size(), 0,
                         reinterpret_cast<sockaddr*>(&forward.client), &forward.client_size);
    if (n < 0) return;  // EAGAIN, or an ICMP error of an earlier reply
    std::span<const uint8_t> message(buffer.data(), static_cast<size_t>(n));
    Answer answer = ns.responder.Respond(message, /*over_tcp=*/false);
    if (answer.action == Answer::Action::kReply) {
      sendto(ns.listeners.udp.get(), answer.reply.data(), answer.reply.size(), MSG_DONTWAIT,
             reinterpret_cast<sockaddr*>(&forward.client), forward.client_size);
    } else if (answer.action == Answer::Action::kForward) {
      forward.ns = ns_id;
      forward.query = std::move(answer.query);
      forward.message.assign(message.begin(), message.end());
      StartForward(std::move(forward));
    }
  }
}

void Server::Loop::AcceptTcp(uint64_t ns_id) {
  auto found = namespaces_.find(ns_id);
  if (found == namespaces_.end()) return;
  Namespace& ns = *found->second;
  UniqueFd fd(accept4(ns.listeners.tcp.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd || ns.tcp_clients >= kMaxTcpClientsPerNamespace) return;
  uint64_t id = NewId();
  if (!Watch(fd.get(), EPOLLIN, Token(Kind::kTcpClient, id))) return;
  ++ns.tcp_clients;
  clients_[id] = TcpClient{ns_id, std::move(fd), {}, Clock::now() + kTcpIdleTimeout};
}

void Server::Loop::ReadTcpClient(uint64_t client_id) {
  auto found = clients_.find(client_id);
  if (found == clients_.end()) return;
  uint8_t buffer[4096];
  ssize_t n = recv(found->second.fd.get(), buffer, sizeof(buffer), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return DropClient(client_id);
  found->second.in.insert(found->second.in.end(), buffer, buffer + n);
  found->second.deadline = Clock::now() + kTcpIdleTimeout;
  // Answering may drop the client.
  while ((found = clients_.find(client_id)) != clients_.end()) {
    std::optional<std::vector<uint8_t>> message = TakeFramedMessage(found->second.in);
    if (!message) return;
    HandleTcpMessage(client_id, *message);
  }
}

void Server::Loop::DropClient(uint64_t client_id) {
  auto found = clients_.find(client_id);
  if (found == clients_.end()) return;
  if (auto ns = namespaces_.find(found->second.ns); ns != namespaces_.end()) {
    --ns->second->tcp_clients;
  }
  clients_.erase(found);
}

void Server::Loop::HandleTcpMessage(uint64_t client_id, std::span<const uint8_t> message) {
  const TcpClient& client = clients_.at(client_id);
  Answer answer = namespaces_.at(client.ns)->responder.Respond(message, /*over_tcp=*/true);
  if (answer.action == Answer::Action::kReply) {
    if (!SendAll(client.fd.get(), FrameForTcp(answer.reply))) DropClient(client_id);
  } else if (answer.action == Answer::Action::kForward) {
    Forward forward;
    forward.ns = client.ns;
    forward.tcp_client = client_id;
    forward.over_tcp = true;
    forward.query = std::move(answer.query);
    forward.message.assign(message.begin(), message.end());
    StartForward(std::move(forward));
  }
}

// SendToClient relays a reply to whoever asked, if still there; a TCP client that does not take
// its reply is dropped.
void Server::Loop::SendToClient(const Forward& forward, std::span<const uint8_t> reply) {
  if (forward.tcp_client != 0) {
    auto client = clients_.find(forward.tcp_client);
    if (client != clients_.end() && !SendAll(client->second.fd.get(), FrameForTcp(reply))) {
      DropClient(forward.tcp_client);
    }
    return;
  }
  auto ns = namespaces_.find(forward.ns);
  if (ns == namespaces_.end()) return;
  sendto(ns->second->listeners.udp.get(), reply.data(), reply.size(), MSG_DONTWAIT,
         reinterpret_cast<const sockaddr*>(&forward.client), forward.client_size);
}

void Server::Loop::StartForward(Forward forward) {
  if (options_.upstreams.empty() || forwards_.size() >= kMaxForwards) {
    SendToClient(forward, EncodeReply(forward.query, Rcode::kServFail, {}, kClassicUdpSize));
    return;
  }
  uint64_t id = NewId();
  // An id of the server's own keeps replies to other queries (or forged ones) from being taken.
  SetMessageId(forward.message, static_cast<uint16_t>(random_()));
  forwards_.emplace(id, std::move(forward));
  Attempt(id);
}

// Attempt sends the query to the current upstream, or to the next ones that can be reached; when
// none is left the client gets SERVFAIL.
void Server::Loop::Attempt(uint64_t id) {
  Forward& forward = forwards_.at(id);
  while (forward.upstream < options_.upstreams.size()) {
    Status sent = SendUpstream(forward, id);
    if (sent) return;
    log::Debug("dns server: forward to upstream {}: {}", forward.upstream, sent.error().message());
    ++forward.upstream;
  }
  SendToClient(forward, EncodeReply(forward.query, Rcode::kServFail, {}, kClassicUdpSize));
  forwards_.erase(id);
}

Status Server::Loop::SendUpstream(Forward& forward, uint64_t id) {
  const Upstream& upstream = options_.upstreams[forward.upstream];
  forward.fd.Reset();
  forward.in.clear();
  int type = forward.over_tcp ? SOCK_STREAM : SOCK_DGRAM;
  forward.fd = UniqueFd(
      socket(upstream.address.v6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!forward.fd) return Fail(ErrnoNow("create upstream socket"));
  sockaddr_storage addr;
  socklen_t size = ToSocketAddress(upstream.address, upstream.port, &addr);
  int rc = connect(forward.fd.get(), reinterpret_cast<sockaddr*>(&addr), size);
  if (rc != 0 && !(forward.over_tcp && errno == EINPROGRESS)) {
    return Fail(ErrnoNow("connect to " + upstream.address.ToString()));
  }
  forward.connecting = forward.over_tcp;
  if (!forward.over_tcp &&
      send(forward.fd.get(), forward.message.data(), forward.message.size(), 0) < 0) {
    return Fail(ErrnoNow("send to " + upstream.address.ToString()));
  }
  BERTH_TRY(
      Watch(forward.fd.get(), forward.over_tcp ? EPOLLOUT : EPOLLIN, Token(Kind::kUpstream, id)));
  forward.deadline = Clock::now() + std::chrono::milliseconds(options_.upstream_timeout_ms);
  return Ok();
}

// NextUpstream gives up on the current upstream (it timed out or failed). A UDP client that
// already has a truncated reply gets that one rather than waiting for more.
void Server::Loop::NextUpstream(uint64_t id) {
  Forward& forward = forwards_.at(id);
  if (!forward.truncated.empty()) return Finish(id, std::move(forward.truncated));
  forward.over_tcp = forward.tcp_client != 0;
  ++forward.upstream;
  Attempt(id);
}

void Server::Loop::ReadUpstream(uint64_t id) {
  auto found = forwards_.find(id);
  if (found == forwards_.end()) return;
  Forward& forward = found->second;
  if (forward.over_tcp) return ReadUpstreamStream(id, forward);
  std::vector<uint8_t> reply(kMaxMessageSize);
  ssize_t n = recv(forward.fd.get(), reply.data(), reply.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n < 0) return NextUpstream(id);  // e.g. ECONNREFUSED: nothing listens there
  reply.resize(static_cast<size_t>(n));
  if (reply.size() < kHeaderSize || !IsResponse(reply) ||
      MessageId(reply) != MessageId(forward.message)) {
    return;  // not the reply; keep waiting
  }
  if (IsTruncated(reply)) {
    // Ask the same upstream again over TCP (RFC 7766 5); the truncated reply is kept in case the
    // whole one does not fit the client's UDP size either.
    forward.truncated = std::move(reply);
    forward.over_tcp = true;
    if (SendUpstream(forward, id)) return;
    return Finish(id, std::move(forward.truncated));
  }
  Finish(id, std::move(reply));
}

void Server::Loop::ReadUpstreamStream(uint64_t id, Forward& forward) {
  if (forward.connecting) {
    int error = 0;
    socklen_t size = sizeof(error);
    getsockopt(forward.fd.get(), SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0 || !SendAll(forward.fd.get(), FrameForTcp(forward.message))) {
      return NextUpstream(id);
    }
    forward.connecting = false;
    Rewatch(forward.fd.get(), EPOLLIN, Token(Kind::kUpstream, id));
    return;
  }
  uint8_t buffer[4096];
  ssize_t n = recv(forward.fd.get(), buffer, sizeof(buffer), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return NextUpstream(id);
  forward.in.insert(forward.in.end(), buffer, buffer + n);
  std::optional<std::vector<uint8_t>> reply = TakeFramedMessage(forward.in);
  if (!reply) return;
  if (reply->size() < kHeaderSize || MessageId(*reply) != MessageId(forward.message)) {
    return NextUpstream(id);
  }
  Finish(id, std::move(*reply));
}

// Finish relays an upstream's reply unchanged but for the client's id, and ends the forward.
void Server::Loop::Finish(uint64_t id, std::vector<uint8_t> reply) {
  Forward& forward = forwards_.at(id);
  if (forward.tcp_client == 0 && reply.size() > forward.query.udp_size &&
      !forward.truncated.empty()) {
    reply = std::move(forward.truncated);
  }
  SetMessageId(reply, forward.query.id);
  SendToClient(forward, reply);
  forwards_.erase(id);
}

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return Fail(ErrnoNow("create the dns server's epoll"));
  UniqueFd wake(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake) return Fail(ErrnoNow("create the dns server's eventfd"));
  auto loop = std::make_unique<Loop>(std::move(options), std::move(epoll), std::move(wake));
  BERTH_TRY(loop->Begin());
  return std::unique_ptr<Server>(new Server(std::move(loop)));
}

Server::Server(std::unique_ptr<Loop> loop) : loop_(std::move(loop)) {}

Server::~Server() = default;

Result<Registration> Server::Serve(int netns_fd, Lookup lookup,
                                   std::vector<std::string> search_domains) {
  BERTH_ASSIGN_OR_RETURN(Listeners listeners,
                         Listen(netns_fd, loop_->options().listen_address, loop_->options().port));
  Registration registration{loop_->NewId(), listeners.udp_port, listeners.tcp_port};
  auto ns = std::make_unique<Namespace>(
      Namespace{Responder(std::move(lookup), std::move(search_domains)), std::move(listeners)});
  Status added = Ok();
  loop_->Call([&] { added = loop_->Add(registration.id, std::move(ns)); });
  BERTH_TRY(added);
  return registration;
}

void Server::Stop(const Registration& registration) {
  loop_->Call([&] { loop_->Remove(registration.id); });
}

}  // namespace berth::network::dns
