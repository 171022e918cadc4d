#include "registry/client/session.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/strings.h"

namespace berth::registry::client {

Session::Session(std::vector<Endpoint> endpoints, std::string repository, Credentials credentials,
                 std::string actions)
    : endpoints_(std::move(endpoints)),
      repository_(std::move(repository)),
      credentials_(std::move(credentials)) {
  // A login (no repository) asks the token server for a token without a scope, as docker does.
  if (!repository_.empty())
    scopes_.push_back(fmt::format("repository:{}:{}", repository_, actions));
  if (!credentials_.registry_token.empty()) {
    authorization_ = "Bearer " + credentials_.registry_token;
  }
}

void Session::AddScope(std::string scope) {
  std::lock_guard lock(mu_);
  scopes_.push_back(std::move(scope));
}

std::string Session::BaseUrl() {
  std::lock_guard lock(mu_);
  return endpoints_[chosen_.value_or(0)].url;
}

Result<HttpResponse> Session::Send(const Endpoint& endpoint, HttpRequest request,
                                   const std::string& url) {
  request.url = url;
  std::string authorization;
  {
    std::lock_guard lock(mu_);
    authorization = authorization_;
  }
  const bool sent_authorization = !authorization.empty();
  if (sent_authorization) request.headers.emplace_back("Authorization", authorization);
  BERTH_ASSIGN_OR_RETURN(HttpResponse response, Perform(endpoint.tls, request));
  if (response.status != 401 || !response.Header("WWW-Authenticate")) return response;
  BERTH_TRY(Authorize(endpoint, response));
  {
    std::lock_guard lock(mu_);
    authorization = authorization_;
  }
  if (authorization.empty()) return response;
  if (sent_authorization) request.headers.pop_back();
  request.headers.emplace_back("Authorization", authorization);
  return Perform(endpoint.tls, request);
}

Result<HttpResponse> Session::Do(HttpRequest request, const std::string& path) {
  std::optional<size_t> chosen;
  {
    std::lock_guard lock(mu_);
    chosen = chosen_;
  }
  if (chosen) {
    const Endpoint& endpoint = endpoints_[*chosen];
    return Send(endpoint, std::move(request),
                path.starts_with("/") ? endpoint.url + path : ResolveUrl(endpoint.url, path));
  }
  std::optional<Error> last;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    const Endpoint& endpoint = endpoints_[i];
    Result<HttpResponse> response = Send(endpoint, request, endpoint.url + path);
    // A mirror that lacks the content, or any endpoint that does not answer, passes the turn.
    const bool next = i + 1 < endpoints_.size() &&
                      (!response || (endpoint.mirror && response->status / 100 != 2));
    if (next) {
      log::Debug(
          "registry: {} failed, trying the next endpoint: {}", endpoint.url,
          response ? fmt::format("status {}", response->status) : response.error().message());
      if (!response) last = response.error();
      continue;
    }
    if (response) {
      std::lock_guard lock(mu_);
      chosen_ = i;
    }
    return response;
  }
  return Fail(last ? *last : Error(ErrorKind::kUnavailable, "no registry endpoint"));
}

Status Session::Authorize(const Endpoint& endpoint, const HttpResponse& response) {
  BERTH_ASSIGN_OR_RETURN(Challenge challenge,
                         ParseChallenge(response.Header("WWW-Authenticate").value_or("")));
  std::string authorization;
  if (challenge.scheme == "basic") {
    if (credentials_.username.empty()) return Ok();  // the 401 stands
    authorization = BasicAuthorization(credentials_.username, credentials_.password);
  } else if (challenge.scheme == "bearer") {
    BERTH_ASSIGN_OR_RETURN(std::string token, FetchToken(endpoint, challenge));
    authorization = "Bearer " + token;
  } else {
    return Fail(ErrorKind::kUnauthenticated, fmt::format("{}: unsupported authentication scheme {}",
                                                         endpoint.url, challenge.scheme));
  }
  std::lock_guard lock(mu_);
  authorization_ = std::move(authorization);
  return Ok();
}

Result<std::string> Session::FetchToken(const Endpoint& endpoint, const Challenge& challenge) {
  auto realm = challenge.params.find("realm");
  if (realm == challenge.params.end() || realm->second.empty()) {
    return Fail(ErrorKind::kUnauthenticated,
                fmt::format("{}: a bearer challenge without a realm", endpoint.url));
  }
  std::string url = realm->second;
  std::vector<std::string> query;
  if (auto service = challenge.params.find("service"); service != challenge.params.end()) {
    query.push_back("service=" + UrlEscape(service->second));
  }
  {
    std::lock_guard lock(mu_);
    for (const std::string& scope : scopes_) query.push_back("scope=" + UrlEscape(scope));
  }
  if (!credentials_.username.empty()) {
    query.push_back("account=" + UrlEscape(credentials_.username));
  }
  url += (url.find('?') == std::string::npos ? "?" : "&") + Join(query, "&");
  HttpRequest request{.url = url};
  if (!credentials_.username.empty()) {
    request.headers.emplace_back("Authorization",
                                 BasicAuthorization(credentials_.username, credentials_.password));
  }
  // The token server is trusted as the registry is (the same CAs, or none for an insecure one).
  BERTH_ASSIGN_OR_RETURN(HttpResponse response, Perform(endpoint.tls, request));
  BERTH_TRY(CheckStatus(response, "get a token from " + realm->second));
  return ParseTokenResponse(response.body);
}

Status Session::Ping() {
  BERTH_ASSIGN_OR_RETURN(HttpResponse response, Do({}, "/v2/"));
  return CheckStatus(response, "login to " + BaseUrl());
}

std::string RegistryErrorText(std::string_view body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("errors") ||
      !json["errors"].is_array() || json["errors"].empty()) {
    return "";
  }
  std::vector<std::string> texts;
  for (const auto& error : json["errors"]) {
    if (!error.is_object()) continue;
    std::string code = error.value("code", "");
    for (char& c : code) {
      c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string message = error.contains("message") && error["message"].is_string()
                                    ? error["message"].get<std::string>()
                                    : "";
    texts.push_back(message.empty() ? code : fmt::format("{}: {}", code, message));
  }
  return Join(texts, ", ");
}

Status CheckStatus(const HttpResponse& response, std::string_view what) {
  if (response.status / 100 == 2) return Ok();
  ErrorKind kind = ErrorKind::kUnavailable;
  switch (response.status) {
    case 401:
      kind = ErrorKind::kUnauthenticated;
      break;
    case 403:
      kind = ErrorKind::kPermissionDenied;
      break;
    case 404:
      kind = ErrorKind::kNotFound;
      break;
    case 400:
    case 405:
    case 409:
    case 416:
      kind = ErrorKind::kInvalidArgument;
      break;
    default:
      break;
  }
  std::string text = RegistryErrorText(response.body);
  if (text.empty())
    text = fmt::format("unexpected status {} from {}", response.status, response.url);
  return Fail(kind, fmt::format("{}: {}", what, text));
}

}  // namespace berth::registry::client
