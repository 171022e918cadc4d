#include "image/store/save.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "base/file.h"
#include "base/strings.h"
#include "image/snapshot/tree.h"
#include "image/store/archive_source.h"
#include "image/store/unpack.h"
#include "oci/image_layout.h"
#include "oci/image_spec_json.h"
#include "sys/fs.h"

namespace berth::image::store {
namespace {

constexpr size_t kChunkSize = 1 << 20;

// One image as it is written: its names, its manifest and the blobs that manifest lists.
struct SavedImage {
  metadata::ImageRecord record;
  std::vector<Reference> names;  // tags only
  oci::Descriptor manifest;
  std::optional<std::string> made;  // the manifest's bytes when made here, not a stored blob
  std::vector<Digest> layers;       // base first
};

// Output is where an archive's files go: a tar stream or a directory.
class Output {
 public:
  virtual ~Output() = default;
  virtual Status Directory(const std::string& path) = 0;
  // Begin starts a file of size bytes; Write appends to it; End finishes it.
  virtual Status Begin(const std::string& path, int64_t size) = 0;
  virtual Status Write(std::string_view data) = 0;
  virtual Status End() = 0;
  virtual Status Close() = 0;
};

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};

// TarOutput writes a pax tar (ustar where that suffices) with fixed owners, modes and times, so
// the same images give the same bytes.
class TarOutput final : public Output {
 public:
  static Result<std::unique_ptr<TarOutput>> Open(int fd) {
    std::unique_ptr<archive, WriteFree> a(archive_write_new());
    if (!a) return Fail(ErrorKind::kResourceExhausted, "write archive: out of memory");
    if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
        archive_write_open_fd(a.get(), fd) != ARCHIVE_OK) {
      return Fail(Error(a.get(), "open"));
    }
    return std::unique_ptr<TarOutput>(new TarOutput(std::move(a)));
  }

  Status Directory(const std::string& path) override { return Header(path + "/", AE_IFDIR, 0); }

  Status Begin(const std::string& path, int64_t size) override {
    return Header(path, AE_IFREG, size);
  }

  Status Write(std::string_view data) override {
    while (!data.empty()) {
      la_ssize_t n = archive_write_data(a_.get(), data.data(), data.size());
      if (n <= 0) return Fail(Error(a_.get(), "write"));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Ok();
  }

  Status End() override {
    if (archive_write_finish_entry(a_.get()) != ARCHIVE_OK) return Fail(Error(a_.get(), "write"));
    return Ok();
  }

  Status Close() override {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return Fail(Error(a_.get(), "close"));
    return Ok();
  }

 private:
  explicit TarOutput(std::unique_ptr<archive, WriteFree> a) : a_(std::move(a)) {}

  static berth::Error Error(archive* a, std::string_view what) {
    const char* message = archive_error_string(a);
    const int err = archive_errno(a);
    return berth::Error(err > 0 ? KindFromErrno(err) : ErrorKind::kInternal,
                        fmt::format("{} archive: {}", what, message ? message : "unknown error"),
                        err > 0 ? err : 0);
  }

  Status Header(const std::string& path, mode_t type, int64_t size) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                   archive_entry_free);
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(entry.get(), size);
    archive_entry_set_mtime(entry.get(), 0, 0);
    if (archive_write_header(a_.get(), entry.get()) != ARCHIVE_OK) {
      return Fail(Error(a_.get(), "write " + path + " to"));
    }
    return Ok();
  }

  std::unique_ptr<archive, WriteFree> a_;
};

class DirOutput final : public Output {
 public:
  explicit DirOutput(std::string dir) : dir_(std::move(dir)) {}

  Status Directory(const std::string& path) override { return MakeDirs(dir_ + "/" + path, 0755); }

