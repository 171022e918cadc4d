#include "image/layer/entry_name.h"

#include <fmt/format.h>

#include <vector>

namespace berth::image::layer {

Result<std::string> CleanEntryName(std::string_view name) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return Fail(ErrorKind::kInvalidArgument, "path leaves the layer");
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string clean;
  clean.reserve(name.size());
  for (std::string_view part : parts) {
    if (!clean.empty()) clean += '/';
    clean += part;
  }
  return clean;
}

SplitPath SplitName(std::string_view clean_name) {
  size_t slash = clean_name.rfind('/');
  if (slash == std::string_view::npos) return {{}, clean_name};
  return {clean_name.substr(0, slash), clean_name.substr(slash + 1)};
}

std::string QuoteName(std::string_view name) {
  constexpr size_t kMaxShown = 256;
  std::string out = "\"";
  for (size_t i = 0; i < name.size() && i < kMaxShown; ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (name.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

}  // namespace berth::image::layer
