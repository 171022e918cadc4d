// TLS on OpenSSL for the server's TCP listeners and for clients over TCP (the Engine API client).
// A TlsContext owns one SSL_CTX (certificate chain, private key, the CAs that verify the peer):
// built once, then shared read-only by every connection (thread-safe). A TlsSession is one TLS
// connection over a connected blocking socket it owns, used by one thread at a time; Relay hands
// a session to a thread of its own and gives its holder a plain socket instead (a hijacked
// connection). The process must ignore SIGPIPE: a write to a peer that went away fails (EPIPE).
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

struct ssl_ctx_st;
struct ssl_st;

namespace berth::http {

struct TlsServerConfig {
  std::string cert_file;  // PEM: the server's certificate, then its chain
  std::string key_file;   // PEM: the certificate's private key
  // When set, every client must present a certificate signed by one of these CAs (PEM).
  std::string client_ca_file;
};

struct TlsClientConfig {
  bool verify = true;     // false accepts any server certificate (docker's --tls without verify)
  std::string ca_file;    // the CAs that verify the server (PEM); empty: the system's
  std::string cert_file;  // a client certificate (PEM) with key_file, or empty
  std::string key_file;
};

class TlsSession;

class TlsContext {
 public:
  // Server and Client read the files; a file that is missing or unreadable, holds no
  // certificate or key, or a key that does not match its certificate is kInvalidArgument
  // naming the file.
  static Result<std::shared_ptr<const TlsContext>> Server(const TlsServerConfig& config);
  static Result<std::shared_ptr<const TlsContext>> Client(const TlsClientConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // NewSession takes a connected socket; the handshake is TlsSession::Handshake. For a client
  // context, host (a name or an IP address) is what the server's certificate must name; a name
  // is also sent as the server name (SNI).
  Result<std::unique_ptr<TlsSession>> NewSession(UniqueFd fd, const std::string& host = "") const;

 private:
  TlsContext(ssl_ctx_st* ctx, bool server, bool verify)
      : ctx_(ctx), server_(server), verify_(verify) {}

  ssl_ctx_st* ctx_;
  bool server_;
  bool verify_;
};

class TlsSession {
 public:
  ~TlsSession();  // closes the socket (without close_notify: see CloseNotify)
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  int fd() const { return fd_.get(); }
  // Handshake runs the TLS handshake: kUnavailable with OpenSSL's reason (a certificate that
  // does not verify, a client without a certificate, a peer that speaks no TLS).
  Status Handshake();
  // Read fills up to size bytes; 0 at the peer's close_notify or the end of the stream.
  Result<size_t> Read(char* data, size_t size);
  // Write sends size bytes (some of them when the socket takes no more at once); returns how
  // many were sent.
  Result<size_t> Write(const char* data, size_t size);
  // CloseNotify ends this side's stream (the peer reads its end); reading may go on.
  Status CloseNotify();

  // Relay gives session to a thread of its own that copies between it and a new socket pair,
  // and returns the other end of the pair (blocking, close-on-exec): what the peer sends can be
  // read there, what is written there reaches the peer. An end of stream travels both ways (the
  // peer's close_notify becomes a shutdown for writing of the returned socket, and that
  // shutdown a close_notify); the thread ends when the returned socket is closed or the peer's
  // connection fails.
  static Result<UniqueFd> Relay(std::unique_ptr<TlsSession> session);

 private:
  friend class TlsContext;
  TlsSession(ssl_st* ssl, UniqueFd fd) : ssl_(ssl), fd_(std::move(fd)) {}
  // Pump is the relay's loop over the socket pair's end pair (non-blocking, as is the session's).
  void Pump(UniqueFd pair);

  ssl_st* ssl_;
  UniqueFd fd_;
};

}  // namespace berth::http
