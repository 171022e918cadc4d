#include "client/client.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

// Beast's response parser returns boost::none from content_length(), which GCC's optimizer
// (with the sanitizers' instrumentation) reports as possibly uninitialized; the warning is about
// Boost's header, so it is silenced for Boost's headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#pragma GCC diagnostic pop

#include "base/log.h"
#include "base/strings.h"
#include "http/stream.h"

namespace berth::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

using Parser = bhttp::response_parser<bhttp::buffer_body>;

constexpr size_t kMaxErrorBody = 1 << 20;
constexpr std::string_view kUserAgent = "berth-cli/0.1.0";

// A connection with the state a response is read with.
struct Connection {
  http::Stream socket;
  beast::flat_buffer buffer;
  Parser parser;

  explicit Connection(http::Stream s) : socket(std::move(s)) {
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  }
};

Error ConnectError(const std::string& host) {
  return Error(ErrorKind::kUnavailable, "Cannot connect to the Docker daemon at " + host +
                                            ". Is the docker daemon running?");
}

// PingError: a daemon that cannot be reached, or the TLS reason it was refused for (a client
// certificate the daemon wants, which TLS 1.3 reports only at the first read).
Error PingError(const std::string& host, const http::Stream& stream) {
  if (stream.tls_error().empty()) return ConnectError(host);
  return Error(ErrorKind::kUnavailable,
               "error during connect: " + host + ": " + stream.tls_error());
}

Error WireError(std::string_view what, const beast::error_code& ec) {
  return Error(ErrorKind::kUnavailable, std::string(what) + ": " + ec.message());
}

bool IsUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// QueryEscape encodes as Go's url.QueryEscape: space as '+', unreserved bytes as they are.
std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (IsUnreserved(c)) {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

Headers HeadersOf(const bhttp::response_header<>& head) {
  Headers headers;
  for (const auto& field : head) {
    headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  return headers;
}

// ReadBody reads up to limit bytes of the body the parser holds the head of.
Result<std::string> ReadBody(Connection& c, size_t limit) {
  std::string body;
  char data[16 << 10];
  while (!c.parser.is_done() && body.size() < limit) {
    c.parser.get().body().data = data;
    c.parser.get().body().size = sizeof(data);
    beast::error_code ec;
    bhttp::read_some(c.socket, c.buffer, c.parser, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    body.append(data, sizeof(data) - c.parser.get().body().size);
    if (ec) return Fail(WireError("read response", ec));
  }
  return body;
}

class StreamImpl final : public ResponseStream {
 public:
  StreamImpl(std::unique_ptr<Connection> c, int status, Headers headers)
      : c_(std::move(c)), status_(status), headers_(std::move(headers)) {}
  int status() const override { return status_; }
  const Headers& headers() const override { return headers_; }

  Result<size_t> Read(char* data, size_t size) override {
    while (size > 0 && !c_->parser.is_done()) {
      c_->parser.get().body().data = data;
      c_->parser.get().body().size = size;
      beast::error_code ec;
      bhttp::read_some(c_->socket, c_->buffer, c_->parser, ec);
      if (ec == bhttp::error::need_buffer) ec = {};
      size_t n = size - c_->parser.get().body().size;
      if (ec) return Fail(WireError("read response", ec));
      if (n > 0) return n;
    }
    return size_t{0};
  }

 private:
  std::unique_ptr<Connection> c_;
  int status_;
  Headers headers_;
};

template <typename Message>
void SetCommonHeaders(Message& message, const Request& request, const std::string& target,
                      const std::string& host_header) {
  message.version(11);
  message.method_string(request.method);
  message.target(target);
  message.set(bhttp::field::host, host_header);
  message.set(bhttp::field::user_agent, beast::string_view(kUserAgent.data(), kUserAgent.size()));
  for (const auto& [name, value] : request.headers) message.set(name, value);
}

// SendBodyFromFd writes the request head, then the fd's bytes as chunks.
beast::error_code SendStreamed(Connection& c, const Request& request, const std::string& target,
                               const std::string& host_header, Status* read_failure) {
  bhttp::request<bhttp::empty_body> message;
  SetCommonHeaders(message, request, target, host_header);
  message.set(bhttp::field::content_type,
              request.content_type.empty() ? "application/x-tar" : request.content_type);
  message.chunked(true);
  bhttp::request_serializer<bhttp::empty_body> serializer(message);
  beast::error_code ec;
  bhttp::write_header(c.socket, serializer, ec);
  if (ec) return ec;
  char data[64 << 10];
  while (true) {
    ssize_t n = read(request.body_fd, data, sizeof(data));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *read_failure = Fail(ErrnoNow("read request body"));
      return ec;
    }
    if (n == 0) break;
    asio::write(c.socket, bhttp::make_chunk(asio::buffer(data, static_cast<size_t>(n))), ec);
    if (ec) return ec;
  }
  asio::write(c.socket, bhttp::make_chunk_last(), ec);
  return ec;
}

beast::error_code SendWhole(Connection& c, const Request& request, const std::string& target,
                            const std::string& host_header) {
  bhttp::request<bhttp::string_body> message;
  SetCommonHeaders(message, request, target, host_header);
  if (!request.body.empty()) {
    message.set(bhttp::field::content_type,
                request.content_type.empty() ? "application/json" : request.content_type);
    message.body() = request.body;
  }
  message.prepare_payload();
  beast::error_code ec;
  bhttp::write(c.socket, message, ec);
  return ec;
}

}  // namespace

std::optional<std::string> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, beast::string_view(name.data(), name.size()))) return value;
  }
  return std::nullopt;
}

