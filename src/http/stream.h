// Stream: a connected socket as Beast's synchronous stream, carrying plain bytes or TLS through
// a TlsSession. The server's connections (connection.cc) and the Engine API client
// (client/client.cc) read and write HTTP over it; they are the only files that include it (it
// brings Boost.Asio's buffer sequences). One thread at a time.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/tls.h"

namespace berth::http {

class Stream {
 public:
  explicit Stream(UniqueFd fd) : fd_(std::move(fd)) {}
  explicit Stream(std::unique_ptr<TlsSession> tls) : tls_(std::move(tls)) {}
  Stream(Stream&&) noexcept = default;
  Stream& operator=(Stream&&) noexcept = default;
  ~Stream();

  // read_some and write_some are Beast's SyncReadStream and SyncWriteStream: the end of the
  // stream (or the peer's close_notify) is boost::asio::error::eof.
  template <typename MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer buffer(*it);
      if (buffer.size() > 0) return ReadSome(static_cast<char*>(buffer.data()), buffer.size(), ec);
    }
    ec = {};
    return 0;
  }
  template <typename ConstBuffers>
  size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    iovec pieces[kMaxPieces];
    int count = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && count < kMaxPieces; ++it) {
      boost::asio::const_buffer buffer(*it);
      if (buffer.size() > 0) {
        pieces[count++] = {const_cast<void*>(buffer.data()), buffer.size()};
      }
    }
    return WriteSome(pieces, count, ec);
  }
  // Declared for Beast's stream traits, which look for them; never called, every call here
  // passes an error_code.
  template <typename MutableBuffers>
  size_t read_some(const MutableBuffers& buffers);
  template <typename ConstBuffers>
  size_t write_some(const ConstBuffers& buffers);

  int fd() const { return tls_ ? tls_->fd() : fd_.get(); }
  // Release gives the connection up as a plain socket (blocking, close-on-exec): the socket
  // itself, or for TLS the holder's end of TlsSession::Relay.
  Result<UniqueFd> Release();
  // Linger ends the output of a connection about to close: close_notify for TLS, then the
  // socket is shut down for writing and what the peer still sends is read and dropped for a
  // moment (closing a socket with unread input makes the kernel answer with a reset that can
  // destroy the response in flight). The socket closes with the Stream.
  void Linger();
  // tls_error is OpenSSL's reason for the last failed TLS read or write, empty if none (the
  // error_code Beast sees carries only an errno).
  const std::string& tls_error() const { return tls_error_; }

 private:
  static constexpr int kMaxPieces = 16;

  size_t ReadSome(char* data, size_t size, boost::system::error_code& ec);
  size_t WriteSome(const iovec* pieces, int count, boost::system::error_code& ec);

  UniqueFd fd_;                      // a plain stream's socket
  std::unique_ptr<TlsSession> tls_;  // a TLS stream's session (which owns the socket)
  std::string tls_error_;
};

// LingerSocket is Linger's second half on a bare socket: shut down for writing, then what the
// peer still sends is read and dropped for a moment.
void LingerSocket(int fd);

}  // namespace berth::http
