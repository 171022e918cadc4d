#include "http/test_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace berth::http {
namespace {

UniqueFd Connected(int family, const sockaddr* addr, socklen_t len) {
  UniqueFd fd(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval timeout{10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd.get(), addr, len) != 0) {
    ADD_FAILURE() << "connect: " << std::strerror(errno);
    return UniqueFd();
  }
  return fd;
}

}  // namespace

std::optional<std::string> RawResponse::Header(std::string_view name) const {
  return FindHeader(headers, name);
}

TestClient TestClient::ConnectUnix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  return TestClient(Connected(AF_UNIX, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
}

TestClient TestClient::ConnectTcp(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  return TestClient(Connected(AF_INET, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
}

Result<TestClient> TestClient::ConnectTls(const std::string& host, int port,
                                          const TlsContext& tls) {
  TestClient plain = ConnectTcp(host, port);
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<TlsSession> session,
                         tls.NewSession(std::move(plain.fd_), host));
  BERTH_TRY(session->Handshake());
  return TestClient(std::move(session));
}

void TestClient::CloseWrite() {
  if (tls_) {
    EXPECT_TRUE(tls_->CloseNotify());
  } else {
    shutdown(fd_.get(), SHUT_WR);
  }
}

bool TestClient::Send(std::string_view data) {
  while (tls_ && !data.empty()) {
    Result<size_t> n = tls_->Write(data.data(), data.size());
    if (!n) return false;
    data.remove_prefix(*n);
  }
  while (!data.empty()) {
    ssize_t n = send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool TestClient::Fill() {
  char chunk[64 << 10];
  if (tls_) {
    Result<size_t> n = tls_->Read(chunk, sizeof(chunk));
    if (!n && n.error().sys_errno() == EAGAIN) ADD_FAILURE() << "read from the server timed out";
    if (!n || *n == 0) return false;
    buffer_.append(chunk, *n);
    return true;
  }
  while (true) {
    ssize_t n = recv(fd_.get(), chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      ADD_FAILURE() << "read from the server timed out";
    }
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

std::string TestClient::ReadLine() {
  size_t end;
  while ((end = buffer_.find("\r\n")) == std::string::npos) {
    if (!Fill()) {
      ADD_FAILURE() << "connection ended inside a line: \"" << buffer_ << "\"";
      return std::exchange(buffer_, {});
    }
  }
  std::string line = buffer_.substr(0, end);
  buffer_.erase(0, end + 2);
  return line;
}

RawResponse TestClient::ReadHead() {
  RawResponse response;
  std::string status_line = ReadLine();
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) {
    ADD_FAILURE() << "bad status line \"" << status_line << "\"";
    return response;
  }
  response.status = std::atoi(status_line.substr(9, 3).c_str());
  response.reason = status_line.size() > 13 ? status_line.substr(13) : "";
  for (std::string line = ReadLine(); !line.empty(); line = ReadLine()) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      ADD_FAILURE() << "bad header line \"" << line << "\"";
      break;
    }
    size_t value = line.find_first_not_of(' ', colon + 1);
    response.headers.emplace_back(line.substr(0, colon),
                                  value == std::string::npos ? "" : line.substr(value));
  }
  return response;
}

std::optional<std::string> TestClient::ReadChunk() {
  std::string size_line = ReadLine();
  size_t size = std::strtoul(size_line.c_str(), nullptr, 16);
  std::string data = ReadExactly(size);
  EXPECT_EQ(ReadLine(), "");  // the CRLF after the data, or the end of an empty trailer
  if (size == 0) return std::nullopt;
  return data;
}

RawResponse TestClient::ReadResponse(bool head_request) {
  RawResponse response = ReadHead();
  if (head_request || response.status < 200 || response.status == 204 || response.status == 304) {
    return response;
  }
  if (std::optional<std::string> length = response.Header("Content-Length")) {
    response.body = ReadExactly(std::strtoul(length->c_str(), nullptr, 10));
  } else if (response.Header("Transfer-Encoding") == "chunked") {
    while (std::optional<std::string> chunk = ReadChunk()) response.body += *chunk;
  } else {
    response.body = ReadToEnd();
  }
  return response;
}

std::string TestClient::ReadExactly(size_t size) {
  while (buffer_.size() < size) {
    if (!Fill()) {
      ADD_FAILURE() << "connection ended after " << buffer_.size() << " of " << size << " bytes";
      break;
    }
  }
  std::string data = buffer_.substr(0, size);
  buffer_.erase(0, data.size());
  return data;
}

std::string TestClient::ReadToEnd() {
  while (Fill()) {
  }
  return std::exchange(buffer_, {});
}

bool TestClient::AtEnd() { return buffer_.empty() && !Fill(); }

}  // namespace berth::http
