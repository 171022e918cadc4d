#include "api/version/version.h"

#include <cstdint>
#include <string>

namespace berth::api::version {
namespace {

// NextPart returns the number before the next '.' of rest (0 when empty or not a number, as Go's
// strconv.Atoi errors are ignored by docker) and moves rest past it.
uint64_t NextPart(std::string_view* rest) {
  size_t dot = rest->find('.');
  std::string_view part = rest->substr(0, dot);
  *rest = dot == std::string_view::npos ? std::string_view() : rest->substr(dot + 1);
  uint64_t value = 0;
  for (char c : part) {
    if (c < '0' || c > '9') return 0;
    if (value > (UINT64_MAX - 9) / 10) return UINT64_MAX;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

int CompareApiVersions(std::string_view a, std::string_view b) {
  // An empty string has one (empty) part, like strings.Split in Go; the loop runs while either
  // side has parts left.
  bool a_more = true;
  bool b_more = true;
  while (a_more || b_more) {
    uint64_t x = a_more ? NextPart(&a) : 0;
    uint64_t y = b_more ? NextPart(&b) : 0;
    a_more = a_more && !a.empty();
    b_more = b_more && !b.empty();
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

VersionedPath SplitApiVersion(std::string_view path) {
  if (path.size() < 4 || path.substr(0, 2) != "/v") return {{}, path};
  size_t end = path.find('/', 2);
  if (end == std::string_view::npos || end == 2) return {{}, path};
  std::string_view version = path.substr(2, end - 2);
  if (version.find_first_not_of("0123456789.") != std::string_view::npos) return {{}, path};
  return {version, path.substr(end)};
}

Status CheckApiVersion(std::string_view version, std::string_view min_version,
                       std::string_view max_version) {
  std::string v(version);
  if (CompareApiVersions(version, min_version) < 0) {
    return Fail(ErrorKind::kInvalidArgument,
                "client version " + v + " is too old. Minimum supported API version is " +
                    std::string(min_version) + ", please upgrade your client to a newer version");
  }
  if (CompareApiVersions(version, max_version) > 0) {
    return Fail(ErrorKind::kInvalidArgument, "client version " + v +
                                                 " is too new. Maximum supported API version is " +
                                                 std::string(max_version));
  }
  return Ok();
}

http::ServerOptions EngineServerOptions(const EngineVersions& versions) {
  http::ServerOptions options;
  options.response_headers = {
      {"Api-Version", versions.api_version}, {"Docker-Experimental", "false"}, {"Ostype", "linux"}};
  options.server_name = "berth";
  options.server_version = versions.server_version;
  options.prepare = [versions](http::Request& request) -> Status {
    VersionedPath versioned = SplitApiVersion(request.path);
    if (versioned.version.empty()) {
      request.api_version = versions.api_version;
      return Ok();
    }
    BERTH_TRY(CheckApiVersion(versioned.version, versions.min_api_version, versions.api_version));
    request.api_version = std::string(versioned.version);
    request.path = std::string(versioned.path);
    return Ok();
  };
  return options;
}

}  // namespace berth::api::version