  Status Begin(const std::string& path, int64_t) override {
    path_ = dir_ + "/" + path;
    BERTH_ASSIGN_OR_RETURN(fd_, sys::Open(path_, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    return Ok();
  }

  Status Write(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = write(fd_.get(), data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail(ErrnoNow("write " + path_));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Ok();
  }

  Status End() override {
    if (fsync(fd_.get()) < 0) return Fail(ErrnoNow("fsync " + path_));
    fd_.Reset();
    return Ok();
  }

  Status Close() override { return snapshot::SyncFilesystem(dir_); }

 private:
  std::string dir_;
  std::string path_;
  UniqueFd fd_;
};

Status WriteData(Output& out, const std::string& path, std::string_view data) {
  BERTH_TRY(out.Begin(path, static_cast<int64_t>(data.size())));
  BERTH_TRY(out.Write(data));
  return out.End();
}

// WriteBlob streams a stored blob to out, hashing it when the store verifies what it reads.
Status WriteBlob(ImageStore& store, Output& out, const Digest& digest,
                 const ProgressSink& progress) {
  BERTH_ASSIGN_OR_RETURN(content::Info info, store.content().Stat(digest));
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, store.content().Open(digest));
  const bool verify = store.options().read_policy == BlobReadPolicy::kVerify;
  Sha256 hash;
  BERTH_TRY(out.Begin(BlobPathOf(digest), info.size));
  std::vector<char> buffer(kChunkSize);
  int64_t done = 0;
  while (done < info.size) {
    ssize_t n = read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("read " + store.content().BlobPath(digest)));
    if (n == 0) return Fail(ErrorKind::kDataLoss, "blob shrank while it was read");
    const std::string_view chunk(buffer.data(), static_cast<size_t>(n));
    if (verify) hash.Update(chunk);
    BERTH_TRY(out.Write(chunk));
    done += n;
    if (progress) {
      BERTH_TRY(progress({.action = ProgressAction::kWriting,
                          .id = ShortId(digest),
                          .current = done,
                          .total = info.size}));
    }
  }
  if (verify && hash.HexDigest() != digest.hex) {
    return Fail(ErrorKind::kDataLoss, "blob is corrupt: its content no longer matches its digest");
  }
  return out.End();
}

// LayerBlobOf finds the stored blob of a layer among the blobs the image holds.
Result<oci::Descriptor> LayerBlobOf(ImageStore& store, const metadata::ImageRecord& image,
                                    const metadata::LayerRecord& layer) {
  BERTH_ASSIGN_OR_RETURN(std::vector<metadata::LayerBlob> known,
                         store.catalog().LayerBlobs(layer.diff_id));
  for (const metadata::LayerBlob& blob : known) {
    const bool held =
        std::any_of(image.blobs.begin(), image.blobs.end(),
                    [&](const metadata::BlobRef& b) { return b.digest == blob.digest; });
    if (!held) continue;
    BERTH_ASSIGN_OR_RETURN(bool exists, store.content().Exists(blob.digest));
    if (!exists) continue;
    std::string media_type(oci::kMediaTypeOciLayer);
    std::optional<oci::Compression> compression = oci::LayerCompression(blob.media_type);
    if (compression == oci::Compression::kGzip) media_type = oci::kMediaTypeOciLayerGzip;
    if (compression == oci::Compression::kZstd) media_type = oci::kMediaTypeOciLayerZstd;
    return oci::Descriptor{.media_type = media_type, .digest = blob.digest, .size = blob.size};
  }
  return Fail(ErrorKind::kNotFound,
              fmt::format("no stored blob of layer {}", layer.diff_id.String()));
}

// StoredManifest returns the image's own manifest when the store holds it and its blobs.
Result<std::optional<oci::Manifest>> StoredManifest(ImageStore& store,
                                                    const metadata::ImageRecord& image) {
  if (!image.target || !oci::IsManifestMediaType(image.target->media_type)) return std::nullopt;
  BERTH_ASSIGN_OR_RETURN(bool exists, store.content().Exists(image.target->digest));
  if (!exists) return std::nullopt;
  BERTH_ASSIGN_OR_RETURN(std::string json, store.ReadBlob(image.target->digest));
  BERTH_ASSIGN_OR_RETURN(oci::Manifest manifest, oci::DecodeManifest(json));
  if (manifest.config.digest != image.id) return std::nullopt;
  for (const oci::Descriptor& layer : manifest.layers) {
    BERTH_ASSIGN_OR_RETURN(bool held, store.content().Exists(layer.digest));
    if (!held) return std::nullopt;
  }
  return manifest;
}

Result<SavedImage> Describe(ImageStore& store, metadata::ImageRecord image) {
  SavedImage saved{.record = std::move(image)};
  BERTH_ASSIGN_OR_RETURN(ImageManifest manifest, ManifestOf(store, saved.record));
  saved.manifest = {.media_type = manifest.media_type,
                    .digest = manifest.digest,
                    .size = static_cast<int64_t>(manifest.bytes.size()),
                    .platform = manifest.platform};
  for (const oci::Descriptor& layer : manifest.manifest.layers) {
    saved.layers.push_back(layer.digest);
  }
  if (manifest.made) saved.made = std::move(manifest.bytes);
  return saved;
}

// Collect resolves refs to the images to save, each once, with the names refs gave them.
Result<std::vector<SavedImage>> Collect(ImageStore& store, const std::vector<std::string>& refs) {
  std::vector<SavedImage> images;
  for (const std::string& ref : refs) {
    BERTH_ASSIGN_OR_RETURN(metadata::ImageRecord record, store.catalog().Resolve(ref));
    std::optional<Reference> name;
    if (Result<Reference> parsed = ParseReference(ref);
        parsed && std::find(record.tags.begin(), record.tags.end(), *parsed) != record.tags.end()) {
      name = std::move(*parsed);
    }
    auto same = std::find_if(images.begin(), images.end(),
                             [&](const SavedImage& s) { return s.record.id == record.id; });
    if (same == images.end()) {
      BERTH_ASSIGN_OR_RETURN(SavedImage saved,
                             Annotate(Describe(store, std::move(record)), "image " + ref));
      images.push_back(std::move(saved));
      same = images.end() - 1;
    }
    if (name && std::find(same->names.begin(), same->names.end(), *name) == same->names.end()) {
      same->names.push_back(std::move(*name));
    }
  }
  return images;
}

oci::Index LayoutIndex(const std::vector<SavedImage>& images) {
  oci::Index index{.media_type = std::string(oci::kMediaTypeOciIndex)};
  for (const SavedImage& image : images) {
    if (image.names.empty()) index.manifests.push_back(image.manifest);
    for (const Reference& name : image.names) {
      oci::Descriptor entry = image.manifest;
      // docker 25 writes only the tag as the ref name; the whole reference lets OCI tools
      // (podman, skopeo) that read only this annotation name the image right.
      entry.annotations = {{std::string(oci::kAnnotationContainerdImageName), name.String()},
                           {std::string(oci::kAnnotationRefName), name.String()}};
      index.manifests.push_back(std::move(entry));
    }
  }
  return index;
}

std::string SaveManifestOf(const std::vector<SavedImage>& images) {
  std::vector<oci::SaveManifestEntry> entries;
  for (const SavedImage& image : images) {
    oci::SaveManifestEntry entry{.config = BlobPathOf(image.record.id)};
    for (const Reference& name : image.names) entry.repo_tags.push_back(name.FamiliarString());
    for (const Digest& layer : image.layers) entry.layers.push_back(BlobPathOf(layer));
    entries.push_back(std::move(entry));
  }
  return oci::EncodeSaveManifest(entries);
}

// RepositoriesOf maps each name to its image's top layer blob, as docker's legacy file does.
std::string RepositoriesOf(const std::vector<SavedImage>& images) {
  oci::Repositories repositories;
  for (const SavedImage& image : images) {
    if (image.layers.empty() || image.layers.back().algorithm != "sha256") continue;
    for (const Reference& name : image.names) {
      const std::string repository =
          Reference{.domain = name.domain, .path = name.path}.FamiliarString();
      repositories[repository][name.tag] = image.layers.back().hex;
    }
  }
  return oci::EncodeRepositories(repositories);
}

Status WriteImages(ImageStore& store, const std::vector<SavedImage>& images, Output& out,
                   bool docker_files, const ProgressSink& progress) {
  BERTH_TRY(out.Directory("blobs"));
  BERTH_TRY(out.Directory("blobs/sha256"));
  std::set<std::string> written;
  for (const SavedImage& image : images) {
    std::vector<Digest> blobs = {image.record.id};
    blobs.insert(blobs.end(), image.layers.begin(), image.layers.end());
    if (!image.made) blobs.push_back(image.manifest.digest);
    for (const Digest& digest : blobs) {
      if (!written.insert(digest.String()).second) continue;
      BERTH_TRY(Annotate(WriteBlob(store, out, digest, progress), "blob " + digest.String()));
    }
    if (image.made && written.insert(image.manifest.digest.String()).second) {
      BERTH_TRY(WriteData(out, BlobPathOf(image.manifest.digest), *image.made));
    }
  }
  BERTH_TRY(WriteData(out, std::string(oci::kOciIndexFile), oci::EncodeIndex(LayoutIndex(images))));
  if (docker_files) {
    BERTH_TRY(WriteData(out, std::string(oci::kSaveManifestFile), SaveManifestOf(images)));
  }
  BERTH_TRY(WriteData(out, std::string(oci::kOciLayoutFile), oci::EncodeOciLayout()));
  if (docker_files) {
    BERTH_TRY(WriteData(out, std::string(oci::kRepositoriesFile), RepositoriesOf(images)));
  }
  return out.Close();
}

}  // namespace