Result<nlohmann::ordered_json> Response::Json() const {
  nlohmann::ordered_json value = nlohmann::ordered_json::parse(body, nullptr, false);
  if (value.is_discarded()) {
    return Fail(ErrorKind::kDataLoss, "read response: the daemon sent malformed JSON");
  }
  return value;
}

Result<std::optional<std::string>> ResponseStream::ReadLine() {
  while (true) {
    size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      return std::optional<std::string>(std::move(line));
    }
    char data[16 << 10];
    BERTH_ASSIGN_OR_RETURN(size_t n, Read(data, sizeof(data)));
    if (n == 0) {
      if (pending_.empty()) return std::optional<std::string>();
      return std::optional<std::string>(std::exchange(pending_, {}));
    }
    pending_.append(data, n);
  }
}

ErrorKind KindOfStatus(int status) {
  switch (status) {
    case 400:
      return ErrorKind::kInvalidArgument;
    case 401:
      return ErrorKind::kUnauthenticated;
    case 403:
      return ErrorKind::kPermissionDenied;
    case 404:
      return ErrorKind::kNotFound;
    case 409:
      return ErrorKind::kConflict;
    case 501:
      return ErrorKind::kNotImplemented;
    case 503:
      return ErrorKind::kUnavailable;
    default:
      return status >= 500 ? ErrorKind::kInternal : ErrorKind::kUnknown;
  }
}

Error ErrorFromResponse(int status, std::string_view body) {
  std::string message;
  nlohmann::json value = nlohmann::json::parse(body, nullptr, false);
  if (value.is_object() && value.contains("message") && value["message"].is_string()) {
    message = value["message"].get<std::string>();
  } else {
    message = std::string(TrimSpace(body));
  }
  if (message.empty()) message = "status " + std::to_string(status);
  return Error(KindOfStatus(status), "Error response from daemon: " + message);
}

std::string EncodeQuery(const Query& query) {
  std::string out;
  for (const auto& [key, value] : query) {
    if (!out.empty()) out += '&';
    out += QueryEscape(key) + "=" + QueryEscape(value);
  }
  return out;
}

std::string DockerCertPath() {
  const char* path = std::getenv("DOCKER_CERT_PATH");
  if (path != nullptr && *path != '\0') return path;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "/root") + "/.docker";
}

std::optional<TlsConfig> TlsConfigOf(const TlsFlags& flags) {
  if (!flags.tls && !flags.verify) return std::nullopt;
  const std::string dir = DockerCertPath();
  auto given_or_existing = [&](const std::string& given, const char* name) {
    if (!given.empty()) return given;
    std::string path = dir + "/" + name;
    return access(path.c_str(), F_OK) == 0 ? path : std::string();
  };
  TlsConfig config{.verify = flags.verify,
                   .ca_file = flags.ca_file.empty() ? dir + "/ca.pem" : flags.ca_file,
                   .cert_file = given_or_existing(flags.cert_file, "cert.pem"),
                   .key_file = given_or_existing(flags.key_file, "key.pem")};
  if (!flags.verify) config.ca_file.clear();
  return config;
}

