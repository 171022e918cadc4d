#include "cli/copy_paths.h"

#include <vector>

namespace berth::cli {
namespace {

bool HasTrailingSeparator(std::string_view path) { return !path.empty() && path.back() == '/'; }
bool SpecifiesCurrentDir(std::string_view path) { return GoBase(path) == "."; }

}  // namespace

CpArg SplitCpArg(std::string_view arg) {
  if (!arg.empty() && arg.front() == '/') return {"", std::string(arg)};
  const size_t colon = arg.find(':');
  if (colon == std::string_view::npos || arg.front() == '.') return {"", std::string(arg)};
  return {std::string(arg.substr(0, colon)), std::string(arg.substr(colon + 1))};
}

std::string GoClean(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
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

std::string PreserveTrailingDotOrSeparator(std::string cleaned, std::string_view original) {
  if (!SpecifiesCurrentDir(cleaned) && SpecifiesCurrentDir(original)) {
    if (!HasTrailingSeparator(cleaned)) cleaned += '/';
    cleaned += '.';
  }
  if (!HasTrailingSeparator(cleaned) && HasTrailingSeparator(original)) cleaned += '/';
  return cleaned;
}

std::string AbsolutePath(std::string_view path, std::string_view cwd) {
  std::string joined = !path.empty() && path.front() == '/'
                           ? std::string(path)
                           : std::string(cwd) + "/" + std::string(path);
  return PreserveTrailingDotOrSeparator(GoClean(joined), path);
}

DirEntry SplitPathDirEntry(std::string_view path) {
  std::string cleaned = GoClean(path);
  if (SpecifiesCurrentDir(path)) cleaned += "/.";
  return {GoDir(cleaned), GoBase(cleaned)};
}

Rebased GetRebaseName(std::string_view path, std::string_view resolved) {
  Rebased out{std::string(resolved), ""};
  if (SpecifiesCurrentDir(path) && !SpecifiesCurrentDir(out.path)) out.path += "/.";
  if (HasTrailingSeparator(path) && !HasTrailingSeparator(out.path)) out.path += '/';
  if (GoBase(path) != GoBase(out.path)) out.rebase_name = GoBase(path);
  return out;
}

std::string RebaseEntryName(std::string_view name, std::string_view old_base,
                            std::string_view new_base) {
  if (old_base == "/") old_base = "";
  std::string out(name);
  const size_t at = out.find(old_base);
  if (at != std::string::npos) out.replace(at, old_base.size(), new_base);
  return out;
}

Result<ArchiveCopyPlan> PrepareArchiveCopy(const CopyInfo& src, const CopyInfo& dst) {
  const DirEntry dst_parts = SplitPathDirEntry(dst.path);
  std::string src_base = SplitPathDirEntry(src.path).base;
  if (!src.rebase_name.empty()) src_base = src.rebase_name;
  ArchiveCopyPlan renamed{
      .dir = dst_parts.dir, .rename = true, .old_base = src_base, .new_base = dst_parts.base};
  if (dst.exists && dst.is_dir) return ArchiveCopyPlan{.dir = dst.path};
  if (dst.exists && src.is_dir) {
    return Fail(ErrorKind::kInvalidArgument, "cannot copy directory");
  }
  if (dst.exists || src.is_dir) return renamed;
  if (HasTrailingSeparator(dst.path) || SpecifiesCurrentDir(dst.path)) {
    return Fail(ErrorKind::kInvalidArgument, "no such directory");
  }
  return renamed;
}

}  // namespace berth::cli
