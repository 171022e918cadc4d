// The OCI image-spec 1.1 documents and Docker's image manifest v2 schema 2 as plain data:
// descriptors, manifests, indexes (Docker's manifest lists), image configs and platforms, and the
// media types that name them. One model serves both formats; the media type says which. The JSON
// codec is in image_spec_json.h, platform parsing and matching in platform.h. No I/O; plain values
// with free functions, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"

namespace berth::oci {

// ---- Media types ----

inline constexpr std::string_view kMediaTypeOciDescriptor =
    "application/vnd.oci.descriptor.v1+json";
inline constexpr std::string_view kMediaTypeOciLayoutHeader =
    "application/vnd.oci.layout.header.v1+json";
inline constexpr std::string_view kMediaTypeOciManifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaTypeOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kMediaTypeOciLayerGzip =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kMediaTypeOciLayerZstd =
    "application/vnd.oci.image.layer.v1.tar+zstd";
// Non-distributable layers (deprecated by image-spec 1.1, still found in Windows images) must not
// be pushed to a registry other than the one named by the descriptor's urls.
inline constexpr std::string_view kMediaTypeOciLayerNondistributable =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view kMediaTypeOciLayerNondistributableGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view kMediaTypeOciLayerNondistributableZstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
// The two-byte blob "{}": the config of an artifact that has none, or a placeholder layer.
inline constexpr std::string_view kMediaTypeOciEmpty = "application/vnd.oci.empty.v1+json";

inline constexpr std::string_view kMediaTypeDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kMediaTypeDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kMediaTypeDockerConfig =
    "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kMediaTypeDockerLayer =
    "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kMediaTypeDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kMediaTypeDockerLayerZstd =
    "application/vnd.docker.image.rootfs.diff.tar.zstd";
// Docker's counterpart of non-distributable layers (Windows base layers).
inline constexpr std::string_view kMediaTypeDockerForeignLayer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar";
inline constexpr std::string_view kMediaTypeDockerForeignLayerGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

// IsValidMediaType: "type/subtype" where both are RFC 6838 section 4.2 restricted names (a letter
// or digit, then up to 126 of letters, digits and !#$&-^_.+), without parameters.
bool IsValidMediaType(std::string_view media_type);

// An image manifest: OCI or Docker schema 2.
bool IsManifestMediaType(std::string_view media_type);
// An index: OCI image index or Docker manifest list.
bool IsIndexMediaType(std::string_view media_type);
// An image config: OCI or Docker.
bool IsConfigMediaType(std::string_view media_type);
// A filesystem layer of any compression, distributable or not.
bool IsLayerMediaType(std::string_view media_type);
// An OCI non-distributable or Docker foreign layer.
bool IsNondistributableLayerMediaType(std::string_view media_type);

// The compressions of layer blobs and image archives. The layer media types name gzip and zstd;
// docker reads archives compressed with xz and bzip2 too.
enum class Compression { kNone, kGzip, kZstd, kXz, kBzip2 };
// CompressionName is "none", "gzip", "zstd", "xz" or "bzip2".
std::string_view CompressionName(Compression compression);

// LayerCompression is the compression a layer media type implies; nullopt when media_type is not
// a layer media type.
std::optional<Compression> LayerCompression(std::string_view media_type);

// ---- Annotations ----

// The name of a reference to a manifest in an OCI image layout's index.json ("v1.0", "latest").
inline constexpr std::string_view kAnnotationRefName = "org.opencontainers.image.ref.name";

// ---- Documents ----

// The platform an image runs on: descriptor "platform" and the image config's top-level fields.
struct Platform {
  std::string architecture;  // GOARCH values: amd64, arm64, arm, 386, ppc64le, s390x, riscv64
  std::string os;            // GOOS values: linux, windows
  std::string os_version;    // "os.version"
  std::vector<std::string> os_features;  // "os.features"
  std::string variant;                   // CPU variant: arm "v7", arm64 "v8", amd64 "v3"

