#include "http/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <ctime>
#include <exception>
#include <limits>
#include <optional>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/write.hpp>

#include "base/log.h"
#include "http/stream.h"
#include "http/url.h"

namespace berth::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

using Parser = bhttp::request_parser<bhttp::buffer_body>;
using Head = bhttp::response_header<>;

// The most of a request body its handler left unread that is read and thrown away to keep the
// connection (Go's net/http keeps the same amount); past it the connection is closed.
constexpr size_t kMaxDrainBytes = 256 << 10;

bool IsHttpError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

// The kind of a failed body read: the client broke the framing, or the connection failed.
ErrorKind BodyErrorKind(const beast::error_code& ec) {
  return IsHttpError(ec) && ec != bhttp::error::partial_message ? ErrorKind::kInvalidArgument
                                                                : ErrorKind::kUnavailable;
}

std::string HttpDate() {
  time_t now = time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[64];
  size_t size = strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(text, size);
}

// A header value from a handler stays on its line whatever it holds.
std::string OneLine(std::string_view value) {
  std::string line(value);
  for (char& c : line) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return line;
}

// MakeHead starts a response with the headers every response carries.
Head MakeHead(const ServerOptions& options, int status, std::string_view content_type,
              const Headers& extra) {
  Head head;
  head.version(11);
  head.result(static_cast<unsigned>(status >= 100 && status <= 999 ? status : 500));
  for (const auto& [name, value] : options.response_headers)
    head.set(OneLine(name), OneLine(value));
  std::string server = options.server_name;
  if (!options.server_version.empty()) server += "/" + options.server_version;
  head.set(bhttp::field::server, server + " (linux)");
  head.set(bhttp::field::date, HttpDate());
  if (!content_type.empty()) head.set(bhttp::field::content_type, OneLine(content_type));
  for (const auto& [name, value] : extra) head.insert(OneLine(name), OneLine(value));
  return head;
}

beast::error_code WriteHead(Stream& socket, Head head) {
  bhttp::response<bhttp::empty_body> message(std::move(head));
  bhttp::response_serializer<bhttp::empty_body> serializer(message);
  beast::error_code ec;
  bhttp::write_header(socket, serializer, ec);
  return ec;
}

beast::error_code WriteWhole(Stream& socket, Head head, std::string_view body) {
  head.set(bhttp::field::content_length, std::to_string(body.size()));
  bhttp::response<bhttp::span_body<const char>> message(std::move(head));
  message.body() = beast::span<const char>(body.data(), body.size());
  beast::error_code ec;
  bhttp::write(socket, message, ec);
  return ec;
}

// Exchange is one request and its response: the request's body as it arrives, and the writer.
class Exchange final : public BodyReader, public ResponseWriter {
 public:
  Exchange(Stream& socket, beast::flat_buffer& buffer, Parser& parser, const ServerOptions& options,
           SocketGuard* guard)
      : socket_(socket),
        buffer_(buffer),
        parser_(parser),
        options_(options),
        guard_(guard),
        head_request_(parser.get().method() == bhttp::verb::head),
        http10_(parser.get().version() < 11),
        keep_alive_(!http10_ && parser.get().keep_alive()),
        expect_continue_(!http10_ &&
                         beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {}

  Result<size_t> Read(char* data, size_t size) override;
  Status Send(int status, std::string_view content_type, std::string_view body,
              const Headers& extra) override;
  Status BeginStream(int status, std::string_view content_type, const Headers& extra) override;
  Status BeginBody(int status, std::string_view content_type, uint64_t length,
                   const Headers& extra) override;
  Status Write(std::string_view data) override;
  Status End() override;
  Result<UniqueFd> Hijack(std::string_view content_type, std::string* already_read) override;
  bool started() const override { return state_ != State::kIdle; }

  // Finish completes what the handler left undone: an empty 200 when it wrote nothing, the last
  // chunk of a stream it left open, its error as a response when nothing was written yet.
  void Finish(const Status& handled);
  // Reusable says whether the connection can carry another request: the response is whole, the
  // client keeps the connection, and the rest of the request body was small enough to skip.
  bool Reusable();
  bool hijacked() const { return state_ == State::kHijacked; }
  int status() const { return status_; }

 private:
  enum class State { kIdle, kSent, kStreaming, kEnded, kHijacked, kBroken };

  Status Start(int status, std::string_view what);
  Status Written(const beast::error_code& ec);
  // Drain reads and drops the rest of the request body; false when it could not (too long, or
  // the client still waits for "100 Continue").
  bool Drain();

  Stream& socket_;
  beast::flat_buffer& buffer_;
  Parser& parser_;
  const ServerOptions& options_;
  SocketGuard* guard_;
  const bool head_request_;
  const bool http10_;
  bool keep_alive_;
  bool expect_continue_;
  bool body_failed_ = false;
  State state_ = State::kIdle;
  int status_ = 0;
  std::optional<uint64_t> body_length_;  // set by BeginBody: the stream is that long, unchunked
  uint64_t body_written_ = 0;
};

Result<size_t> Exchange::Read(char* data, size_t size) {
  if (body_failed_) {
    return Fail(ErrorKind::kUnavailable, "read request body: an earlier read failed");
  }
  if (size == 0 || parser_.is_done()) return size_t{0};
  if (expect_continue_) {
    // The client waits for this before it sends the body (RFC 9110, 10.1.1).
    expect_continue_ = false;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::error_code ec;
    if (state_ == State::kIdle) asio::write(socket_, asio::buffer(kContinue), ec);
    if (ec) return Fail(ErrorKind::kUnavailable, "write 100 Continue: " + ec.message());
  }
  bhttp::buffer_body::value_type& body = parser_.get().body();
  while (!parser_.is_done()) {
    body.data = data;
    body.size = size;
    beast::error_code ec;
    bhttp::read_some(socket_, buffer_, parser_, ec);
    size_t read = size - body.size;
    body.data = nullptr;
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      body_failed_ = true;
      return Fail(BodyErrorKind(ec), "read request body: " + ec.message());
    }
    if (read > 0) return read;
  }
  return size_t{0};
}

