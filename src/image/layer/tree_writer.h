// TreeWriter writes the entries of one layer into a layer directory, never outside it. Every
// lookup goes through a descriptor of the directory with openat2 RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS: a symlink on the way may be followed only while it stays beneath the
// directory; an absolute one, one that climbs out, or a /proc magic link fails the entry (EXDEV)
// instead of being reinterpreted. (RESOLVE_IN_ROOT would instead read "/x" as the directory's
// "x", which is right for a container's root but guesswork for an overlay lowerdir, where the
// layer directory is not the root the link was written for.) The last component is never
// followed: files are created O_EXCL|O_NOFOLLOW, metadata is set on descriptors or with
// AT_SYMLINK_NOFOLLOW, hardlinks are made with linkat on resolved parents. An entry that exists
// is replaced, except a directory over a directory, which is kept with the entry's metadata.
// Directory modes and times are set by Finish, deepest first, after their children are written.
// Parent directories are cached by name; a removal of a directory or symlink empties the cache
// before the next entry. One TreeWriter per directory and thread; it borrows the root descriptor.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::image::layer {

// How whiteout entries are written; see whiteout.h for both encodings.
enum class WhiteoutMode {
  // The directory starts empty and becomes one overlay lowerdir: ".wh.x" becomes the character
  // device 0/0 "x" and ".wh..wh..opq" sets trusted.overlay.opaque="y" on its directory (both need
  // CAP_MKNOD / CAP_SYS_ADMIN). A whiteout of a name this layer wrote itself cannot coexist with
  // it: a directory is made opaque instead, anything else is left as it is (it already hides the
  // lower name); a directory written over a whiteout device is made opaque.
  kOverlay,
  // The directory already holds the lower layers (a copying snapshotter): ".wh.x" deletes x and
  // an opaque marker deletes the directory's children, but only what lower layers left there,
  // never what this same layer wrote, whatever the order of the entries (OCI image-spec:
  // whiteouts apply to lower layers only).
  kApply,
  // Not a layer but plain files (docker cp): ".wh." names are ordinary files, and an entry for
  // the directory itself is skipped.
  kNone,
};

enum class EntryType { kFile, kDirectory, kSymlink, kHardlink, kCharDevice, kBlockDevice, kFifo };

struct Entry {
  std::string raw_name;  // as in the tar, for messages
  std::string name;      // cleaned (entry_name.h); "" is the layer root
  EntryType type = EntryType::kFile;
  mode_t mode = 0;  // permission bits with setuid, setgid, sticky
  uid_t uid = 0;
  gid_t gid = 0;
  timespec mtime{0, UTIME_OMIT};
  timespec atime{0, UTIME_OMIT};
  dev_t rdev = 0;
  std::string link;  // symlink: the target, verbatim; hardlink: the cleaned target name
  int64_t size = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

// EntryData yields the data of the current regular file entry, block by block.
class EntryData {
 public:
  struct Block {
    const char* data = nullptr;
    size_t size = 0;
    int64_t offset = 0;  // where the block goes in the file (sparse files skip ahead)
  };
  virtual ~EntryData() = default;
  // Next returns the next block, or a block of size 0 at the end of the entry's data.
  virtual Result<Block> Next() = 0;
};

// An owner given to every entry instead of the tar's.
struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

struct WriterOptions {
  WhiteoutMode whiteouts = WhiteoutMode::kOverlay;
  bool same_owner = true;      // chown entries to their uid/gid (needs CAP_CHOWN)
  std::optional<Owner> owner;  // with same_owner: chown every entry to this owner instead
  // Refuse (kInvalidArgument) to replace an existing directory with a non-directory or an
  // existing non-directory with a directory, as docker's NoOverwriteDirNonDir.
  bool no_overwrite_dir_non_dir = false;
};

class TreeWriter {
 public:
  TreeWriter(int root_fd, WriterOptions options) : root_fd_(root_fd), options_(options) {}

  // Write applies one entry. Errors carry the cause only ("path leaves the layer", "open ...");
  // the caller names the entry.
  Status Write(const Entry& entry, EntryData& data);
  // Finish sets the modes and times of the directories written, deepest first.
  Status Finish();

 private:
  struct DirMeta {
    std::string name;
    mode_t mode;
    timespec atime;
    timespec mtime;
  };
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using NameSet = std::unordered_set<std::string, NameHash, std::equal_to<>>;

  // Parent returns a descriptor (owned by the cache) of the directory name, creating missing
  // directories when create is set; -1 when it is missing and create is not set.
  Result<int> Parent(std::string_view name, bool create);
  Result<UniqueFd> CreateParents(std::string_view name);
  // Replace makes room for a new entry: false when an existing directory is kept for a new
  // directory; overlay_whiteout is set when the entry removed was an overlay whiteout.
  Result<bool> Replace(int dir, const std::string& base, bool new_is_dir, bool* overlay_whiteout);
  Status RemoveTree(int dir, const std::string& base);
  Status WriteFile(int dir, const std::string& base, const Entry& entry, EntryData& data);
  Status WriteDirectory(int dir, const std::string& base, const Entry& entry);
  Status WriteSymlink(int dir, const std::string& base, const Entry& entry);
  Status WriteHardlink(int dir, const std::string& base, const Entry& entry);
  Status WriteNode(int dir, const std::string& base, const Entry& entry);
  Status WriteRoot(const Entry& entry);
  Status Whiteout(std::string_view parent, std::string_view target);
  Status Opaque(std::string_view dir_name);
  Status SetOpaque(int fd);
  // HideLower removes from the directory name (open at fd) what this layer did not write, at any
  // depth (kApply).
  Status HideLower(const std::string& name, int fd);
  Status Chown(int dir, const std::string& base, const Entry& entry);
  uid_t UidOf(const Entry& entry) const { return options_.owner ? options_.owner->uid : entry.uid; }
  gid_t GidOf(const Entry& entry) const { return options_.owner ? options_.owner->gid : entry.gid; }
  Status SetXattrs(int fd, int dir, const std::string& base, const Entry& entry);
  void DeferDirectory(const Entry& entry);
  void MarkWritten(std::string_view name);
  bool Written(std::string_view name) const { return written_.contains(name); }

  int root_fd_;
  WriterOptions options_;
  std::unordered_map<std::string, UniqueFd, NameHash, std::equal_to<>> parents_;
  // Set when a directory or symlink was removed: cached parents may be stale. The cache is
  // emptied at the next entry, not at once, so descriptors handed out for this entry stay open.
  bool stale_ = false;
  // kApply: every name this layer wrote, with its ancestors.
  NameSet written_;
  std::vector<DirMeta> dirs_;
  std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> dir_index_;
};

}  // namespace berth::image::layer
