// The path rules of `berth cp`, pure, as docker's CLI applies them (cli/command/container/cp.go
// and moby's pkg/archive copy.go): which argument names a container, how a local path is made
// absolute, and how a copied archive is renamed and where it is extracted so that the copy lands
// where the user asked: into an existing directory, over an existing file, or as a new name.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/path.h"
#include "base/result.h"

namespace berth::cli {

// SplitCpArg splits "CONTAINER:PATH"; an absolute path, a path without ':' or one starting with
// "." is local (container "").
struct CpArg {
  std::string container;
  std::string path;
};
CpArg SplitCpArg(std::string_view arg);

// AbsolutePath is docker's resolveLocalPath: cwd joined with path, cleaned, its trailing "/" or
// "/." kept.
std::string AbsolutePath(std::string_view path, std::string_view cwd);

// SplitPathDirEntry splits a path into its directory and last entry, keeping "." for a path
// that ends in "/.": "/a/b/" → {"/a", "b"}, "/a/b/." → {"/a/b", "."}.
struct DirEntry {
  std::string dir;
  std::string base;
};
DirEntry SplitPathDirEntry(std::string_view path);

// RebaseName is docker's GetRebaseName: when following a link changed the last component of
// path, the resolved path (with path's trailing "/" or "/." kept) and the name the archive's
// top entry must take back ("" when none).
struct Rebased {
  std::string path;
  std::string rebase_name;
};
Rebased GetRebaseName(std::string_view path, std::string_view resolved);

// RebaseEntryName renames one archive entry as moby's RebaseArchiveEntries does: the first
// occurrence of old_base replaced by new_base (old_base "/" counts as "").
std::string RebaseEntryName(std::string_view name, std::string_view old_base,
                            std::string_view new_base);

struct CopyInfo {
  std::string path;
  bool exists = false;
  bool is_dir = false;
  std::string rebase_name;
};

// ArchiveCopyPlan is where a source archive goes and how its entries are renamed: extract into
// dir, and when rename is set, rename entries from old_base to new_base.
struct ArchiveCopyPlan {
  std::string dir;
  bool rename = false;
  std::string old_base;
  std::string new_base;
};

// PrepareArchiveCopy is moby's PrepareArchiveCopy: kInvalidArgument "cannot copy directory" (a
// directory onto an existing file) or "no such directory" (a file onto "dir/" that does not
// exist).
Result<ArchiveCopyPlan> PrepareArchiveCopy(const CopyInfo& src, const CopyInfo& dst);

}  // namespace berth::cli
