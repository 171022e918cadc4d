// Registry authentication as the distribution spec and docker do it: credentials (docker's
// AuthConfig, as the Engine API's X-Registry-Auth header carries them), the challenges of a
// registry's WWW-Authenticate header (Basic, Bearer realm/service/scope), and the answer of a
// token server. Pure functions over values; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::registry::client {

// Credentials for one registry: a user and password, or the tokens a login returned.
struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;  // an OAuth refresh token ("identitytoken")
  std::string registry_token;  // a bearer token to send as it is ("registrytoken")
  std::string server_address;

  bool Empty() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
};

// DecodeRegistryAuth reads the X-Registry-Auth header: base64url (padded or not; the standard
// alphabet is accepted too, as docker accepts it) of a JSON AuthConfig. An empty header or "{}"
// is anonymous. kInvalidArgument names what is wrong.
Result<Credentials> DecodeRegistryAuth(std::string_view header);

// One challenge of a WWW-Authenticate header: its scheme in lowercase ("basic", "bearer") and its
// auth-params with lowercase names.
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};

// ParseChallenge reads the first challenge of a WWW-Authenticate header value (RFC 7235:
// `Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"`; values
// are tokens or quoted strings with backslash escapes). kInvalidArgument when there is no scheme
// or a parameter is malformed.
Result<Challenge> ParseChallenge(std::string_view header);

// ParseTokenResponse takes the bearer token out of a token server's JSON answer ("token", or
// "access_token" as OAuth servers name it). kUnauthenticated when it holds neither.
Result<std::string> ParseTokenResponse(std::string_view json);

// BasicAuthorization is the Authorization header value "Basic base64(user:password)".
std::string BasicAuthorization(std::string_view username, std::string_view password);

}  // namespace berth::registry::client