Result<Client> Client::Create(const ClientOptions& options) {
  std::string host = options.host.empty() ? std::string(kDefaultHost) : options.host;
  if (!options.api_version.empty()) {
    std::vector<std::string> parts = Split(options.api_version, '.');
    if (parts.size() != 2 || !ParseUint64(parts[0]) || !ParseUint64(parts[1])) {
      return Fail(ErrorKind::kInvalidArgument,
                  "invalid API version \"" + options.api_version + "\": want MAJOR.MINOR");
    }
  }
  if (host.starts_with("unix://")) {
    std::string path = host.substr(7);
    if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) {
      return Fail(ErrorKind::kInvalidArgument, "invalid host \"" + host + "\": bad socket path");
    }
    return Client(Transport::kUnix, path, host, options.api_version, nullptr);
  }
  std::shared_ptr<const http::TlsContext> tls;
  if (options.tls) {
    BERTH_ASSIGN_OR_RETURN(tls, http::TlsContext::Client(*options.tls));
  }
  std::string address = host;
  if (address.starts_with("tcp://")) {
    address = address.substr(6);
  } else if (address.find("://") != std::string::npos) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid host \"" + host + "\": the scheme must be unix:// or tcp://");
  }
  while (!address.empty() && address.back() == '/') address.pop_back();
  // Without a port, docker's: 2376 with TLS, 2375 without.
  const bool has_port = address.starts_with('[') ? address.find("]:") != std::string::npos
                                                 : address.find(':') != std::string::npos;
  if (!address.empty() && !has_port) address += tls ? ":2376" : ":2375";
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || !ParseUint64(address.substr(colon + 1))) {
    return Fail(ErrorKind::kInvalidArgument, "invalid host \"" + host + "\": want tcp://host:port");
  }
  return Client(Transport::kTcp, address, host, options.api_version, std::move(tls));
}

Result<http::Stream> Client::Connect() const {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, ConnectSocket());
  if (!tls_) return http::Stream(std::move(fd));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<http::TlsSession> session,
                         tls_->NewSession(std::move(fd), HostName()));
  Status handshake = session->Handshake();
  if (!handshake) {
    return Fail(ErrorKind::kUnavailable,
                "error during connect: " + host_ + ": " + handshake.error().message());
  }
  return http::Stream(std::move(session));
}

std::string Client::HostName() const {
  std::string name = address_.substr(0, address_.rfind(':'));
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  return name;
}

Result<UniqueFd> Client::ConnectSocket() const {
  if (transport_ == Transport::kUnix) {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return Fail(ErrnoNow("socket"));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, address_.data(), address_.size());
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return Fail(ConnectError(host_));
    }
    return fd;
  }
  size_t colon = address_.rfind(':');
  const std::string name = HostName();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(name.c_str(), address_.substr(colon + 1).c_str(), &hints, &found) != 0) {
    return Fail(ConnectError(host_));
  }
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd && connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
      freeaddrinfo(found);
      return fd;
    }
  }
  freeaddrinfo(found);
  return Fail(ConnectError(host_));
}

Result<std::string> Client::ApiVersion() {
  if (!version_.empty()) return version_;
  BERTH_ASSIGN_OR_RETURN(Response pong, Ping());
  std::string server = pong.Header("Api-Version").value_or("");
  // A server that names no version gets the oldest this client negotiates down to (docker's
  // client does the same with 1.24).
  if (server.empty()) server = "1.24";
  std::vector<std::string> ours = Split(kMaxApiVersion, '.');
  std::vector<std::string> theirs = Split(server, '.');
  auto number = [](const std::vector<std::string>& v, size_t i) -> uint64_t {
    if (i >= v.size()) return 0;
    auto n = ParseUint64(v[i]);
    return n ? *n : 0;
  };
  bool older = number(theirs, 0) < number(ours, 0) ||
               (number(theirs, 0) == number(ours, 0) && number(theirs, 1) < number(ours, 1));
  version_ = older ? server : std::string(kMaxApiVersion);
  log::Debug("API version {} (the daemon speaks {})", version_, server);
  return version_;
}

Result<Response> Client::Ping() {
  Request request;
  request.path = "/_ping";
  BERTH_ASSIGN_OR_RETURN(http::Stream stream, Connect());
  auto c = std::make_unique<Connection>(std::move(stream));
  beast::error_code ec;
  const std::string host_header = transport_ == Transport::kUnix ? "api.moby.localhost" : address_;
  if ((ec = SendWhole(*c, request, "/_ping", host_header)))
    return Fail(PingError(host_, c->socket));
  bhttp::read_header(c->socket, c->buffer, c->parser, ec);
  if (ec) return Fail(PingError(host_, c->socket));
  Response response;
  response.status = static_cast<int>(c->parser.get().result_int());
  response.headers = HeadersOf(c->parser.get().base());
  BERTH_ASSIGN_OR_RETURN(response.body, ReadBody(*c, kMaxErrorBody));
  if (response.status >= 400) return Fail(ErrorFromResponse(response.status, response.body));
  return response;
}

