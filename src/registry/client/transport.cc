#include "registry/client/transport.h"

#include <curl/curl.h>
#include <strings.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <memory>
#include <mutex>

#include "base/strings.h"

namespace berth::registry::client {
namespace {

struct CurlFree {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// Transfer is the state the callbacks of one request share.
struct Transfer {
  const HttpRequest* request = nullptr;
  CURL* curl = nullptr;
  HttpResponse response;
  bool started = false;    // on_start was called for this response
  bool streaming = false;  // the body goes to on_data
  Status failure = Ok();   // an error of a callback
  int64_t sent = 0;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (a redirect or a 100 Continue came before)
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    t->response.headers.emplace_back(std::string(TrimSpace(line.substr(0, colon))),
                                     std::string(TrimSpace(line.substr(colon + 1))));
  }
  return size * count;
}

Status Start(Transfer* t) {
  t->started = true;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->response.status);
  t->streaming = t->response.status / 100 == 2 && t->request->on_data;
  if (t->streaming && t->request->on_start) {
    return t->request->on_start(t->response.status, t->response.headers);
  }
  return Ok();
}

size_t OnData(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view piece(data, size * count);
  if (!t->started) {
    t->failure = Start(t);
    if (!t->failure) return 0;
  }
  if (t->streaming) {
    t->failure = t->request->on_data(piece);
    return t->failure ? piece.size() : 0;
  }
  if (t->response.body.size() + piece.size() > static_cast<size_t>(t->request->max_body)) {
    t->failure =
        Fail(ErrorKind::kResourceExhausted, fmt::format("{}: the response is larger than {} bytes",
                                                        t->request->url, t->request->max_body));
    return 0;
  }
  t->response.body.append(piece);
  return piece.size();
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const HttpRequest& r = *t->request;
  const int64_t left = r.body_size - t->sent;
  if (left <= 0) return 0;
  const size_t want = std::min(size * count, static_cast<size_t>(left));
  ssize_t n = pread(r.body_fd, buffer, want, r.body_offset + t->sent);
  if (n <= 0) {
    t->failure = n < 0 ? Fail(ErrnoNow("read the upload"))
                       : Fail(ErrorKind::kDataLoss, "read the upload: the file is shorter");
    return CURL_READFUNC_ABORT;
  }
  t->sent += n;
  if (r.on_upload) r.on_upload(t->sent);
  return static_cast<size_t>(n);
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void SetTls(CURL* curl, const TlsOptions& tls) {
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
  if (!tls.ca_files.empty()) {
    // libcurl takes one CA file besides the system's directory; the first is used.
    curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca_files.front().c_str());
    curl_easy_setopt(curl, CURLOPT_CAPATH, "/etc/ssl/certs");
  }
  if (!tls.client_cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.client_cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.client_key.c_str());
  }
}

void SetBody(CURL* curl, const HttpRequest& request, Transfer* t) {
  const bool has_body = request.body_fd >= 0 || !request.body.empty();
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" && request.body_fd >= 0) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body_size));
  } else if (request.method != "GET" || has_body) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.body_fd >= 0) {
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body_size));
    } else {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    }
  }
  if (request.body_fd >= 0) {
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, t);
  }
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return std::nullopt;
}

Result<HttpResponse> Perform(const TlsOptions& tls, const HttpRequest& request) {
  GlobalInit();
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return Fail(ErrorKind::kInternal, "curl_easy_init failed");
  Transfer t{.request = &request, .curl = curl.get()};
  std::unique_ptr<curl_slist, SlistFree> headers;
  for (const auto& [name, value] : request.headers) {
    headers.reset(curl_slist_append(headers.release(), fmt::format("{}: {}", name, value).c_str()));
  }
  // libcurl would wait for "100 Continue" before a large upload; registries do not need it.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  CURL* c = curl.get();
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A transfer that moves less than 1 byte/s for 60 s is broken.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/0.1 (registry client)");
  // Larger buffers than libcurl's 16 KiB (download) and 64 KiB (upload): a blob then reaches
  // its sink, and leaves its file, in a few hundred calls per 100 MB rather than thousands.
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L << 10);
  curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 2L << 20);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnData);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  SetTls(c, tls);
  SetBody(c, request, &t);
  CURLcode code = curl_easy_perform(c);
  if (!t.failure) return Fail(std::move(t.failure).error());
  if (code != CURLE_OK) {
    return Fail(ErrorKind::kUnavailable,
                fmt::format("{} {}: {}", request.method, request.url,
                            error[0] != '\0' ? error : curl_easy_strerror(code)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.response.status);
  if (!t.started) BERTH_TRY(Start(&t));
  char* url = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &url);
  if (url != nullptr) t.response.url = url;
  return std::move(t.response);
}

std::string ResolveUrl(std::string_view base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  const size_t scheme = base.find("://");
  const size_t path = base.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  const std::string_view origin = base.substr(0, path);
  if (location.starts_with('/')) return fmt::format("{}{}", origin, location);
  const std::string_view dir = base.substr(0, base.rfind('/') + 1);
  return fmt::format("{}{}", dir, location);
}

std::string UrlEscape(std::string_view value) {
  std::string out;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

}  // namespace berth::registry::client
