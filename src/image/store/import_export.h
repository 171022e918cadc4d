// Images from and to plain filesystems, as docker's `import`, `export` and `commit` do: Import
// makes a one-layer image of a rootfs tarball, Export writes a mounted rootfs as a tar, and Commit
// diffs a container's writable snapshot into a layer on top of its image. The work of Import and
// Commit is held by a store lease until the image is recorded: on error nothing is recorded and
// what was written becomes garbage. Free functions; thread-safe as the store is.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/layer/diff.h"
#include "image/reference/reference.h"
#include "image/store/image_store.h"
#include "oci/image_spec.h"

namespace berth::image::store {

struct ImportOptions {
  std::optional<Reference> reference;     // the tag to point at the image
  std::vector<std::string> changes;       // --change instructions (changes.h)
  std::string message;                    // the history comment; "Imported from -" when empty
  std::optional<oci::Platform> platform;  // the host's when unset; its os must be linux
  ProgressSink progress;                  // kLoading while the tarball streams in, then PutImage's
};

// Import reads a rootfs tarball (plain, gzip, zstd, xz or bzip2, detected from its first bytes)
// from fd to its end (the caller keeps fd) and records an image of it: its one layer is the tar,
// uncompressed, and its config holds the changes applied to an empty config, the platform, the
// time now as "created" and one history entry with the message. Returns the image id. Errors:
// kInvalidArgument for a change docker refuses or a platform not linux; a damaged tarball as
// layer::Apply reports it.
Result<Digest> Import(ImageStore& store, int fd, const ImportOptions& options = {});

// ExportRootfs writes the tree of a container's rootfs, mounted by the caller at rootfs, as a tar
// to out_fd (layer::ExportTree: no whiteouts; mounts inside the tree are not entered).
Result<layer::DiffResult> ExportRootfs(const std::string& rootfs, int out_fd,
                                       const layer::DiffOptions& options = {});

struct CommitOptions {
  std::optional<Reference> reference;  // the tag to point at the image
  std::vector<std::string> changes;    // --change instructions, applied to the container config
  std::string message;                 // the history comment
  std::string author;
  // The container's config (what it was created with): the changes apply to it, and its Cmd
  // names the history entry (docker's "created_by"). The image's config when unset.
  std::optional<oci::ContainerConfig> container_config;
  ProgressSink progress;
};

// Commit makes an image of the container whose writable rootfs is the active snapshot
// snapshot_key, created from the image image_id: the snapshot's changes become one more layer
// (none when nothing changed: the history entry is then an empty layer), the config is the
// container's with the changes applied and merged over it as docker merges a commit's config, and
// the image's parent is image_id. The changes are the overlay upper directory, or for the native
// snapshotter the differences between its tree and the image's (layer::DiffTrees; needs
// CAP_SYS_ADMIN to mount the image's tree). The container must not write to its rootfs meanwhile
// (docker pauses it). Returns the new image id.
Result<Digest> Commit(ImageStore& store, std::string_view snapshot_key, const Digest& image_id,
                      const CommitOptions& options = {});

// MergeConfig completes a commit's config from the container's, as docker does after applying
// the changes: empty User, WorkingDir, StopSignal, Env, ExposedPorts, Volumes, Labels and
// Healthcheck fields are filled from container, Env, ExposedPorts, Volumes and Labels gain the
// entries they lack, and Cmd and Entrypoint come from container when Entrypoint is empty. Pure.
oci::ContainerConfig MergeConfig(oci::ContainerConfig config,
                                 const oci::ContainerConfig& container);

}  // namespace berth::image::store
