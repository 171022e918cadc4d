#include "cli/copy_paths.h"

namespace berth::cli {
namespace {

bool HasTrailingSeparator(std::string_view path) { return !path.empty() && path.back() == '/'; }

}  // namespace

CpArg SplitCpArg(std::string_view arg) {
  if (!arg.empty() && arg.front() == '/') return {"", std::string(arg)};
  const size_t colon = arg.find(':');
  if (colon == std::string_view::npos || arg.front() == '.') return {"", std::string(arg)};
  return {std::string(arg.substr(0, colon)), std::string(arg.substr(colon + 1))};
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
