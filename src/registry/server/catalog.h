// The registry's catalog: which blobs each repository holds (links to the content store), its
// manifests (their media types and what they reference) and its tags, in one SQLite file. Every
// change is one transaction, so a killed server leaves each change whole or absent; the bytes of
// blobs and manifests live in the content store, committed before the catalog names them.
// Thread-safety: a Catalog may be used from any number of threads (the database serialises).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/metadata/database.h"

namespace berth::registry::server {

struct ManifestRecord {
  Digest digest;
  std::string media_type;
};

class Catalog {
 public:
  // Open opens (creating) the catalog database at path.
  static Result<Catalog> Open(const std::string& path);

  // LinkBlob records that repo holds the blob digest (already in the content store).
  Status LinkBlob(const std::string& repo, const Digest& digest);
  // HasBlob says whether repo holds the blob.
  Result<bool> HasBlob(const std::string& repo, const Digest& digest);
  // UnlinkBlob forgets repo's link to the blob; kNotFound when it had none.
  Status UnlinkBlob(const std::string& repo, const Digest& digest);

  // PutManifest records a manifest of repo (its bytes already stored as the blob digest), the
  // digests it references, and the tag pointing to it when tag is not empty.
  Status PutManifest(const std::string& repo, const ManifestRecord& manifest,
                     const std::vector<Digest>& references, const std::string& tag);
  // FindManifest returns the manifest of repo with that digest, or nullopt.
  Result<std::optional<ManifestRecord>> FindManifest(const std::string& repo, const Digest& digest);
  // ResolveTag returns the manifest that repo's tag points to, or nullopt.
  Result<std::optional<ManifestRecord>> ResolveTag(const std::string& repo, const std::string& tag);
  // DeleteManifest forgets the manifest and the tags pointing to it; kNotFound when absent.
  Status DeleteManifest(const std::string& repo, const Digest& digest);
  // DeleteTag forgets a tag (the manifest stays); kNotFound when absent.
  Status DeleteTag(const std::string& repo, const std::string& tag);

  // Tags lists repo's tags in order, at most n after last; kNotFound when repo is unknown.
  Result<std::vector<std::string>> Tags(const std::string& repo, std::optional<uint64_t> n,
                                        const std::string& last);
  // Repositories lists the repositories holding a blob or a manifest, at most n after last.
  Result<std::vector<std::string>> Repositories(std::optional<uint64_t> n, const std::string& last);

  // Referenced lists every digest a manifest is or references (the roots of garbage collection).
  Result<std::vector<Digest>> Referenced();
  // ForgetBlob removes every repository's link to a blob that garbage collection deleted.
  Status ForgetBlob(const Digest& digest);

 private:
  explicit Catalog(std::unique_ptr<image::metadata::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<image::metadata::Database> db_;
};

}  // namespace berth::registry::server