bool Exchange::Drain() {
  if (parser_.is_done()) return true;
  if (body_failed_ || expect_continue_) return false;
  char scratch[16 << 10];
  size_t total = 0;
  while (total <= kMaxDrainBytes) {
    Result<size_t> read = Read(scratch, sizeof(scratch));
    if (!read) return false;
    if (*read == 0) return true;
    total += *read;
  }
  return false;
}

Status Exchange::Start(int status, std::string_view what) {
  if (state_ != State::kIdle) {
    return Fail(ErrorKind::kFailedPrecondition,
                std::string(what) + ": the response was already started");
  }
  status_ = status;
  return Ok();
}

Status Exchange::Written(const beast::error_code& ec) {
  if (!ec) return Ok();
  state_ = State::kBroken;
  return Fail(ErrorKind::kUnavailable, "write response: " + ec.message());
}

Status Exchange::Send(int status, std::string_view content_type, std::string_view body,
                      const Headers& extra) {
  BERTH_TRY(Start(status, "send response"));
  Head head = MakeHead(options_, status, content_type, extra);
  if (!keep_alive_) head.set(bhttp::field::connection, "close");
  state_ = State::kSent;
  // 1xx, 204 and 304 responses have neither a body nor a length (RFC 9110, 8.6).
  if (status < 200 || status == 204 || status == 304) {
    return Written(WriteHead(socket_, std::move(head)));
  }
  if (!head_request_) return Written(WriteWhole(socket_, std::move(head), body));
  head.set(bhttp::field::content_length, std::to_string(body.size()));
  return Written(WriteHead(socket_, std::move(head)));
}

Status Exchange::BeginStream(int status, std::string_view content_type, const Headers& extra) {
  BERTH_TRY(Start(status, "begin response stream"));
  Head head = MakeHead(options_, status, content_type, extra);
  // HTTP/1.0 has no chunks: the end of the body is the end of the connection.
  if (!http10_) head.set(bhttp::field::transfer_encoding, "chunked");
  if (!keep_alive_) head.set(bhttp::field::connection, "close");
  state_ = State::kStreaming;
  return Written(WriteHead(socket_, std::move(head)));
}

Status Exchange::BeginBody(int status, std::string_view content_type, uint64_t length,
                           const Headers& extra) {
  BERTH_TRY(Start(status, "begin response body"));
  Head head = MakeHead(options_, status, content_type, extra);
  head.set(bhttp::field::content_length, std::to_string(length));
  if (!keep_alive_) head.set(bhttp::field::connection, "close");
  state_ = State::kStreaming;
  body_length_ = head_request_ ? 0 : length;
  return Written(WriteHead(socket_, std::move(head)));
}

