// Server: the accept loop polls every listener and an eventfd that Stop signals; each accepted
// connection is served on a thread of its own (connection.cc) and tracked so that Stop can shut
// its socket down and join the thread. Finished threads are joined as new connections arrive;
// when the last open connection ends, the allocator's free memory is given back.
#include "http/server.h"

#include <malloc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "base/check.h"
#include "base/log.h"
#include "http/connection.h"
#include "http/listener.h"

namespace berth::http {
namespace {

// After accept fails for want of descriptors or memory, the loop waits this long before trying
// again, rather than spinning on a listener that stays readable.
constexpr int kAcceptBackoffMs = 100;

}  // namespace

struct Server::Impl {
  struct Connection {
    explicit Connection(int fd) : guard(fd) {}
    SocketGuard guard;
    std::thread thread;
    std::atomic<bool> done = false;
  };

  Impl(Router r, ServerOptions o)
      : router(std::move(r)), options(std::move(o)), connections(router, options) {}

  void AcceptLoop(std::vector<pollfd> fds, const std::vector<const Listener*>& from);
  void Accept(const Listener& listener);
  void StartConnection(UniqueFd fd, const Listener& listener);
  void JoinFinished();

  const Router router;
  const ServerOptions options;
  const ConnectionServer connections;
  UniqueFd wake;  // readable once Stop was called

  std::mutex stop_mu;  // one Stop at a time
  std::mutex mu;       // guards what follows
  std::condition_variable serve_ended;
  std::vector<Listener> listeners;
  std::list<std::unique_ptr<Connection>> open;
  std::atomic<size_t> serving_connections = 0;  // connections whose thread has not ended yet
  bool serving = false;
  bool stopping = false;
};

void Server::Impl::AcceptLoop(std::vector<pollfd> fds, const std::vector<const Listener*>& from) {
  while (true) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      log::Error("accept connections: poll: {}", std::strerror(errno));
      return;
    }
    if (fds.back().revents != 0) return;  // Stop
    for (size_t i = 0; i + 1 < fds.size(); ++i) {
      if (fds[i].revents != 0) Accept(*from[i]);
    }
    JoinFinished();
  }
}

void Server::Impl::Accept(const Listener& listener) {
  UniqueFd fd(accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
  if (fd) {
    StartConnection(std::move(fd), listener);
    return;
  }
  int err = errno;
  if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) return;
  log::Warn("accept connection: {}", std::strerror(err));
  if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
    pollfd stop{wake.get(), POLLIN, 0};
    poll(&stop, 1, kAcceptBackoffMs);
  }
}

void Server::Impl::StartConnection(UniqueFd fd, const Listener& listener) {
  std::lock_guard lock(mu);
  if (stopping) return;
  auto connection = std::make_unique<Connection>(fd.get());
  Connection* c = connection.get();
  try {
    ++serving_connections;
    // The context is shared: a connection may outlive its listener (Stop closes listeners
    // before it joins connections).
    c->thread = std::thread([this, c, family = listener.family(), tls = listener.tls_context(),
                             fd = std::move(fd)]() mutable {
      connections.Serve(std::move(fd), family, tls.get(), &c->guard);
      c->done = true;
      // Each connection's thread allocates from a malloc arena of its own while others are busy,
      // and an arena keeps what was freed in it: when the last connection ends, the free memory
      // of every arena goes back to the kernel, so that a burst of requests leaves none behind.
      if (--serving_connections == 0) malloc_trim(0);
    });
  } catch (const std::system_error& e) {
    --serving_connections;
    log::Warn("serve connection: start thread: {}", e.what());
    return;
  }
  open.push_back(std::move(connection));
}

void Server::Impl::JoinFinished() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mu);
    for (auto it = open.begin(); it != open.end();) {
      auto next = std::next(it);
      if ((*it)->done) finished.splice(finished.end(), open, it);
      it = next;
    }
  }
  for (auto& c : finished) c->thread.join();
}

Server::Server(Router router, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(router), std::move(options))) {
  impl_->wake.Reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  BERTH_CHECK(impl_->wake.valid());
}

Server::~Server() { Stop(); }

Result<std::string> Server::Listen(const ListenSpec& spec) {
  std::lock_guard lock(impl_->mu);
  if (impl_->serving || impl_->stopping) {
    return Fail(ErrorKind::kFailedPrecondition,
                "listen on " + spec.address + ": the server is already serving or stopped");
  }
  BERTH_ASSIGN_OR_RETURN(Listener listener, Listener::Open(spec));
  std::string address = listener.address();
  impl_->listeners.push_back(std::move(listener));
  return address;
}

void Server::Serve() {
  std::vector<pollfd> fds;
  std::vector<const Listener*> from;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->serving || impl_->stopping) return;
    impl_->serving = true;
    for (const Listener& listener : impl_->listeners) {
      fds.push_back({listener.fd(), POLLIN, 0});
      from.push_back(&listener);
    }
  }
  fds.push_back({impl_->wake.get(), POLLIN, 0});
  impl_->AcceptLoop(std::move(fds), from);
  // Notified under the lock: once Stop sees serving false it may return and the Server be
  // destroyed, so nothing here may touch it after the unlock.
  std::lock_guard lock(impl_->mu);
  impl_->serving = false;
  impl_->serve_ended.notify_all();
}

void Server::Stop() {
  std::lock_guard stop_lock(impl_->stop_mu);
  std::list<std::unique_ptr<Impl::Connection>> open;
  {
    std::unique_lock lock(impl_->mu);
    impl_->stopping = true;
    uint64_t one = 1;
    (void)!write(impl_->wake.get(), &one, sizeof(one));
    impl_->serve_ended.wait(lock, [&] { return !impl_->serving; });
    impl_->listeners.clear();
    open.swap(impl_->open);
    for (auto& c : open) c->guard.Shutdown();
  }
  for (auto& c : open) {
    // A handler that stopped its own server would wait for itself here.
    BERTH_CHECK(c->thread.get_id() != std::this_thread::get_id());
    c->thread.join();
  }
}

}  // namespace berth::http
