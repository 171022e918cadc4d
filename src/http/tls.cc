#include "http/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>
#include <thread>
#include <vector>

#include "base/log.h"

namespace berth::http {
namespace {

// What the relay holds of one direction at most before it waits for the receiver.
constexpr size_t kRelayBuffer = 64 << 10;

// OpenSslReason takes OpenSSL's queued errors and returns the reason of the first.
std::string OpenSslReason() {
  std::string reason;
  while (unsigned long code = ERR_get_error()) {
    const char* text = ERR_reason_error_string(code);
    if (reason.empty()) reason = text != nullptr ? text : "error " + std::to_string(code);
  }
  return reason.empty() ? "unknown TLS error" : reason;
}

// Readable opens path once, so that a missing or unreadable file is named with its errno
// before OpenSSL reads it.
Status Readable(const std::string& path, std::string_view what) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("open TLS " + std::string(what) + " " + path));
  return Ok();
}

Error Invalid(std::string_view what, const std::string& path) {
  return Error(ErrorKind::kInvalidArgument,
               "load TLS " + std::string(what) + " " + path + ": " + OpenSslReason());
}

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

Result<CtxPtr> NewCtx(const SSL_METHOD* method) {
  CtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) return Fail(ErrorKind::kInternal, "create TLS context: " + OpenSslReason());
  // TLS 1.2 is the oldest docker accepts. Partial writes let a non-blocking relay retry a write
  // with what is left; an end of stream without close_notify reads as an end (the HTTP framing,
  // not TLS, tells a whole message from a truncated one).
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  return ctx;
}

// UseCertificate loads a certificate chain and its key and checks that they belong together.
Status UseCertificate(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file) {
  BERTH_TRY(Readable(cert_file, "certificate"));
  BERTH_TRY(Readable(key_file, "key"));
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Fail(Invalid("certificate", cert_file));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return Fail(ErrorKind::kInvalidArgument,
                  "TLS key " + key_file + " does not match certificate " + cert_file);
    }
    return Fail(Invalid("key", key_file));
  }
  return Ok();
}

Status LoadCa(SSL_CTX* ctx, const std::string& ca_file) {
  BERTH_TRY(Readable(ca_file, "CA certificate"));
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    return Fail(Invalid("CA certificate", ca_file));
  }
  return Ok();
}

// SessionError describes a failed TLS call on a session.
Error SessionError(SSL* ssl, int result, std::string_view what) {
  int error = SSL_get_error(ssl, result);
  if (error == SSL_ERROR_SYSCALL && errno != 0) return ErrnoNow(what);
  if (error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN) {
    return Error(ErrorKind::kUnavailable, std::string(what) + ": the peer closed the connection");
  }
  std::string reason = OpenSslReason();
  long verified = SSL_get_verify_result(ssl);
  if (verified != X509_V_OK)
    reason += " (" + std::string(X509_verify_cert_error_string(verified)) + ")";
  return Error(ErrorKind::kUnavailable, std::string(what) + ": " + reason);
}

void SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

Result<std::shared_ptr<const TlsContext>> TlsContext::Server(const TlsServerConfig& config) {
  BERTH_ASSIGN_OR_RETURN(CtxPtr ctx, NewCtx(TLS_server_method()));
  BERTH_TRY(UseCertificate(ctx.get(), config.cert_file, config.key_file));
  if (!config.client_ca_file.empty()) {
    BERTH_TRY(LoadCa(ctx.get(), config.client_ca_file));
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.client_ca_file.c_str());
    if (names == nullptr) return Fail(Invalid("CA certificate", config.client_ca_file));
    SSL_CTX_set_client_CA_list(ctx.get(), names);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return std::shared_ptr<const TlsContext>(new TlsContext(ctx.release(), true, false));
}

