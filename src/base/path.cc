#include "base/path.h"

#include <vector>

namespace berth {

std::string GoClean(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::string GoBase(std::string_view path) {
  if (path.empty()) return ".";
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") return "/";
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string GoDir(std::string_view path) {
  const size_t slash = path.rfind('/');
  return GoClean(slash == std::string_view::npos ? "" : path.substr(0, slash + 1));
}

bool SpecifiesCurrentDir(std::string_view path) { return GoBase(path) == "."; }

std::string PreserveTrailingDotOrSeparator(std::string cleaned, std::string_view original) {
  if (!SpecifiesCurrentDir(cleaned) && SpecifiesCurrentDir(original)) {
    if (cleaned.empty() || cleaned.back() != '/') cleaned += '/';
    cleaned += '.';
  }
  if ((cleaned.empty() || cleaned.back() != '/') && !original.empty() && original.back() == '/') {
    cleaned += '/';
  }
  return cleaned;
}

}  // namespace berth
