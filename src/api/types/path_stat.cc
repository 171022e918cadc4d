#include "api/types/path_stat.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace berth::api::types {

std::string EncodePathStat(const ContainerPathStat& stat) {
  const nlohmann::ordered_json json = {{"name", stat.name},
                                       {"size", stat.size},
                                       {"mode", stat.mode},
                                       {"mtime", stat.mtime},
                                       {"linkTarget", stat.link_target}};
  return Base64Encode(json.dump());
}

Result<ContainerPathStat> DecodePathStat(std::string_view header) {
  BERTH_ASSIGN_OR_RETURN(std::string text, Annotate(Base64Decode(header), "decode path stat"));
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "decode path stat: not a JSON object");
  }
  ContainerPathStat stat;
  auto field = [&](const char* key) { return json.contains(key) ? json[key] : nlohmann::json(); };
  if (field("name").is_string()) stat.name = field("name").get<std::string>();
  if (field("size").is_number_integer()) stat.size = field("size").get<int64_t>();
  if (field("mode").is_number_unsigned()) stat.mode = field("mode").get<uint32_t>();
  if (field("mtime").is_string()) stat.mtime = field("mtime").get<std::string>();
  if (field("linkTarget").is_string()) stat.link_target = field("linkTarget").get<std::string>();
  return stat;
}

}  // namespace berth::api::types