Result<std::shared_ptr<const TlsContext>> TlsContext::Client(const TlsClientConfig& config) {
  BERTH_ASSIGN_OR_RETURN(CtxPtr ctx, NewCtx(TLS_client_method()));
  if (config.verify) {
    if (config.ca_file.empty()) {
      SSL_CTX_set_default_verify_paths(ctx.get());
    } else {
      BERTH_TRY(LoadCa(ctx.get(), config.ca_file));
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  if (!config.cert_file.empty() || !config.key_file.empty()) {
    BERTH_TRY(UseCertificate(ctx.get(), config.cert_file, config.key_file));
  }
  return std::shared_ptr<const TlsContext>(new TlsContext(ctx.release(), false, config.verify));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Result<std::unique_ptr<TlsSession>> TlsContext::NewSession(UniqueFd fd,
                                                           const std::string& host) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return Fail(ErrorKind::kInternal, "create TLS session: " + OpenSslReason());
  std::unique_ptr<TlsSession> session(new TlsSession(ssl, std::move(fd)));
  if (SSL_set_fd(ssl, session->fd()) != 1) {
    return Fail(ErrorKind::kInternal, "create TLS session: " + OpenSslReason());
  }
  if (server_) {
    SSL_set_accept_state(ssl);
    return session;
  }
  SSL_set_connect_state(ssl);
  in6_addr ip{};
  const bool is_ip =
      inet_pton(AF_INET, host.c_str(), &ip) == 1 || inet_pton(AF_INET6, host.c_str(), &ip) == 1;
  if (!is_ip && !host.empty()) SSL_set_tlsext_host_name(ssl, host.c_str());
  if (verify_ && !host.empty()) {
    int named = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str())
                      : SSL_set1_host(ssl, host.c_str());
    if (named != 1) {
      return Fail(ErrorKind::kInvalidArgument,
                  "TLS server name \"" + host + "\": " + OpenSslReason());
    }
  }
  return session;
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

Status TlsSession::Handshake() {
  ERR_clear_error();
  int result = SSL_do_handshake(ssl_);
  if (result == 1) return Ok();
  if (SSL_is_server(ssl_) == 1 && ERR_GET_REASON(ERR_peek_error()) == SSL_R_HTTP_REQUEST) {
    // A client that speaks plain HTTP to the TLS port hears why, as from Go's servers.
    static constexpr std::string_view kAnswer =
        "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
    (void)!send(fd_.get(), kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL);
    ERR_clear_error();
    return Fail(ErrorKind::kInvalidArgument, "TLS handshake: the client sent plain HTTP");
  }
  return Fail(SessionError(ssl_, result, "TLS handshake"));
}

Result<size_t> TlsSession::Read(char* data, size_t size) {
  ERR_clear_error();
  size_t read = 0;
  if (SSL_read_ex(ssl_, data, size, &read) == 1) return read;
  if (SSL_get_error(ssl_, 0) == SSL_ERROR_ZERO_RETURN) return size_t{0};
  return Fail(SessionError(ssl_, 0, "TLS read"));
}

Result<size_t> TlsSession::Write(const char* data, size_t size) {
  ERR_clear_error();
  size_t written = 0;
  if (SSL_write_ex(ssl_, data, size, &written) == 1) return written;
  return Fail(SessionError(ssl_, 0, "TLS write"));
}

Status TlsSession::CloseNotify() {
  ERR_clear_error();
  int result = SSL_shutdown(ssl_);
  if (result >= 0) return Ok();
  return Fail(SessionError(ssl_, result, "TLS close_notify"));
}

Result<UniqueFd> TlsSession::Relay(std::unique_ptr<TlsSession> session) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return Fail(ErrnoNow("relay TLS connection: socketpair"));
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  try {
    std::thread([session = std::move(session), ours = std::move(ours)]() mutable {
      session->Pump(std::move(ours));
    }).detach();
  } catch (const std::system_error& e) {
    return Fail(ErrorKind::kResourceExhausted,
                std::string("relay TLS connection: start thread: ") + e.what());
  }
  return theirs;
}

namespace {

// A direction of the relay: bytes received and not yet passed on.
struct Pending {
  std::vector<char> data = std::vector<char>(kRelayBuffer);
  size_t begin = 0;
  size_t end = 0;

  bool empty() const { return begin == end; }
  void Fill(size_t size) { begin = 0, end = size; }
};

// TlsWant turns what a non-blocking TLS call waits for into poll events; 0 when it failed.
short TlsWant(SSL* ssl, int result) {
  int error = SSL_get_error(ssl, result);
  if (error == SSL_ERROR_WANT_READ) return POLLIN;
  if (error == SSL_ERROR_WANT_WRITE) return POLLOUT;
  return 0;
}

}  // namespace

void TlsSession::Pump(UniqueFd pair) {
  SetNonBlocking(fd_.get());
  Pending to_holder, to_peer;
  bool peer_ended = false;    // the peer's stream is over (close_notify, or the connection)
  bool holder_shut = false;   // ...and the holder's end was shut down for writing
  bool holder_ended = false;  // the holder shut its end down for writing, or closed it
  bool holder_gone = false;   // the holder closed its end: nothing more reaches it
  bool notified = false;      // close_notify was sent
  bool hung_up = false;       // poll saw the holder's end hang up
  while (!(notified && (holder_gone || holder_shut))) {
    ERR_clear_error();
    short tls_events = 0, pair_events = 0;
    bool moved = false;
    if (!peer_ended && !holder_gone && to_holder.empty()) {
      size_t n = 0;
      if (SSL_read_ex(ssl_, to_holder.data.data(), to_holder.data.size(), &n) == 1) {
        to_holder.Fill(n), moved = true;
      } else if (SSL_get_error(ssl_, 0) == SSL_ERROR_ZERO_RETURN) {
        peer_ended = true, moved = true;
      } else if (short want = TlsWant(ssl_, 0)) {
        tls_events |= want;
      } else {
        log::Debug("relay TLS connection: {}", SessionError(ssl_, 0, "read").message());
        return;
      }
    }
    if (!to_holder.empty()) {
      ssize_t n = send(pair.get(), to_holder.data.data() + to_holder.begin,
                       to_holder.end - to_holder.begin, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        to_holder.begin += static_cast<size_t>(n), moved = true;
      } else if (errno == EAGAIN || errno == EINTR) {
        pair_events |= POLLOUT;
      } else {
        holder_gone = true, to_holder.Fill(0);
      }
    }
    if (peer_ended && to_holder.empty() && !holder_shut && !holder_gone) {
      shutdown(pair.get(), SHUT_WR);
      holder_shut = moved = true;
    }
    if (!holder_ended && to_peer.empty()) {
      ssize_t n = recv(pair.get(), to_peer.data.data(), to_peer.data.size(), MSG_DONTWAIT);
      if (n > 0) {
        to_peer.Fill(static_cast<size_t>(n)), moved = true;
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        pair_events |= POLLIN;
      } else {
        holder_ended = moved = true;
        if (n < 0) holder_gone = true;
      }
    }
    if (!to_peer.empty()) {
      size_t n = 0;
      if (SSL_write_ex(ssl_, to_peer.data.data() + to_peer.begin, to_peer.end - to_peer.begin,
                       &n) == 1) {
        to_peer.begin += n, moved = true;
      } else if (short want = TlsWant(ssl_, 0)) {
        tls_events |= want;
      } else {
        log::Debug("relay TLS connection: {}", SessionError(ssl_, 0, "write").message());
        return;
      }
    }
    if (holder_ended && to_peer.empty() && !notified) {
      int result = SSL_shutdown(ssl_);
      if (result >= 0) {
        notified = moved = true;
      } else if (short want = TlsWant(ssl_, result)) {
        tls_events |= want;
      } else {
        return;
      }
    }
    if (moved) continue;
    // A socket is polled only for what a call waits on (a hang-up is reported whatever the
    // events, and would wake the loop again and again), but for the holder's end: its hang-up
    // is how a holder that closed it is noticed while the relay waits on the peer.
    pollfd fds[2] = {{tls_events != 0 ? fd_.get() : -1, tls_events, 0},
                     {pair_events != 0 || !hung_up ? pair.get() : -1, pair_events, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if ((fds[1].revents & POLLHUP) != 0) {
      hung_up = true;
      // Shut down both ways: closed, unless this side's shutdown made half of the hang-up.
      if (!holder_shut) holder_gone = true;
    }
  }
}

}  // namespace berth::http
