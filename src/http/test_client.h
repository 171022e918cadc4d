// A raw HTTP/1.1 client over a plain socket or TLS for the server's tests: requests are written
// byte for byte as a test spells them, responses read back piece by piece (a head, one chunk, the
// raw stream of a hijacked connection), so a test sees exactly what went over the wire. Reads time
// out after ten seconds so a broken server fails a test instead of hanging it. One thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/server.h"
#include "http/tls.h"

namespace berth::http {

struct RawResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;

  // Header returns the first header of that name (case-insensitive).
  std::optional<std::string> Header(std::string_view name) const;
};

class TestClient {
 public:
  // ConnectUnix and ConnectTcp return a client whose fd is invalid (and record a test failure)
  // when the connection fails.
  static TestClient ConnectUnix(const std::string& path);
  static TestClient ConnectTcp(const std::string& host, int port);
  // ConnectTls connects to host:port and runs the TLS handshake with a client context; the
  // handshake's error when it fails.
  static Result<TestClient> ConnectTls(const std::string& host, int port, const TlsContext& tls);

  bool connected() const { return fd() >= 0; }
  int fd() const { return tls_ ? tls_->fd() : fd_.get(); }
  // Send writes all of data; false when the server closed the connection.
  bool Send(std::string_view data);
  // CloseWrite ends what the client sends (a shutdown for writing, or TLS's close_notify).
  void CloseWrite();
  // ReadHead reads a status line and headers (the body stays unread).
  RawResponse ReadHead();
  // ReadChunk reads one chunk of a chunked body; nullopt for the last (empty) chunk.
  std::optional<std::string> ReadChunk();
  // ReadResponse reads a whole response: head, then the body by Content-Length, chunks, or up
  // to the end of the stream; no body after a HEAD request or for 1xx, 204, 304.
  RawResponse ReadResponse(bool head_request = false);
  std::string ReadExactly(size_t size);
  std::string ReadToEnd();
  // AtEnd says whether the server closed the connection (nothing more to read).
  bool AtEnd();

 private:
  explicit TestClient(UniqueFd fd) : fd_(std::move(fd)) {}
  explicit TestClient(std::unique_ptr<TlsSession> tls) : tls_(std::move(tls)) {}
  bool Fill();
  std::string ReadLine();

  UniqueFd fd_;
  std::unique_ptr<TlsSession> tls_;
  std::string buffer_;
};

}  // namespace berth::http