Result<ImageManifest> ManifestOf(ImageStore& store, const metadata::ImageRecord& image) {
  ImageManifest out;
  BERTH_ASSIGN_OR_RETURN(std::string config_json, store.ReadBlob(image.id));
  BERTH_ASSIGN_OR_RETURN(oci::ImageConfig config, oci::DecodeImageConfig(config_json));
  if (!config.architecture.empty() && !config.os.empty()) out.platform = oci::PlatformOf(config);
  BERTH_ASSIGN_OR_RETURN(std::optional<oci::Manifest> stored, StoredManifest(store, image));
  if (stored) {
    BERTH_ASSIGN_OR_RETURN(out.bytes, store.ReadBlob(image.target->digest));
    out.media_type = image.target->media_type;
    out.digest = image.target->digest;
    out.manifest = std::move(*stored);
    return out;
  }
  out.manifest = {.media_type = std::string(oci::kMediaTypeOciManifest),
                  .config = {.media_type = std::string(oci::kMediaTypeOciConfig),
                             .digest = image.id,
                             .size = static_cast<int64_t>(config_json.size())}};
  for (const metadata::LayerRecord& layer : image.layers) {
    BERTH_ASSIGN_OR_RETURN(oci::Descriptor blob, LayerBlobOf(store, image, layer));
    out.manifest.layers.push_back(std::move(blob));
  }
  out.bytes = oci::EncodeManifest(out.manifest);
  out.media_type = std::string(oci::kMediaTypeOciManifest);
  out.digest = Digest::OfSha256(out.bytes);
  out.made = true;
  return out;
}

Status Save(ImageStore& store, const std::vector<std::string>& refs, int fd,
            const SaveOptions& options) {
  const std::string what = "save " + Join(refs, " ");
  BERTH_ASSIGN_OR_RETURN(std::vector<SavedImage> images, Annotate(Collect(store, refs), what));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<TarOutput> out, Annotate(TarOutput::Open(fd), what));
  return Annotate(WriteImages(store, images, *out, true, options.progress), what);
}

Status SaveLayout(ImageStore& store, const std::vector<std::string>& refs, const std::string& dir,
                  const SaveOptions& options) {
  const std::string what = fmt::format("save {} to {}", Join(refs, " "), dir);
  BERTH_ASSIGN_OR_RETURN(std::vector<SavedImage> images, Annotate(Collect(store, refs), what));
  BERTH_TRY(Annotate(MakeDirs(dir, 0755), what));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> present, Annotate(snapshot::ListDir(dir), what));
  if (!present.empty()) {
    return Fail(ErrorKind::kAlreadyExists, what + ": the directory is not empty");
  }
  DirOutput out(dir);
  return Annotate(WriteImages(store, images, out, false, options.progress), what);
}

}  // namespace berth::image::store
