// Token authentication as distribution's token server scheme has it: a client without a valid
// token is sent to the token server (`WWW-Authenticate: Bearer realm=...,service=...,scope=...`)
// and comes back with a JWT signed by a key of the root certificate bundle. TokenVerifier checks
// such a token: its signature (RS256/384/512, ES256/384/512), its key (an `x5c` chain that ends
// in a root certificate, or the `kid` of a root certificate's key as libtrust names keys), its
// times (exp, nbf, with a minute of leeway), its issuer and its audience (the service); then the
// `access` claim says what it grants. Thread-safe once loaded (read-only).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::registry::server {

struct TokenOptions {
  std::string realm;           // the token server's URL, sent in challenges
  std::string service;         // the token's audience, sent in challenges
  std::string issuer;          // the token's iss
  std::string rootcertbundle;  // PEM certificates whose keys sign tokens
};

// One resource and the actions on it: a challenge's or a token's access entry
// ("repository:library/app:pull,push", "registry:catalog:*").
struct Scope {
  std::string type;
  std::string name;
  std::vector<std::string> actions;

  std::string String() const;  // "type:name:a,b"
};

// Grants says whether granted (a token's access claim) allows action on the resource of needed
// ("*" among the granted actions allows every action).
bool Grants(const std::vector<Scope>& granted, const Scope& needed, std::string_view action);

class TokenVerifier {
 public:
  // Load reads the root certificates; kInvalidArgument when an option is missing or the bundle
  // holds no certificate.
  static Result<TokenVerifier> Load(const TokenOptions& options);

  // Verify checks a token (the Authorization header's value after "Bearer ") at time now and
  // returns the access it grants; kUnauthenticated says what is wrong with it.
  Result<std::vector<Scope>> Verify(std::string_view token,
                                    std::chrono::system_clock::time_point now) const;

  // Challenge is the WWW-Authenticate value that sends a client to the token server for scope
  // (none for GET /v2/); error ("invalid_token", "insufficient_scope") is added when not empty.
  std::string Challenge(const Scope* scope, std::string_view error) const;

 private:
  struct Keys;
  explicit TokenVerifier(TokenOptions options, std::shared_ptr<const Keys> keys);

  TokenOptions options_;
  std::shared_ptr<const Keys> keys_;
};

// LibtrustKeyId names a public key (DER SubjectPublicKeyInfo) as libtrust does, the `kid` of
// distribution's tokens: the first 240 bits of its SHA-256 in base32, as 12 groups of 4
// characters joined by ':'.
std::string LibtrustKeyId(std::string_view spki_der);

}  // namespace berth::registry::server
