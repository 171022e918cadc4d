#include "image/store/store_testing.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/check.h"
#include "base/file.h"
#include "image/layer/test_tar.h"
#include "image/metadata/chain_id.h"
#include "image/snapshot/mount.h"
#include "oci/image_layout.h"
#include "oci/image_spec_json.h"
#include "oci/platform.h"

namespace berth::image::store::testing {

TestLayer LayerOf(const std::map<std::string, std::string>& files, bool gzip) {
  layer::testing::TarBuilder tar;
  for (const auto& [path, content] : files) {
    if (path.ends_with('/')) {
      tar.Dir(path);
    } else {
      tar.File(path, content);
    }
  }
  const std::string bytes = tar.Finish();
  return {.blob = gzip ? layer::testing::Gzip(bytes) : bytes, .diff_id = Digest::OfSha256(bytes)};
}

std::string TestImage::Manifest() const {
  oci::Manifest manifest{.media_type = std::string(oci::kMediaTypeOciManifest),
                         .config = {.media_type = std::string(oci::kMediaTypeOciConfig),
                                    .digest = id(),
                                    .size = static_cast<int64_t>(config.size())}};
  for (const TestLayer& layer : layers) {
    const bool gzip = layer.digest() != layer.diff_id;
    manifest.layers.push_back(
        {.media_type = std::string(gzip ? oci::kMediaTypeOciLayerGzip : oci::kMediaTypeOciLayer),
         .digest = layer.digest(),
         .size = static_cast<int64_t>(layer.blob.size())});
  }
  return oci::EncodeManifest(manifest);
}

TestImage ImageOf(std::vector<TestLayer> layers, std::vector<std::string> tags,
                  std::string_view created) {
  oci::ImageConfig config{.created = std::string(created),
                          .architecture = oci::HostPlatform().architecture,
                          .os = "linux"};
  config.config = oci::ContainerConfig{.cmd = std::vector<std::string>{"/bin/sh"}};
  for (const TestLayer& layer : layers) config.rootfs.diff_ids.push_back(layer.diff_id);
  return {.config = oci::EncodeImageConfig(config),
          .layers = std::move(layers),
          .tags = std::move(tags)};
}

Result<PutImageResult> PutTestImage(ImageStore& store, const TestImage& image) {
  BERTH_ASSIGN_OR_RETURN(Lease lease, store.NewLease("test"));
  BERTH_TRY(store.WriteBlob(lease, image.config));
  ImageInput input{.config = image.id()};
  for (const TestLayer& layer : image.layers) {
    BERTH_ASSIGN_OR_RETURN(content::Info info, store.WriteBlob(lease, layer.blob));
    input.layers.push_back({.digest = info.digest, .media_type = ""});
  }
  for (const std::string& tag : image.tags) {
    BERTH_ASSIGN_OR_RETURN(Reference name, ParseNormalizedNamed(tag));
    input.names.push_back(std::move(name));
  }
  return store.PutImage(lease, input);
}

struct ArchiveWriter::State {
  archive* a = nullptr;
  std::string bytes;
};

namespace {

la_ssize_t Append(archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

void WriteEntry(archive* a, const std::string& path, mode_t type, std::string_view data,
                const std::string& link) {
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, path.c_str());
  archive_entry_set_filetype(entry, type);
  archive_entry_set_perm(entry, type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_size(entry, type == AE_IFREG ? static_cast<la_int64_t>(data.size()) : 0);
  if (type == AE_IFLNK) archive_entry_set_symlink(entry, link.c_str());
  BERTH_CHECK(archive_write_header(a, entry) == ARCHIVE_OK);
  if (!data.empty()) {
    BERTH_CHECK(archive_write_data(a, data.data(), data.size()) ==
                static_cast<la_ssize_t>(data.size()));
  }
  archive_entry_free(entry);
}

std::string HexOf(const Digest& digest) { return digest.hex; }

}  // namespace

ArchiveWriter::ArchiveWriter() : state_(std::make_unique<State>()) {
  state_->a = archive_write_new();
  BERTH_CHECK(archive_write_set_format_pax_restricted(state_->a) == ARCHIVE_OK);
  BERTH_CHECK(archive_write_set_bytes_in_last_block(state_->a, 1) == ARCHIVE_OK);
  BERTH_CHECK(archive_write_open(state_->a, &state_->bytes, nullptr, Append, nullptr) ==
              ARCHIVE_OK);
}

ArchiveWriter::~ArchiveWriter() {
  if (state_->a != nullptr) archive_write_free(state_->a);
}

ArchiveWriter& ArchiveWriter::File(const std::string& path, std::string_view data) {
  WriteEntry(state_->a, path, AE_IFREG, data, "");
  return *this;
}

ArchiveWriter& ArchiveWriter::Dir(const std::string& path) {
  WriteEntry(state_->a, path, AE_IFDIR, "", "");
  return *this;
}

ArchiveWriter& ArchiveWriter::Symlink(const std::string& path, const std::string& target) {
  WriteEntry(state_->a, path, AE_IFLNK, "", target);
  return *this;
}

std::string ArchiveWriter::Finish(bool gzip) {
  BERTH_CHECK(archive_write_close(state_->a) == ARCHIVE_OK);
  archive_write_free(state_->a);
  state_->a = nullptr;
  return gzip ? layer::testing::Gzip(state_->bytes) : state_->bytes;
}

std::string SaveManifestJson(const std::vector<TestImage>& images,
                             const std::vector<std::vector<std::string>>& layer_paths,
                             const std::vector<std::string>& config_paths) {
  std::vector<oci::SaveManifestEntry> entries;
  for (size_t i = 0; i < images.size(); ++i) {
    entries.push_back(
        {.config = config_paths[i], .repo_tags = images[i].tags, .layers = layer_paths[i]});
  }
  return oci::EncodeSaveManifest(entries);
}

std::string LayoutIndexJson(const std::vector<TestImage>& images) {
  oci::Index index{.media_type = std::string(oci::kMediaTypeOciIndex)};
  for (const TestImage& image : images) {
    const std::string manifest = image.Manifest();
    oci::Descriptor entry{.media_type = std::string(oci::kMediaTypeOciManifest),
                          .digest = Digest::OfSha256(manifest),
                          .size = static_cast<int64_t>(manifest.size())};
    if (image.tags.empty()) index.manifests.push_back(entry);
    for (const std::string& tag : image.tags) {
      entry.annotations = {{std::string(oci::kAnnotationRefName), tag}};
      index.manifests.push_back(entry);
    }
  }
  return oci::EncodeIndex(index);
}

std::string LegacyDockerArchive(const std::vector<TestImage>& images) {
  ArchiveWriter out;
  std::map<std::string, std::string> written;  // diff id → the path holding its tar
  std::vector<std::vector<std::string>> layer_paths;
  std::vector<std::string> config_paths;
  for (const TestImage& image : images) {
    std::vector<Digest> diff_ids;
    std::vector<std::string> paths;
    for (const TestLayer& layer : image.layers) {
      diff_ids.push_back(layer.diff_id);
      const std::string v1 = HexOf(metadata::ChainIds(diff_ids).back());
      const std::string path = v1 + "/layer.tar";
      out.Dir(v1 + "/").File(v1 + "/VERSION", "1.0").File(v1 + "/json", "{}");
      if (auto it = written.find(layer.diff_id.String()); it != written.end()) {
        out.Symlink(path, "../" + it->second);
      } else {
        out.File(path, layer.blob);
        written[layer.diff_id.String()] = path;
      }
      paths.push_back(path);
    }
    const std::string config_path = HexOf(image.id()) + ".json";
    out.File(config_path, image.config);
    layer_paths.push_back(paths);
    config_paths.push_back(config_path);
  }
  out.File("manifest.json", SaveManifestJson(images, layer_paths, config_paths));
  out.File("repositories", "{}");
  return out.Finish();
}

namespace {

// WriteBlobs writes each image's config, layers and (with manifests) manifest under blobs/.
void WriteBlobs(ArchiveWriter& out, const std::vector<TestImage>& images, bool manifests,
                std::vector<std::vector<std::string>>* layer_paths,
                std::vector<std::string>* config_paths) {
  out.Dir("blobs/").Dir("blobs/sha256/");
  std::map<std::string, bool> written;
  auto blob = [&](const std::string& data) {
    const std::string path = "blobs/sha256/" + Digest::OfSha256(data).hex;
    if (!written[path]) out.File(path, data);
    written[path] = true;
    return path;
  };
  for (const TestImage& image : images) {
    std::vector<std::string> paths;
    for (const TestLayer& layer : image.layers) paths.push_back(blob(layer.blob));
    config_paths->push_back(blob(image.config));
    if (manifests) blob(image.Manifest());
    layer_paths->push_back(paths);
  }
}

}  // namespace

std::string DockerArchive(const std::vector<TestImage>& images) {
  ArchiveWriter out;
  std::vector<std::vector<std::string>> layer_paths;
  std::vector<std::string> config_paths;
  WriteBlobs(out, images, true, &layer_paths, &config_paths);
  out.File("index.json", LayoutIndexJson(images));
  out.File("manifest.json", SaveManifestJson(images, layer_paths, config_paths));
  out.File("oci-layout", oci::EncodeOciLayout());
  out.File("repositories", "{}");
  return out.Finish();
}

std::string OciArchive(const std::vector<TestImage>& images) {
  ArchiveWriter out;
  std::vector<std::vector<std::string>> layer_paths;
  std::vector<std::string> config_paths;
  out.File("oci-layout", oci::EncodeOciLayout());
  WriteBlobs(out, images, true, &layer_paths, &config_paths);
  out.File("index.json", LayoutIndexJson(images));
  return out.Finish();
}

UniqueFd MemFd(std::string_view data) { return layer::testing::MemFd(data); }

Mounted::Mounted(const std::vector<snapshot::Mount>& mounts, const std::string& target)
    : target_(target) {
  status_ = MakeDirs(target_);
  if (status_) status_ = snapshot::MountAll(mounts, target_);
}

Mounted::~Mounted() {
  if (status_) BERTH_CHECK(snapshot::UnmountAll(target_));
}

std::string Mounted::Read(const std::string& path) const {
  return ReadFile(target_ + "/" + path).value_or("<missing>");
}

}  // namespace berth::image::store::testing
