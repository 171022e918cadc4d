// Serving one accepted connection of the Engine API server on the calling thread: requests are
// parsed by Boost.Beast (which stays inside connection.cc), routed, and answered through a
// ResponseWriter, until the client closes, asks to close, a handler hijacks the socket, or the
// server shuts the socket down through its SocketGuard. ConnectionServer is shared read-only by
// every connection thread of a Server; a SocketGuard is shared by one connection and Server::Stop.
#pragma once

#include <memory>
#include <mutex>

#include "base/unique_fd.h"
#include "http/server.h"
#include "http/tls.h"

namespace berth::http {

// SocketGuard lets Server::Stop shut a connection's socket down while its thread is blocked on
// it, and never touch it once the connection released it (to close it, or to a hijacking
// handler who may close it and see the number reused). Thread-safe.
class SocketGuard {
 public:
  explicit SocketGuard(int fd) : fd_(fd) {}
  SocketGuard(const SocketGuard&) = delete;
  SocketGuard& operator=(const SocketGuard&) = delete;

  // Shutdown shuts the socket down both ways (a blocked read sees the end of the stream), unless
  // it was released.
  void Shutdown();
  // Release makes Shutdown a no-op from now on.
  void Release();

 private:
  std::mutex mu_;
  int fd_;
};

class ConnectionServer {
 public:
  // router and options must outlive the ConnectionServer.
  ConnectionServer(const Router& router, const ServerOptions& options);
  ~ConnectionServer();
  ConnectionServer(const ConnectionServer&) = delete;
  ConnectionServer& operator=(const ConnectionServer&) = delete;

  // Serve answers the requests arriving on fd, a connected stream socket of this family
  // (AF_UNIX, AF_INET, AF_INET6), over TLS when tls is set (the handshake first), and returns
  // when the connection is over. It releases guard before the socket is closed or handed to a
  // hijacking handler.
  void Serve(UniqueFd fd, int family, const TlsContext* tls, SocketGuard* guard) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::http
