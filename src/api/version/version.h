// Engine API versions ("1.41"): compared number by number as docker compares them, taken off the
// "/vX.Y" prefix of a request path, and checked against the range a server speaks; and the HTTP
// server options that make http's generic server speak the Engine API (its version prefix and
// the headers docker's responses carry). Route handlers use CompareApiVersions to keep the
// behaviour of older versions. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "http/server.h"

namespace berth::api::version {

// CompareApiVersions compares two versions part by part ("1.9" < "1.10" < "1.10.1"); a missing or
// empty part counts as 0, as in docker's versions package. Returns <0 when a is older than b, 0
// when they are the same version, >0 when a is newer.
int CompareApiVersions(std::string_view a, std::string_view b);

struct VersionedPath {
  std::string_view version;  // "1.41"; empty when the path has no prefix
  std::string_view path;     // the rest, starting with '/'
};

// SplitApiVersion takes a "/v<digits and dots>" first segment off path ("/v1.41/info" gives
// "1.41" and "/info"). A path without such a prefix ("/info", "/vabc/info", "/v1.41") is returned
// whole with an empty version.
VersionedPath SplitApiVersion(std::string_view path);

// CheckApiVersion refuses, as kInvalidArgument with dockerd's wording, a client version older
// than min_version or newer than max_version.
Status CheckApiVersion(std::string_view version, std::string_view min_version,
                       std::string_view max_version);

// The versions an Engine API server speaks.
struct EngineVersions {
  std::string api_version = "1.45";      // the newest version spoken; unversioned paths get it
  std::string min_api_version = "1.24";  // older "/vX.Y" prefixes are 400
  std::string server_version;            // berth's own version ("" when unknown)
};

// EngineServerOptions returns the options of an Engine API server: every response carries
// Api-Version, Docker-Experimental and Ostype, the Server header names berth and its version, and
// a request's "/vX.Y" prefix is taken off its path, checked against the versions spoken and kept
// in api_version (an unversioned path gets the newest).
http::ServerOptions EngineServerOptions(const EngineVersions& versions);

}  // namespace berth::api::version
