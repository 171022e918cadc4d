#include "registry/server/auth.h"

#include <crypt.h>

#include <memory>

#include "base/file.h"
#include "base/strings.h"
#include "http/server.h"

namespace berth::registry::server {
namespace {

tl::unexpected<Error> Unauthenticated(std::string message) {
  return Fail(ErrorKind::kUnauthenticated, std::move(message));
}

// SameBytes compares without stopping at the first difference.
bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Result<Htpasswd> Htpasswd::Load(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Htpasswd htpasswd;
  size_t number = 0;
  for (const std::string& raw : Split(text, '\n')) {
    ++number;
    std::string_view line = TrimSpace(raw);
    if (line.empty() || line.front() == '#') continue;
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == line.size()) {
      return Fail(ErrorKind::kInvalidArgument,
                  path + ":" + std::to_string(number) + ": not a \"user:hash\" line");
    }
    htpasswd.users_[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 1));
  }
  return htpasswd;
}

Status Htpasswd::Check(std::optional<std::string_view> authorization) const {
  if (!authorization) return Unauthenticated("authentication required");
  std::optional<std::string_view> credentials = http::AuthorizationOf(*authorization, "Basic");
  if (!credentials) return Unauthenticated("authentication required: Basic credentials expected");
  Result<std::string> decoded = Base64Decode(*credentials);
  if (!decoded) return Unauthenticated("malformed Basic credentials");
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return Unauthenticated("malformed Basic credentials");
  std::string user = decoded->substr(0, colon);
  std::string password = decoded->substr(colon + 1);
  auto it = users_.find(user);
  if (it == users_.end()) return Unauthenticated("invalid username or password");
  auto data = std::make_unique<crypt_data>();
  const char* hashed = crypt_r(password.c_str(), it->second.c_str(), data.get());
  if (hashed == nullptr || hashed[0] == '*' || !SameBytes(hashed, it->second)) {
    return Unauthenticated("invalid username or password");
  }
  return Ok();
}

}  // namespace berth::registry::server
