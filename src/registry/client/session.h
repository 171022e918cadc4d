// A Session talks to one repository of one registry for one piece of work (a pull, a push, a
// login): it picks the first endpoint that answers (hosts.h), answers the registry's challenges
// (Basic with the credentials; Bearer by asking the token server of the challenge for a token
// with the repository's scope, with the credentials when there are any) and sends the
// authorization with every later request. Registry errors become errors of the right kind with
// the registry's words ("manifest unknown: manifest unknown"). Thread-safe: blobs are fetched on
// several threads through one session.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "registry/client/auth.h"
#include "registry/client/hosts.h"
#include "registry/client/transport.h"

namespace berth::registry::client {

class Session {
 public:
  // repository is the path ("library/busybox"); actions the scope's ("pull", "pull,push").
  // extra_scopes are added to token requests ("repository:other/repo:pull" for a mount).
  Session(std::vector<Endpoint> endpoints, std::string repository, Credentials credentials,
          std::string actions);

  // Do sends request with path (beginning "/v2/") on the session's endpoint, or to path when it
  // is a whole URL (an upload's Location), answering a 401 once. The response may be any status:
  // the caller judges it (CheckStatus).
  Result<HttpResponse> Do(HttpRequest request, const std::string& path);

  // Ping is GET /v2/: it fails when the credentials are refused (kUnauthenticated) or no
  // endpoint answers.
  Status Ping();

  void AddScope(std::string scope);
  const std::string& repository() const { return repository_; }
  // The endpoint in use (after the first request); for messages and relative Locations.
  std::string BaseUrl();

 private:
  Result<HttpResponse> Send(const Endpoint& endpoint, HttpRequest request, const std::string& url);
  Status Authorize(const Endpoint& endpoint, const HttpResponse& challenge_response);
  Result<std::string> FetchToken(const Endpoint& endpoint, const Challenge& challenge);

  std::vector<Endpoint> endpoints_;
  std::string repository_;
  Credentials credentials_;
  std::vector<std::string> scopes_;
  std::mutex mu_;
  std::optional<size_t> chosen_;  // the endpoint that answered
  std::string authorization_;     // the Authorization header's value, once known
};

// CheckStatus turns a response whose status is not in the 2xx range into an error: 401
// kUnauthenticated, 403 kPermissionDenied, 404 kNotFound, 400/405/409/416 kInvalidArgument,
// others kUnavailable; the message is the registry's errors ("unauthorized: authentication
// required") or the status line. what is prepended.
Status CheckStatus(const HttpResponse& response, std::string_view what);

// RegistryErrorText reads the distribution spec's {"errors":[{"code","message"}]} body as docker
// prints it: "manifest unknown: manifest unknown" (the code in lowercase words, then the
// message); empty when the body is no such JSON.
std::string RegistryErrorText(std::string_view body);

}  // namespace berth::registry::client