  bool operator==(const Platform&) const = default;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  // The content itself, embedded ("data", base64 in JSON); held here as raw bytes. Consumers must
  // verify it against digest and size before use.
  std::optional<std::string> data;
  std::optional<Platform> platform;  // on the entries of an index
  std::string artifact_type;         // the artifact's type when the descriptor points at one

  bool operator==(const Descriptor&) const = default;
};

// The only schemaVersion of OCI manifests and indexes and of Docker schema 2 manifests and lists.
inline constexpr int kSchemaVersion = 2;

// An image manifest, OCI (mediaType kMediaTypeOciManifest, or absent) or Docker schema 2
// (kMediaTypeDockerManifest): a config blob and layers from base to top.
struct Manifest {
  int schema_version = kSchemaVersion;
  std::string media_type;
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;  // the manifest this one refers to (referrers API)
  std::map<std::string, std::string> annotations;

  bool operator==(const Manifest&) const = default;
};

// An OCI image index or a Docker manifest list: one manifest per platform, plus attestation
// manifests (platform "unknown/unknown") in indexes that BuildKit writes.
struct Index {
  int schema_version = kSchemaVersion;
  std::string media_type;
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;

  bool operator==(const Index&) const = default;
};

// HEALTHCHECK as docker writes it into the image config. Durations are Go time.Duration values
// (nanoseconds); zero means "inherit the default".
struct Healthcheck {
  // {} inherits, {"NONE"} disables, {"CMD", args...} execs, {"CMD-SHELL", command} runs a shell.
  std::vector<std::string> test;
  int64_t interval_ns = 0;
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int64_t start_interval_ns = 0;
  int retries = 0;  // zero inherits

  bool operator==(const Healthcheck&) const = default;
};

// The image config's "config" object: defaults for a container run from the image. OCI defines
// User through ArgsEscaped; Healthcheck, OnBuild and Shell are Docker's additions.
struct ContainerConfig {
  std::string user;
  std::set<std::string> exposed_ports;  // "80/tcp", "53/udp"; a set of keys in JSON
  std::vector<std::string> env;         // "KEY=value"
  // Docker tells absent (null: inherit, or no entrypoint) from empty ([]: reset by the build).
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::set<std::string> volumes;  // a set of keys in JSON
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  bool args_escaped = false;  // Windows only: cmd[0] is a full command line
  std::optional<Healthcheck> healthcheck;
  std::vector<std::string> on_build;  // ONBUILD instructions as written in the Dockerfile
  std::vector<std::string> shell;     // SHELL, e.g. {"/bin/sh", "-c"}

  bool operator==(const ContainerConfig&) const = default;
};

inline constexpr std::string_view kRootFsTypeLayers = "layers";

struct RootFs {
  std::string type{kRootFsTypeLayers};  // the only type the specs define
  std::vector<Digest> diff_ids;         // digests of the uncompressed layers, base first

  bool operator==(const RootFs&) const = default;
};

// One build step. Steps that created no layer (ENV, CMD, ...) are marked empty_layer; the others
// correspond, in order, to rootfs.diff_ids.
struct History {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;

  bool operator==(const History&) const = default;
};

// The image config blob (OCI "application/vnd.oci.image.config.v1+json", Docker
// "application/vnd.docker.container.image.v1+json"). Properties outside this model (docker's
// container_config, docker_version, ...) are not kept: the blob's original bytes are.
struct ImageConfig {
  std::string created;  // RFC 3339
  std::string author;
  std::string architecture;
  std::string os;
  std::string os_version;
  std::vector<std::string> os_features;
  std::string variant;
  std::optional<ContainerConfig> config;
  RootFs rootfs;
  std::vector<History> history;

  bool operator==(const ImageConfig&) const = default;
};

// PlatformOf gathers an image config's platform fields (architecture, os, os.version,
// os.features, variant).
Platform PlatformOf(const ImageConfig& config);

}  // namespace berth::oci
