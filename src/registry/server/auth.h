// Basic authentication against an htpasswd file ("user:hash" lines, as Apache's htpasswd writes
// them; bcrypt "$2y$" hashes, and any other scheme libcrypt's crypt() knows). Thread-safe once
// loaded (read-only).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::registry::server {

class Htpasswd {
 public:
  // Load reads the file; a line without "user:hash" is kInvalidArgument naming its number.
  static Result<Htpasswd> Load(const std::string& path);
  // Check verifies an Authorization header's value: kUnauthenticated when it is absent, not
  // Basic, malformed, or names an unknown user or a wrong password.
  Status Check(std::optional<std::string_view> authorization) const;

 private:
  std::map<std::string, std::string, std::less<>> users_;  // user → hash
};

}  // namespace berth::registry::server
