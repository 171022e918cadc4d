// Test support for the image store: images made of hand-built layer tars and a config, written as
// the archives docker, podman and OCI tools write (libarchive), hostile variants made from the
// same pieces, and a fixture that opens a store on a temporary data root with either snapshotter.
// For tests only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "image/store/image_store.h"

namespace berth::image::store::testing {

struct TestLayer {
  std::string blob;  // as stored: a tar, maybe compressed
  Digest diff_id;    // sha256 of the uncompressed tar
  Digest digest() const { return Digest::OfSha256(blob); }
};

// LayerOf makes a layer of files (path → content; a path ending in "/" is a directory); gzip
// compresses its blob.
TestLayer LayerOf(const std::map<std::string, std::string>& files, bool gzip = false);

struct TestImage {
  std::string config;  // the config blob
  std::vector<TestLayer> layers;
  std::vector<std::string> tags;  // "busybox:latest"
  Digest id() const { return Digest::OfSha256(config); }
  // The OCI manifest of the image, as an OCI layout stores it.
  std::string Manifest() const;
};

TestImage ImageOf(std::vector<TestLayer> layers, std::vector<std::string> tags,
                  std::string_view created = "2024-01-02T03:04:05Z");

// PutTestImage writes the image's blobs into the store and puts it, under a lease of its own.
Result<PutImageResult> PutTestImage(ImageStore& store, const TestImage& image);

// ArchiveWriter builds a tar in memory with libarchive, entries written as given.
class ArchiveWriter {
 public:
  ArchiveWriter();
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  ArchiveWriter& File(const std::string& path, std::string_view data);
  ArchiveWriter& Dir(const std::string& path);
  ArchiveWriter& Symlink(const std::string& path, const std::string& target);
  // Finish returns the archive, gzip-compressed when asked.
  std::string Finish(bool gzip = false);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The parts of the archive formats, for tests that assemble hostile variants.
std::string SaveManifestJson(const std::vector<TestImage>& images,
                             const std::vector<std::vector<std::string>>& layer_paths,
                             const std::vector<std::string>& config_paths);
std::string LayoutIndexJson(const std::vector<TestImage>& images);

// docker 24 and older: <v1 id>/layer.tar (later images' shared layers as symlinks to the first
// copy, as docker writes them), <id>/json, <config hex>.json, manifest.json, repositories.
std::string LegacyDockerArchive(const std::vector<TestImage>& images);
// docker 25 and later: blobs/sha256/..., manifest.json, index.json, oci-layout, repositories.
std::string DockerArchive(const std::vector<TestImage>& images);
// An OCI image layout: oci-layout, index.json (ref names), blobs/sha256/... with manifests.
std::string OciArchive(const std::vector<TestImage>& images);

// MemFd returns a memfd holding data, at its start.
UniqueFd MemFd(std::string_view data);

// Mounted mounts the mounts of a snapshot on a new directory and unmounts them when destroyed.
class Mounted {
 public:
  Mounted(const std::vector<snapshot::Mount>& mounts, const std::string& target);
  ~Mounted();
  Mounted(const Mounted&) = delete;
  Mounted& operator=(const Mounted&) = delete;
  const Status& status() const { return status_; }
  std::string Read(const std::string& path) const;  // "<missing>" when absent

 private:
  std::string target_;
  Status status_;
};

}  // namespace berth::image::store::testing