Status Exchange::Write(std::string_view data) {
  if (state_ != State::kStreaming) {
    return Fail(ErrorKind::kFailedPrecondition, "write response: no stream is open");
  }
  // An empty chunk would end the stream; a response to HEAD has no body.
  if (data.empty() || head_request_) return Ok();
  beast::error_code ec;
  asio::const_buffer buffer(data.data(), data.size());
  if (body_length_) {
    if (data.size() > *body_length_ - body_written_) {
      state_ = State::kBroken;
      return Fail(ErrorKind::kFailedPrecondition, "write response: more than its Content-Length");
    }
    body_written_ += data.size();
    asio::write(socket_, buffer, ec);
  } else if (http10_) {
    asio::write(socket_, buffer, ec);
  } else {
    asio::write(socket_, bhttp::make_chunk(buffer), ec);
  }
  return Written(ec);
}

Status Exchange::End() {
  if (state_ != State::kStreaming) {
    return Fail(ErrorKind::kFailedPrecondition, "end response: no stream is open");
  }
  if (body_length_ && body_written_ != *body_length_) {
    state_ = State::kBroken;
    return Fail(ErrorKind::kFailedPrecondition, "end response: " + std::to_string(body_written_) +
                                                    " of its " + std::to_string(*body_length_) +
                                                    " bytes were written");
  }
  state_ = State::kEnded;
  if (http10_ || head_request_ || body_length_) return Ok();
  beast::error_code ec;
  asio::write(socket_, bhttp::make_chunk_last(), ec);
  return Written(ec);
}

Result<UniqueFd> Exchange::Hijack(std::string_view content_type, std::string* already_read) {
  if (state_ != State::kIdle) {
    return Fail(ErrorKind::kFailedPrecondition, "hijack connection: a response was started");
  }
  if (!Drain()) {
    return Fail(ErrorKind::kInvalidArgument, "hijack connection: the request body is too long");
  }
  // Docker clients send "Connection: Upgrade" and "Upgrade: tcp" to attach and exec; dockerd
  // upgrades whenever the Upgrade header is present, and so do we.
  bool upgrade = parser_.get().find(bhttp::field::upgrade) != parser_.get().end();
  status_ = upgrade ? 101 : 200;
  Head head = MakeHead(options_, status_, content_type, {});
  if (upgrade) {
    head.reason("UPGRADED");
    head.set(bhttp::field::connection, "Upgrade");
    head.set(bhttp::field::upgrade, "tcp");
  }
  state_ = State::kBroken;  // until the socket is handed over
  if (beast::error_code ec = WriteHead(socket_, std::move(head))) {
    return Fail(ErrorKind::kUnavailable, "hijack connection: " + ec.message());
  }
  *already_read = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  guard_->Release();
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, Annotate(socket_.Release(), "hijack connection"));
  state_ = State::kHijacked;
  return fd;
}

void Exchange::Finish(const Status& handled) {
  if (!handled) {
    if (state_ == State::kIdle) {
      if (!SendError(handled.error())) state_ = State::kBroken;
    } else if (state_ != State::kHijacked) {
      // Too late for an error response: closing the connection is how the client learns.
      log::Debug("request failed after its response began: {}", handled.error().message());
      state_ = State::kBroken;
    }
    return;
  }
  if (state_ == State::kIdle) {
    if (!SendEmpty(200)) state_ = State::kBroken;
  } else if (state_ == State::kStreaming) {
    if (!End()) state_ = State::kBroken;
  }
}

bool Exchange::Reusable() {
  if (!keep_alive_ || (state_ != State::kSent && state_ != State::kEnded)) return false;
  return Drain();
}

// Connection serves the requests of one socket in turn.
class Connection {
 public:
  Connection(Stream socket, const Router& router, const ServerOptions& options, SocketGuard* guard)
      : socket_(std::move(socket)), router_(router), options_(options), guard_(guard) {}

  void Run();

 private:
  // ServeOne answers one request; false when the connection is over.
  bool ServeOne();
  // Dispatch decodes the path, runs the prepare hook, routes and calls the handler.
  Status Dispatch(Request& request, ResponseWriter& writer) const;
  // Reject answers a request that could not be read (when the client can still hear it).
  void Reject(const beast::error_code& ec);

  Stream socket_;
  beast::flat_buffer buffer_;
  const Router& router_;
  const ServerOptions& options_;
  SocketGuard* guard_;
  bool hijacked_ = false;
};

void Connection::Run() {
  while (ServeOne()) {
  }
  if (hijacked_) return;
  socket_.Linger();
  guard_->Release();  // the socket closes with the connection
}

Request MakeRequest(const bhttp::request<bhttp::buffer_body>& message) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  return request;
}

