// The listening sockets of the Engine API server: a unix socket (a stale socket file is replaced,
// a live one refused; mode and group applied) or a TCP address, plain or with its TLS context. A
// Listener owns its socket and removes its socket file when closed. Listening sockets are
// non-blocking (a connection reset between poll and accept must not block the accept loop). Not
// thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/server.h"
#include "http/tls.h"

namespace berth::http {

class Listener {
 public:
  // Open binds and listens on spec.address. Errors: kInvalidArgument (malformed address),
  // kAlreadyExists (a live server holds the unix socket), or the kind of the failed call.
  static Result<Listener> Open(const ListenSpec& spec);

  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();

  int fd() const { return fd_.get(); }
  // The address bound, with the port chosen for tcp port 0: "tcp://127.0.0.1:43127".
  const std::string& address() const { return address_; }
  // The socket family (AF_UNIX, AF_INET, AF_INET6) of the connections it accepts.
  int family() const { return family_; }
  // The TLS of its connections; null for plain ones.
  const std::shared_ptr<const TlsContext>& tls_context() const { return tls_; }

 private:
  Listener() = default;
  static Result<Listener> OpenUnix(const ListenSpec& spec);
  static Result<Listener> OpenTcp(const ListenSpec& spec);
  void Close();

  UniqueFd fd_;
  std::string address_;
  int family_ = 0;
  std::shared_ptr<const TlsContext> tls_;
  std::string unix_path_;  // removed on close when it is still our socket
  dev_t unix_dev_ = 0;
  ino_t unix_ino_ = 0;
};

}  // namespace berth::http
