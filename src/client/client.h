// A client of the Docker Engine API over a unix socket or TCP, as docker's CLI speaks to dockerd:
// the API version is negotiated once (GET /_ping, then min(server, kMaxApiVersion)) unless fixed,
// and every request goes to /vX.Y/<path>. A request gets a whole response, a streamed body
// (progress, logs, events, archives) or a hijacked connection (attach, exec start). A response
// with a status of 400 or more becomes an Error whose kind follows the status (404 kNotFound, 409
// kConflict, ...) and whose message is docker's "Error response from daemon: <message>".
// Each request opens a connection of its own. Thread-safety: one Client per thread (the
// negotiated version is cached without locking).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/tls.h"

namespace berth::http {
class Stream;
}

namespace berth::client {

// The newest Engine API version this client speaks.
inline constexpr std::string_view kMaxApiVersion = "1.45";
inline constexpr std::string_view kDefaultHost = "unix:///run/berth/berth.sock";

using Headers = std::vector<std::pair<std::string, std::string>>;
using Query = std::vector<std::pair<std::string, std::string>>;

// FindHeader returns the value of the first header of that name (case-insensitive).
std::optional<std::string> FindHeader(const Headers& headers, std::string_view name);

// TLS to the daemon; the type is http's (tls.h).
using TlsConfig = http::TlsClientConfig;

// TlsFlags are docker's TLS options as given: --tls, --tlsverify (or DOCKER_TLS_VERIFY set),
// --tlscacert, --tlscert, --tlskey (empty when not given).
struct TlsFlags {
  bool tls = false;
  bool verify = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// DockerCertPath is where docker keeps its TLS files: $DOCKER_CERT_PATH, else ~/.docker.
std::string DockerCertPath();
// TlsConfigOf applies docker's rules: TLS when tls or verify; the server is verified against
// ca_file (default <cert path>/ca.pem) only with verify; the client certificate and key are the
// files given, or <cert path>/cert.pem and key.pem where they exist.
std::optional<TlsConfig> TlsConfigOf(const TlsFlags& flags);

struct ClientOptions {
  std::string host;         // unix:///path or tcp://host[:port]; empty is kDefaultHost
  std::string api_version;  // fixed version (DOCKER_API_VERSION); empty negotiates
  // TLS to a tcp:// host (docker's --tls, --tlsverify); the server's certificate must name the
  // host when verified. A unix:// host ignores it, as docker does.
  std::optional<TlsConfig> tls;
};

struct Request {
  std::string method = "GET";
  std::string path;  // "/images/json": no version prefix, no query
  Query query;       // encoded by the client; a key may repeat
  Headers headers;
  // The body: body_fd when valid (read to its end and sent chunked, never held whole), else
  // body with a Content-Length when non-empty. content_type defaults to application/json.
  std::string body;
  int body_fd = -1;
  std::string content_type;
  // not_found, when set, is the error text of a 404 instead of the daemon's message (docker's
  // client words some itself: "Error: No such image: x").
  std::string not_found;
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;

  std::optional<std::string> Header(std::string_view name) const {
    return FindHeader(headers, name);
  }
  // Json parses the body, keeping the order of object keys; malformed JSON is kDataLoss.
  Result<nlohmann::ordered_json> Json() const;
};

// A response whose body is read as it arrives (chunked, by length, or up to the end of the
// connection). Owns its connection.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual int status() const = 0;
  virtual const Headers& headers() const = 0;
  // Read fills up to size bytes; 0 at the end of the body.
  virtual Result<size_t> Read(char* data, size_t size) = 0;
  // ReadLine returns the next line without its '\n' (a last line may lack it); nullopt at the end.
  Result<std::optional<std::string>> ReadLine();

 private:
  std::string pending_;
};

// A hijacked connection: the response head was read; the socket now carries raw bytes both ways.
struct Hijacked {
  int status = 0;  // 101 (upgraded) or 200 (an old server that does not upgrade)
  Headers headers;
  UniqueFd fd;
  std::string already_read;  // stream bytes that arrived with the head
};

// ErrorFromResponse turns a failed response into docker's error: the kind of the status, the
// message "Error response from daemon: <the body's message>".
Error ErrorFromResponse(int status, std::string_view body);
// KindOfStatus maps an HTTP status to an ErrorKind (the inverse of the server's mapping).
ErrorKind KindOfStatus(int status);
// EncodeQuery renders "a=1&b=x%20y" as Go's url.Values.Encode does (keys kept in order given).
std::string EncodeQuery(const Query& query);

class Client {
 public:
  // Create checks the host's form ("unix:///path", "tcp://host:port", "host:port" is tcp; a tcp
  // host without a port gets docker's 2375, or 2376 with TLS) and the version's ("1.41"), and
  // loads the TLS files; kInvalidArgument naming what is wrong. It does not connect.
  static Result<Client> Create(const ClientOptions& options);

  const std::string& host() const { return host_; }
  // ApiVersion returns the version requests use, negotiating it on first use.
  Result<std::string> ApiVersion();
  // Ping is GET /_ping (unversioned): the server's headers (Api-Version, Ostype, ...).
  Result<Response> Ping();

  // Do sends a request and reads the whole response; a status of 400 or more is an Error.
  Result<Response> Do(const Request& request);
  // DoJson is Do, then the body parsed as JSON.
  Result<nlohmann::ordered_json> DoJson(const Request& request);
  // Stream sends a request and returns once the response head arrived (an error status reads
  // the body and becomes an Error).
  Result<std::unique_ptr<ResponseStream>> Stream(const Request& request);
  // Hijack sends the request with "Connection: Upgrade" and "Upgrade: tcp" and expects 101 (or
  // 200); any other status is an Error.
  Result<Hijacked> Hijack(const Request& request);

 private:
  enum class Transport { kUnix, kTcp };
  Client(Transport transport, std::string address, std::string host, std::string version,
         std::shared_ptr<const http::TlsContext> tls)
      : transport_(transport),
        address_(std::move(address)),
        host_(std::move(host)),
        version_(std::move(version)),
        tls_(std::move(tls)) {}

  // Connect opens a connection (with its TLS handshake done).
  Result<http::Stream> Connect() const;
  Result<UniqueFd> ConnectSocket() const;
  // HostName is the tcp host without its port and brackets.
  std::string HostName() const;
  Result<std::string> Target(const Request& request);

  Transport transport_;
  std::string address_;                          // socket path, or host:port
  std::string host_;                             // as given, for messages
  std::string version_;                          // fixed or negotiated; empty until negotiated
  std::shared_ptr<const http::TlsContext> tls_;  // null: plain
};

}  // namespace berth::client
