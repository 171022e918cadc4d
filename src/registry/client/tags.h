// The tags of a repository, as the distribution API lists them (GET /v2/<name>/tags/list), for
// `docker pull --all-tags`. Thread-safe as the session is.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "registry/client/session.h"

namespace berth::registry::client {

// ListTags reads every page of the session's repository's tag list, following the Link header's
// rel="next", in the registry's order. kNotFound for a repository the registry does not know.
Result<std::vector<std::string>> ListTags(Session& session);

// NextLink is the target of a Link header's rel="next" (`</v2/a/tags/list?n=2&last=b>;
// rel="next"`), or nullopt when there is none.
std::optional<std::string> NextLink(std::string_view link);

}  // namespace berth::registry::client
