// Server: berthd's embedded DNS server. One Server per daemon serves every container of the
// user-defined networks: in each registered network namespace it listens on 127.0.0.11:53 over UDP
// and TCP, answers the names of that namespace's Lookup and forwards the others to the upstream
// servers (the host's resolv.conf). One thread owns every socket (epoll); the listening sockets
// are created inside the namespace and stay tied to it, the upstream sockets belong to the
// namespace that called Start (the host's), so a loopback resolver of the host works too.
// Serve and Stop may be called from any thread except the server's own (not from a Lookup).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "network/dns/address.h"
#include "network/dns/resolv_conf.h"
#include "network/dns/responder.h"

namespace berth::network::dns {

struct Upstream {
  IpAddress address;
  uint16_t port = 53;
};

struct ServerOptions {
  // Tried in order for each forwarded query, each for upstream_timeout_ms; with none, names the
  // Lookup does not know get SERVFAIL.
  std::vector<Upstream> upstreams;
  int upstream_timeout_ms = 2000;
  // Where to listen in each namespace; port 0 picks an ephemeral port per socket (tests).
  IpAddress listen_address = EmbeddedServerAddress();
  uint16_t port = 53;
};

// Registration names one served namespace, and the ports its sockets got.
struct Registration {
  uint64_t id = 0;
  uint16_t udp_port = 0;
  uint16_t tcp_port = 0;
};

class Server {
 public:
  // Start starts the server's thread. Errors: the system's (epoll, eventfd).
  static Result<std::unique_ptr<Server>> Start(ServerOptions options);
  // Closes every socket and joins the thread.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serve listens in the network namespace netns_fd (an open /proc/PID/ns/net or /run/netns
  // file; not kept; -1 for the caller's own namespace) and answers it from lookup; the loopback
  // interface must be up there. search_domains are stripped from the names asked. Errors: the
  // system's, naming the step (entering the namespace; binding the address, errno EADDRINUSE
  // when the namespace is served already).
  Result<Registration> Serve(int netns_fd, Lookup lookup, std::vector<std::string> search_domains);
  // Stop closes the registration's sockets; once it returns its Lookup is no longer called. An
  // unknown registration is ignored.
  void Stop(const Registration& registration);

 private:
  class Loop;
  explicit Server(std::unique_ptr<Loop> loop);
  std::unique_ptr<Loop> loop_;
};

}  // namespace berth::network::dns
