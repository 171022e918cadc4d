// HTTP for the registry client, over libcurl: one request per call on an easy handle of its own
// (so calls may run on several threads at once), TLS verified against the system's CAs plus a
// registry's own, or not verified for an insecure registry; redirects followed (blob storage),
// an Authorization header never sent to the host a redirect leads to (libcurl's rule). A
// response body is either collected (small: manifests, errors, tokens) or handed to a callback
// as it arrives (blobs), never held whole.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace berth::registry::client {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// TLS settings of one endpoint.
struct TlsOptions {
  bool verify = true;
  std::vector<std::string> ca_files;  // PEM files trusted besides the system's
  std::string client_cert;            // PEM certificate and key for mutual TLS, when given
  std::string client_key;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;  // sent when body_fd is -1
  int body_fd = -1;  // body_size bytes from body_offset sent with pread (the caller's fd)
  int64_t body_offset = 0;
  int64_t body_size = 0;
  // For a 2xx response: called once its headers are in, then with each piece of the body. An
  // error returned stops the transfer and is the call's result. Other responses are collected.
  std::function<Status(long status, const HttpHeaders& headers)> on_start;
  std::function<Status(std::string_view data)> on_data;
  // Called as the request body is sent, with the bytes sent so far.
  std::function<void(int64_t sent)> on_upload;
  int64_t max_body = 4 << 20;  // the most of a collected body kept; more is kResourceExhausted
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;  // of the last response (after redirects)
  std::string body;     // when collected
  std::string url;      // the URL that answered (after redirects)

  std::optional<std::string> Header(std::string_view name) const;
};

// Perform sends request and waits for the whole response. Transfer failures (connection, TLS,
// a body cut short) are kUnavailable naming the URL; the errors of the callbacks pass through.
Result<HttpResponse> Perform(const TlsOptions& tls, const HttpRequest& request);

// ResolveUrl makes a Location (absolute, or a path) absolute against the URL it came from.
std::string ResolveUrl(std::string_view base, std::string_view location);

// UrlEscape percent-encodes a query value.
std::string UrlEscape(std::string_view value);

}  // namespace berth::registry::client
