#include "cli/reference.h"

#include <algorithm>
#include <cctype>

namespace berth::cli {

std::pair<std::string, std::string> SplitRepoTag(const std::string& name) {
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return {name, ""};
  }
  return {name.substr(0, colon), name.substr(colon + 1)};
}

Result<NamedTag> ParseNamed(const std::string& name) {
  if (name.find('@') != std::string::npos) {
    return Fail(ErrorKind::kInvalidArgument, "refusing to create a tag with a digest reference");
  }
  auto [repo, tag] = SplitRepoTag(name);
  if (repo.empty() || repo.front() == '/' || repo.back() == '/' ||
      repo.find("//") != std::string::npos) {
    return Fail(ErrorKind::kInvalidArgument, "invalid reference format");
  }
  size_t slash = repo.find('/');
  std::string first = repo.substr(0, slash);
  const bool has_domain =
      slash != std::string::npos && (first.find('.') != std::string::npos ||
                                     first.find(':') != std::string::npos || first == "localhost");
  std::string path = has_domain ? repo.substr(slash + 1) : repo;
  if (std::any_of(path.begin(), path.end(),
                  [](char c) { return std::isupper(static_cast<unsigned char>(c)); })) {
    return Fail(ErrorKind::kInvalidArgument,
                "Error parsing reference: \"" + name + "\" is not a valid repository/tag: " +
                    "invalid reference format: repository name must be lowercase");
  }
  const std::string familiar = repo;
  if (!has_domain) {
    repo = (slash == std::string::npos ? "docker.io/library/" : "docker.io/") + repo;
  }
  return NamedTag{repo, familiar, tag};
}

}  // namespace berth::cli