Result<std::string> Client::Target(const Request& request) {
  BERTH_ASSIGN_OR_RETURN(std::string version, ApiVersion());
  std::string target = "/v" + version + request.path;
  if (!request.query.empty()) target += "?" + EncodeQuery(request.query);
  return target;
}

namespace {

// Exchange connects, sends the request and reads the response head; an error status reads the
// body and becomes an Error.
Result<std::unique_ptr<Connection>> Exchange(http::Stream stream, const Request& request,
                                             const std::string& target,
                                             const std::string& host_header) {
  auto c = std::make_unique<Connection>(std::move(stream));
  beast::error_code ec;
  Status read_failure = Ok();
  beast::error_code sent = request.body_fd >= 0
                               ? SendStreamed(*c, request, target, host_header, &read_failure)
                               : SendWhole(*c, request, target, host_header);
  BERTH_TRY(read_failure);
  // The answer to a HEAD has no body, whatever length its head announces.
  if (request.method == "HEAD") c->parser.skip(true);
  // A server that refuses a request while its body streams in answers and closes: its answer
  // tells more than the broken pipe, so the head is read even after a failed write.
  bhttp::read_header(c->socket, c->buffer, c->parser, ec);
  if (ec) return Fail(WireError("send request", sent ? sent : ec));
  int status = static_cast<int>(c->parser.get().result_int());
  if (status >= 400) {
    BERTH_ASSIGN_OR_RETURN(std::string body, ReadBody(*c, kMaxErrorBody));
    if (status == 404 && !request.not_found.empty()) {
      return Fail(ErrorKind::kNotFound, request.not_found);
    }
    return Fail(ErrorFromResponse(status, body));
  }
  return c;
}

}  // namespace

Result<Response> Client::Do(const Request& request) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<ResponseStream> stream, Stream(request));
  Response response;
  response.status = stream->status();
  response.headers = stream->headers();
  char data[16 << 10];
  while (true) {
    BERTH_ASSIGN_OR_RETURN(size_t n, stream->Read(data, sizeof(data)));
    if (n == 0) break;
    response.body.append(data, n);
  }
  return response;
}

Result<nlohmann::ordered_json> Client::DoJson(const Request& request) {
  BERTH_ASSIGN_OR_RETURN(Response response, Do(request));
  return response.Json();
}

Result<std::unique_ptr<ResponseStream>> Client::Stream(const Request& request) {
  BERTH_ASSIGN_OR_RETURN(std::string target, Target(request));
  log::Debug("{} {} {}", request.method, host_, target);
  BERTH_ASSIGN_OR_RETURN(http::Stream stream, Connect());
  const std::string host_header = transport_ == Transport::kUnix ? "api.moby.localhost" : address_;
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c,
                         Exchange(std::move(stream), request, target, host_header));
  int status = static_cast<int>(c->parser.get().result_int());
  Headers headers = HeadersOf(c->parser.get().base());
  return std::unique_ptr<ResponseStream>(
      std::make_unique<StreamImpl>(std::move(c), status, std::move(headers)));
}

Result<Hijacked> Client::Hijack(const Request& request) {
  BERTH_ASSIGN_OR_RETURN(std::string target, Target(request));
  log::Debug("{} {} {} (upgrade)", request.method, host_, target);
  BERTH_ASSIGN_OR_RETURN(http::Stream stream, Connect());
  const std::string host_header = transport_ == Transport::kUnix ? "api.moby.localhost" : address_;
  Request upgrade = request;
  upgrade.headers.emplace_back("Connection", "Upgrade");
  upgrade.headers.emplace_back("Upgrade", "tcp");
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c,
                         Exchange(std::move(stream), upgrade, target, host_header));
  Hijacked hijacked;
  hijacked.status = static_cast<int>(c->parser.get().result_int());
  if (hijacked.status != 101 && hijacked.status != 200) {
    return Fail(ErrorKind::kUnavailable, "attach: the daemon answered " +
                                             std::to_string(hijacked.status) +
                                             " instead of upgrading the connection");
  }
  hijacked.headers = HeadersOf(c->parser.get().base());
  hijacked.already_read = beast::buffers_to_string(c->buffer.data());
  BERTH_ASSIGN_OR_RETURN(hijacked.fd, Annotate(c->socket.Release(), "hijack connection"));
  return hijacked;
}

}  // namespace berth::client
