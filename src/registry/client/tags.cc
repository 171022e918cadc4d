#include "registry/client/tags.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace berth::registry::client {

std::optional<std::string> NextLink(std::string_view link) {
  // Several links may be joined by commas: <a>; rel="x", <b>; rel="next".
  while (!link.empty()) {
    const size_t open = link.find('<');
    const size_t close = link.find('>', open);
    if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
    const std::string_view target = link.substr(open + 1, close - open - 1);
    link.remove_prefix(close + 1);
    const size_t next_link = link.find('<');
    const std::string_view params = link.substr(0, next_link);
    if (params.find("rel=\"next\"") != std::string_view::npos ||
        params.find("rel=next") != std::string_view::npos) {
      return std::string(target);
    }
    if (next_link == std::string_view::npos) break;
    link.remove_prefix(next_link);
  }
  return std::nullopt;
}

Result<std::vector<std::string>> ListTags(Session& session) {
  const std::string what = "list the tags of " + session.repository();
  std::vector<std::string> tags;
  std::string path = fmt::format("/v2/{}/tags/list", session.repository());
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(HttpResponse response, session.Do({}, path));
    BERTH_TRY(CheckStatus(response, what));
    nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
    if (!body.is_object()) return Fail(ErrorKind::kDataLoss, what + ": the answer is not JSON");
    if (auto it = body.find("tags"); it != body.end() && it->is_array()) {
      for (const nlohmann::json& tag : *it) {
        if (!tag.is_string()) return Fail(ErrorKind::kDataLoss, what + ": a tag is not a string");
        tags.push_back(tag.get<std::string>());
      }
    }
    std::optional<std::string> next = NextLink(response.Header("Link").value_or(""));
    if (!next) return tags;
    path = std::move(*next);
  }
}

}  // namespace berth::registry::client
