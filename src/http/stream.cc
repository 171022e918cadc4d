#include "http/stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <boost/asio/error.hpp>

namespace berth::http {
namespace {

// How long a connection being closed keeps reading what the peer still sends, and how much.
constexpr std::chrono::milliseconds kLinger{500};
constexpr size_t kMaxLingerBytes = 256 << 10;
// A TLS write gathers small pieces (an HTTP head's) into one record of at most this size.
constexpr size_t kGatherBytes = 16 << 10;

boost::system::error_code ErrorCodeOf(const Error& error) {
  return {error.sys_errno() != 0 ? error.sys_errno() : ECONNABORTED,
          boost::system::system_category()};
}

}  // namespace

Stream::~Stream() = default;

size_t Stream::ReadSome(char* data, size_t size, boost::system::error_code& ec) {
  ec = {};
  if (tls_) {
    Result<size_t> read = tls_->Read(data, size);
    if (!read) {
      tls_error_ = read.error().message();
      ec = ErrorCodeOf(read.error());
      return 0;
    }
    if (*read == 0) ec = boost::asio::error::eof;
    return *read;
  }
  while (true) {
    ssize_t n = recv(fd_.get(), data, size, 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    if (errno != EINTR) {
      ec = {errno, boost::system::system_category()};
      return 0;
    }
  }
}

size_t Stream::WriteSome(const iovec* pieces, int count, boost::system::error_code& ec) {
  ec = {};
  if (count == 0) return 0;
  if (tls_) {
    const char* data = static_cast<const char*>(pieces[0].iov_base);
    size_t size = pieces[0].iov_len;
    char gathered[kGatherBytes];
    if (count > 1 && size < kGatherBytes) {
      size = 0;
      for (int i = 0; i < count && size < kGatherBytes; ++i) {
        size_t n = std::min(pieces[i].iov_len, kGatherBytes - size);
        std::memcpy(gathered + size, pieces[i].iov_base, n);
        size += n;
      }
      data = gathered;
    }
    Result<size_t> written = tls_->Write(data, size);
    if (!written) {
      tls_error_ = written.error().message();
      ec = ErrorCodeOf(written.error());
      return 0;
    }
    return *written;
  }
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(pieces);
  message.msg_iovlen = static_cast<size_t>(count);
  while (true) {
    ssize_t n = sendmsg(fd_.get(), &message, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) {
      ec = {errno, boost::system::system_category()};
      return 0;
    }
  }
}

Result<UniqueFd> Stream::Release() {
  if (tls_) return TlsSession::Relay(std::move(tls_));
  return std::move(fd_);
}

void Stream::Linger() {
  if (tls_) (void)tls_->CloseNotify();
  LingerSocket(fd());
}

void LingerSocket(int fd) {
  if (fd < 0) return;
  shutdown(fd, SHUT_WR);
  auto deadline = std::chrono::steady_clock::now() + kLinger;
  char scratch[16 << 10];
  size_t total = 0;
  while (total < kMaxLingerBytes) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT);
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
}

}  // namespace berth::http