bool Connection::ServeOne() {
  Parser parser;
  parser.header_limit(
      static_cast<uint32_t>(std::min<size_t>(options_.max_header_bytes, UINT32_MAX)));
  // Bodies are streamed to handlers, who set their own limits. (Boost 1.74 compares a length
  // with an unset limit as exceeding it, so the limit is the largest length instead.)
  parser.body_limit(std::numeric_limits<uint64_t>::max());
  beast::error_code ec;
  bhttp::read_header(socket_, buffer_, parser, ec);
  if (ec) {
    Reject(ec);
    return false;
  }
  Request request = MakeRequest(parser.get());
  Exchange exchange(socket_, buffer_, parser, options_, guard_);
  request.body = &exchange;
  Status handled = Dispatch(request, exchange);
  exchange.Finish(handled);
  log::Debug("{} {} {}", request.method, request.target, exchange.status());
  if (exchange.hijacked()) {
    hijacked_ = true;
    return false;
  }
  return exchange.Reusable();
}

Status Connection::Dispatch(Request& request, ResponseWriter& writer) const {
  std::string_view target = request.target;
  size_t question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  if (raw_path.empty() || raw_path.front() != '/') {
    return Fail(ErrorKind::kInvalidArgument, "malformed request target \"" + request.target + "\"");
  }
  BERTH_ASSIGN_OR_RETURN(request.path, DecodePath(raw_path));
  if (options_.prepare) BERTH_TRY(options_.prepare(request));
  Result<const Handler*> handler = router_.Match(request.method, request.path, &request.params);
  if (!handler && handler.error().kind() == ErrorKind::kFailedPrecondition) {
    return writer.SendJson(405, nlohmann::json{{"message", handler.error().message()}});
  }
  if (!handler) return Fail(std::move(handler).error());
  if (question != std::string_view::npos) {
    BERTH_ASSIGN_OR_RETURN(request.query, ParseQuery(target.substr(question + 1)));
  }
  try {
    return (**handler)(request, writer);
  } catch (const std::exception& e) {
    // A library's exception that a handler let through is a bug there; the daemon lives on.
    return Fail(ErrorKind::kInternal,
                "handle " + request.method + " " + request.path + ": " + e.what());
  }
}

void Connection::Reject(const beast::error_code& ec) {
  // A client that went away (or never sent a whole head) gets no answer.
  if (!IsHttpError(ec) || ec == bhttp::error::end_of_stream ||
      ec == bhttp::error::partial_message) {
    return;
  }
  int status = ec == bhttp::error::header_limit ? 431 : 400;
  std::string message =
      status == 431 ? "request header fields too large" : "malformed request: " + ec.message();
  log::Debug("rejected request: {}", message);
  Head head = MakeHead(options_, status, "application/json", {});
  head.set(bhttp::field::connection, "close");
  std::string body = nlohmann::json{{"message", message}}.dump() + "\n";
  (void)WriteWhole(socket_, std::move(head), body);
}

}  // namespace

void SocketGuard::Shutdown() {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
}

void SocketGuard::Release() {
  std::lock_guard lock(mu_);
  fd_ = -1;
}

struct ConnectionServer::Impl {
  Impl(const Router& r, const ServerOptions& o) : router(r), options(o) {}

  const Router& router;
  const ServerOptions& options;
};

ConnectionServer::ConnectionServer(const Router& router, const ServerOptions& options)
    : impl_(std::make_unique<Impl>(router, options)) {}

ConnectionServer::~ConnectionServer() = default;

void ConnectionServer::Serve(UniqueFd fd, int family, const TlsContext* tls,
                             SocketGuard* guard) const {
  if (family != AF_UNIX) {
    // Each chunk of a stream goes out when it is written, not when Nagle's timer fires.
    int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  std::optional<Stream> stream;
  if (tls == nullptr) {
    stream.emplace(std::move(fd));
  } else {
    Result<std::unique_ptr<TlsSession>> session = tls->NewSession(std::move(fd));
    Status handshake = session ? (*session)->Handshake() : Fail(std::move(session).error());
    if (!handshake) {
      log::Debug("serve connection: {}", handshake.error().message());
      // What the client sent beyond the failed handshake (a plain HTTP request) is read, so
      // that the close does not reset the answer it may have been given.
      if (session) LingerSocket((*session)->fd());
      guard->Release();  // the socket closes with the session
      return;
    }
    stream.emplace(std::move(*session));
  }
  Connection connection(std::move(*stream), impl_->router, impl_->options, guard);
  connection.Run();
}

}  // namespace berth::http
