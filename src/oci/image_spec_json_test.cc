#include "oci/image_spec_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "oci/image_spec_fixtures.h"

namespace berth::oci {
namespace {

using ::testing::ElementsAre;

Digest D(std::string_view s) { return *Digest::Parse(s); }

constexpr std::string_view kConfigDigest =
    "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910";
constexpr std::string_view kLayer1Digest =
    "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2";
constexpr std::string_view kLayer2Digest =
    "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06";
constexpr std::string_view kDiff1 =
    "sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665";
constexpr std::string_view kDiff2 =
    "sha256:a9485d17c39b521f9de31b558df98f81dd72a9c7498f57f27b74356ea150fbd9";

// A Docker schema 2 manifest as a registry serves it: three-space indentation, config and layer
// descriptors with size before digest, and a foreign (Windows-style) layer with URLs.
constexpr const char* kDockerManifest = R"json({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1457,
      "digest": "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2591575,
         "digest": "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
         "size": 1069,
         "digest": "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06",
         "urls": ["https://mcr.microsoft.com/v2/windows/blobs/sha256:95cf"]
      }
   ]
})json";

// An image config as `docker build` writes it: a HEALTHCHECK, an ENTRYPOINT with Cmd null,
// ONBUILD and SHELL, docker's own extra properties (container_config, docker_version), and
// history with empty layers.
constexpr const char* kDockerConfig = R"json({
  "architecture": "amd64",
  "config": {
    "Hostname": "", "Domainname": "", "User": "app", "AttachStdin": false,
    "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
    "Tty": false,
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "MODE=prod"],
    "Cmd": null,
    "Healthcheck": {"Test": ["CMD-SHELL", "wget -q -O- localhost:8080/health || exit 1"],
                    "Interval": 30000000000, "Timeout": 5000000000,
                    "StartPeriod": 10000000000, "StartInterval": 2000000000, "Retries": 3},
    "Image": "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",
    "Volumes": {"/data": {}},
    "WorkingDir": "/srv",
    "Entrypoint": ["/usr/bin/server", "--listen=:8080"],
    "OnBuild": ["RUN make"],
    "Labels": {"org.opencontainers.image.title": "server"},
    "StopSignal": "SIGTERM",
    "Shell": ["/bin/bash", "-c"]
  },
  "container": "3f2c1b0e9d8a",
  "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) ", "ENTRYPOINT [\"/usr/bin/server\"]"]},
  "created": "2024-05-01T10:00:00.123456789Z",
  "docker_version": "24.0.7",
  "history": [
    {"created": "2024-04-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
    {"created": "2024-04-01T00:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]",
     "empty_layer": true},
    {"created": "2024-05-01T10:00:00+02:00", "created_by": "COPY server /usr/bin/server",
     "author": "dev@example.org", "comment": "buildkit.dockerfile.v0"}
  ],
  "os": "linux",
  "rootfs": {"type": "layers", "diff_ids": [
    "sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665",
    "sha256:a9485d17c39b521f9de31b558df98f81dd72a9c7498f57f27b74356ea150fbd9"]}
})json";

TEST(ImageSpecJsonTest, DecodesDockerSchema2Manifest) {
  Result<Manifest> m = DecodeManifest(kDockerManifest);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->schema_version, 2);
  EXPECT_EQ(m->media_type, kMediaTypeDockerManifest);
  EXPECT_EQ(m->config.media_type, kMediaTypeDockerConfig);
  EXPECT_EQ(m->config.digest, D(kConfigDigest));
  EXPECT_EQ(m->config.size, 1457);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].media_type, kMediaTypeDockerLayerGzip);
  EXPECT_EQ(m->layers[0].digest, D(kLayer1Digest));
  EXPECT_EQ(m->layers[0].size, 2591575);
  EXPECT_TRUE(m->layers[0].urls.empty());
  EXPECT_EQ(m->layers[1].media_type, kMediaTypeDockerForeignLayerGzip);
  EXPECT_THAT(m->layers[1].urls,
              ElementsAre("https://mcr.microsoft.com/v2/windows/blobs/sha256:95cf"));
  EXPECT_FALSE(m->subject.has_value());
}

TEST(ImageSpecJsonTest, DecodesOciIndexWithAttestation) {
  Result<Index> index = DecodeIndex(testing::kBuildKitIndex);
  ASSERT_TRUE(index) << index.error().message();
  EXPECT_EQ(index->media_type, kMediaTypeOciIndex);
  ASSERT_EQ(index->manifests.size(), 5u);
  std::vector<std::string> platforms;
  for (const Descriptor& d : index->manifests) {
    ASSERT_TRUE(d.platform.has_value());
    platforms.push_back(d.platform->os + "/" + d.platform->architecture + "/" +
                        d.platform->variant);
  }
  EXPECT_THAT(platforms, ElementsAre("linux/amd64/", "linux/arm64/v8", "linux/arm/v7",
                                     "linux/arm/v6", "unknown/unknown/"));
  EXPECT_EQ(index->manifests[4].annotations.at("vnd.docker.reference.type"),
            "attestation-manifest");
  EXPECT_EQ(index->annotations.at("org.opencontainers.image.created"), "2024-05-01T10:00:00Z");
}

TEST(ImageSpecJsonTest, DecodesDockerConfigWithHealthcheckAndNullCmd) {
  Result<ImageConfig> c = DecodeImageConfig(kDockerConfig);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->architecture, "amd64");
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->created, "2024-05-01T10:00:00.123456789Z");
  ASSERT_TRUE(c->config.has_value());
  const ContainerConfig& cc = *c->config;
  EXPECT_EQ(cc.user, "app");
  EXPECT_THAT(cc.exposed_ports, ElementsAre("53/udp", "8080/tcp"));
  EXPECT_THAT(cc.env,
              ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "MODE=prod"));
  EXPECT_FALSE(cc.cmd.has_value());
  ASSERT_TRUE(cc.entrypoint.has_value());
  EXPECT_THAT(*cc.entrypoint, ElementsAre("/usr/bin/server", "--listen=:8080"));
  ASSERT_TRUE(cc.healthcheck.has_value());
  EXPECT_THAT(cc.healthcheck->test,
              ElementsAre("CMD-SHELL", "wget -q -O- localhost:8080/health || exit 1"));
  EXPECT_EQ(cc.healthcheck->interval_ns, 30'000'000'000);
  EXPECT_EQ(cc.healthcheck->timeout_ns, 5'000'000'000);
  EXPECT_EQ(cc.healthcheck->start_period_ns, 10'000'000'000);
  EXPECT_EQ(cc.healthcheck->start_interval_ns, 2'000'000'000);
  EXPECT_EQ(cc.healthcheck->retries, 3);
  EXPECT_THAT(cc.volumes, ElementsAre("/data"));
  EXPECT_EQ(cc.working_dir, "/srv");
  EXPECT_THAT(cc.on_build, ElementsAre("RUN make"));
  EXPECT_EQ(cc.labels.at("org.opencontainers.image.title"), "server");
  EXPECT_EQ(cc.stop_signal, "SIGTERM");
  EXPECT_THAT(cc.shell, ElementsAre("/bin/bash", "-c"));
  EXPECT_EQ(c->rootfs.type, "layers");
  EXPECT_THAT(c->rootfs.diff_ids, ElementsAre(D(kDiff1), D(kDiff2)));
  ASSERT_EQ(c->history.size(), 3u);
  EXPECT_TRUE(c->history[1].empty_layer);
  EXPECT_EQ(c->history[2].author, "dev@example.org");
  EXPECT_EQ(c->history[2].comment, "buildkit.dockerfile.v0");
  EXPECT_EQ(PlatformOf(*c), (Platform{.architecture = "amd64", .os = "linux"}));
}

TEST(ImageSpecJsonTest, CmdNullAbsentAndEmptyStayDistinct) {
  const char* kTemplate = R"({"architecture":"amd64","os":"linux","config":{%s},
                              "rootfs":{"type":"layers","diff_ids":[]}})";
  auto decode = [&](const char* config) {
    char buf[256];
    snprintf(buf, sizeof buf, kTemplate, config);
    Result<ImageConfig> c = DecodeImageConfig(buf);
    EXPECT_TRUE(c) << c.error().message();
    return c ? c->config->cmd : std::nullopt;
  };
  EXPECT_FALSE(decode("").has_value());
  EXPECT_FALSE(decode(R"("Cmd":null)").has_value());
  std::optional<std::vector<std::string>> empty = decode(R"("Cmd":[])");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
  // Docker's strslice also takes a lone string for a one-element list.
  EXPECT_THAT(decode(R"("Cmd":"nginx")").value_or(std::vector<std::string>{}),
              ElementsAre("nginx"));

  ImageConfig c;
  c.architecture = "amd64";
  c.os = "linux";
  c.config = ContainerConfig{};
  EXPECT_EQ(EncodeImageConfig(c), R"({"architecture":"amd64","os":"linux","config":{},)"
                                  R"("rootfs":{"type":"layers","diff_ids":[]}})");
  c.config->cmd = std::vector<std::string>{};
  EXPECT_EQ(EncodeImageConfig(c), R"({"architecture":"amd64","os":"linux","config":{"Cmd":[]},)"
                                  R"("rootfs":{"type":"layers","diff_ids":[]}})");
}

TEST(ImageSpecJsonTest, EncodesCompactJsonInSpecOrder) {
  Manifest m;
  m.media_type = kMediaTypeOciManifest;
  m.config = Descriptor{
      .media_type = std::string(kMediaTypeOciConfig), .digest = D(kConfigDigest), .size = 7};
  m.layers.push_back(Descriptor{.media_type = std::string(kMediaTypeOciLayerZstd),
                                .digest = D(kLayer1Digest),
                                .size = 0,
                                .annotations = {{"b", "2"}, {"a", "1"}}});
  EXPECT_EQ(EncodeManifest(m),
            std::string(
                R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)") +
                R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                std::string(kConfigDigest) + R"(","size":7},"layers":[{"mediaType":)" +
                R"("application/vnd.oci.image.layer.v1.tar+zstd","digest":")" +
                std::string(kLayer1Digest) + R"(","size":0,"annotations":{"a":"1","b":"2"}}]})");
}

TEST(ImageSpecJsonTest, RoundTripsEveryDocument) {
  Result<Manifest> manifest = DecodeManifest(kDockerManifest);
  ASSERT_TRUE(manifest);
  std::string encoded = EncodeManifest(*manifest);
  Result<Manifest> again = DecodeManifest(encoded);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, *manifest);
  EXPECT_EQ(EncodeManifest(*again), encoded);

  Result<Index> index = DecodeIndex(testing::kBuildKitIndex);
  ASSERT_TRUE(index);
  Result<Index> index_again = DecodeIndex(EncodeIndex(*index));
  ASSERT_TRUE(index_again) << index_again.error().message();
  EXPECT_EQ(*index_again, *index);

  Result<ImageConfig> config = DecodeImageConfig(kDockerConfig);
  ASSERT_TRUE(config);
  std::string config_json = EncodeImageConfig(*config);
  EXPECT_EQ(config_json.find("container_config"), std::string::npos);
  Result<ImageConfig> config_again = DecodeImageConfig(config_json);
  ASSERT_TRUE(config_again) << config_again.error().message();
  EXPECT_EQ(*config_again, *config);
}

TEST(ImageSpecJsonTest, RoundTripsOci11ArtifactFields) {
  // An artifact manifest: empty config with embedded data, artifactType and a subject.
  Manifest m;
  m.media_type = kMediaTypeOciManifest;
  m.artifact_type = "application/vnd.example.sbom.v1+json";
  m.config = Descriptor{
      .media_type = std::string(kMediaTypeOciEmpty),
      .digest = D("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),
      .size = 2,
      .data = "{}"};
  m.layers.push_back(Descriptor{.media_type = "application/spdx+json",
                                .digest = D(kLayer2Digest),
                                .size = 5,
                                .data = std::string("a\0b\xff\n", 5)});
  m.subject = Descriptor{.media_type = std::string(kMediaTypeOciManifest),
                         .digest = D(kLayer1Digest),
                         .size = 1022,
                         .platform = Platform{.architecture = "arm64",
                                              .os = "linux",
                                              .os_version = "6.1",
                                              .os_features = {"sse4"},
                                              .variant = "v8"},
                         .artifact_type = "application/vnd.example+json"};
  m.annotations = {{"org.opencontainers.image.created", "2024-01-01T00:00:00Z"}};
  std::string json = EncodeManifest(m);
  EXPECT_NE(json.find(R"("data":"e30=")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("data":"YQBi/wo=")"), std::string::npos) << json;
  Result<Manifest> again = DecodeManifest(json);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, m);
}

TEST(ImageSpecJsonTest, DecodesBase64DataOfEveryLength) {
  for (std::string bytes : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    Descriptor d{.media_type = "text/plain", .digest = D(kDiff1), .data = bytes};
    Result<Descriptor> again = DecodeDescriptor(EncodeDescriptor(d));
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(again->data, bytes);
  }
  // RFC 4648 section 10 test vector.
  EXPECT_NE(EncodeDescriptor(Descriptor{.media_type = "text/plain", .data = "foobar"})
                .find(R"("Zm9vYmFy")"),
            std::string::npos);
}

TEST(ImageSpecJsonTest, IgnoresUnknownProperties) {
  Result<Descriptor> d = DecodeDescriptor(
      R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665",
          "size":3,"future":{"x":[1,2]},"features":["a"]})");
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->size, 3);
}

struct Rejection {
  std::string name;
  std::function<berth::Status(std::string_view)> decode;
  std::string json;
  std::string message;
};

template <typename T>
std::function<berth::Status(std::string_view)> Decoder(Result<T> (*decode)(std::string_view)) {
  return [decode](std::string_view json) -> berth::Status {
    Result<T> r = decode(json);
    if (!r) return Fail(r.error());
    return Ok();
  };
}

// A manifest with one layer whose descriptor is `layer`.
std::string ManifestWithLayer(std::string_view layer) {
  return std::string(
             R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910"},"layers":[)") +
         std::string(layer) + "]}";
}

std::string ConfigWith(std::string_view rootfs, std::string_view extra = "") {
  return R"({"architecture":"amd64","os":"linux",)" + std::string(extra) + R"("rootfs":)" +
         std::string(rootfs) + "}";
}

constexpr const char* kGoodRootFs =
    R"({"type":"layers","diff_ids":["sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665"]})";

std::vector<Rejection> Rejections() {
  auto manifest = Decoder(&DecodeManifest);
  auto index = Decoder(&DecodeIndex);
  auto config = Decoder(&DecodeImageConfig);
  auto layer = [](std::string_view fields) {
    return ManifestWithLayer(
        std::string(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar",)") +
        std::string(fields) + "}");
  };
  const std::string good_digest =
      R"("digest":"sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2")";
  return {
      {"NotJson", manifest, "{\"schemaVersion\":", "decode manifest: invalid JSON at byte "},
      {"NotAnObject", manifest, "[]", "decode manifest: expected an object, got array"},
      {"SchemaVersion1", manifest, R"({"schemaVersion":1,"name":"busybox","fsLayers":[]})",
       "decode manifest: schemaVersion: unsupported schema version 1, want 2"},
      {"NoSchemaVersion", manifest, R"({"config":{}})",
       "decode manifest: schemaVersion: missing required property"},
      {"SchemaVersionString", manifest, R"({"schemaVersion":"2"})",
       "decode manifest: schemaVersion: expected an integer, got string"},
      {"NoConfig", manifest, R"({"schemaVersion":2,"layers":[]})",
       "decode manifest: config: missing required property"},
      {"ManifestMediaTypeIsIndex", manifest,
       R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"})",
       "decode manifest: mediaType: \"application/vnd.oci.image.index.v1+json\" is not an image "
       "manifest media type"},
      {"BadLayerDigest", manifest, layer(R"("size":1,"digest":"x")"),
       "decode manifest: layers[0].digest: invalid digest \"x\": missing algorithm"},
      {"UppercaseDigest", manifest,
       layer(
           R"("size":1,"digest":"sha256:77EA7EEE3D80B1A38F83906DD3048E2689457EB90E18A7D12F839C5AE37106A2")"),
       "decode manifest: layers[0].digest: invalid digest "
       "\"sha256:77EA7EEE3D80B1A38F83906DD3048E2689457EB90E18A7D12F839C5AE37106A2\": not "
       "lowercase hex"},
      {"Md5Digest", manifest, layer(R"("size":1,"digest":"md5:d41d8cd98f00b204e9800998ecf8427e")"),
       "decode manifest: layers[0].digest: invalid digest "
       "\"md5:d41d8cd98f00b204e9800998ecf8427e\": unsupported algorithm"},
      {"NegativeSize", manifest, layer(R"("size":-1,)" + good_digest),
       "decode manifest: layers[0].size: negative size -1"},
      {"FractionalSize", manifest, layer(R"("size":1.5,)" + good_digest),
       "decode manifest: layers[0].size: expected an integer, got number 1.5"},
      {"NoSize", manifest, layer(good_digest),
       "decode manifest: layers[0].size: missing required property"},
      {"NoMediaType", manifest, ManifestWithLayer(R"({"size":1,)" + good_digest + "}"),
       "decode manifest: layers[0].mediaType: missing required property"},
      {"BadMediaType", manifest,
       ManifestWithLayer(R"({"mediaType":"tar gz","size":1,)" + good_digest + "}"),
       "decode manifest: layers[0].mediaType: invalid media type \"tar gz\""},
      {"BadArtifactType", manifest, layer(R"("size":1,"artifactType":"sbom",)" + good_digest),
       "decode manifest: layers[0].artifactType: invalid media type \"sbom\""},
      {"BadBase64", manifest, layer(R"("size":1,"data":"e30",)" + good_digest),
       "decode manifest: layers[0].data: invalid base64 \"e30\""},
      {"BadAnnotation", manifest, layer(R"("size":1,"annotations":{"k":1},)" + good_digest),
       "decode manifest: layers[0].annotations[\"k\"]: expected a string, got number 1"},
      {"IndexSchemaVersion", index, R"({"schemaVersion":3,"manifests":[]})",
       "decode index: schemaVersion: unsupported schema version 3, want 2"},
      {"IndexMediaTypeIsManifest", index,
       R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"})",
       "decode index: mediaType: \"application/vnd.docker.distribution.manifest.v2+json\" is not "
       "an index media type"},
      {"PlatformWithoutOs", index,
       R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)" +
           good_digest + R"(,"size":1,"platform":{"architecture":"amd64"}}]})",
       "decode index: manifests[0].platform.os: missing required property"},
      {"NoRootFs", config, R"({"architecture":"amd64","os":"linux"})",
       "decode image config: rootfs: missing required property"},
      {"RootFsType", config, ConfigWith(R"({"type":"layers+base","diff_ids":[]})"),
       "decode image config: rootfs.type: unsupported type \"layers+base\", want \"layers\""},
      {"BadDiffId", config, ConfigWith(R"({"type":"layers","diff_ids":["sha256:abc"]})"),
       "decode image config: rootfs.diff_ids[0]: invalid digest \"sha256:abc\": wrong length"},
      {"TooMuchHistory", config,
       ConfigWith(
           kGoodRootFs,
           R"("history":[{"created_by":"a"},{"created_by":"b","empty_layer":true},{"created_by":"c"}],)"),
       "decode image config: history: 2 entries create a layer but rootfs.diff_ids lists 1"},
      {"BadCreated", config, ConfigWith(kGoodRootFs, R"("created":"yesterday",)"),
       "decode image config: created: invalid RFC 3339 time \"yesterday\""},
      {"BadHistoryCreated", config,
       ConfigWith(kGoodRootFs, R"("history":[{"created":"2024-02-30T00:00:00Z"}],)"),
       "decode image config: history[0].created: invalid RFC 3339 time "
       "\"2024-02-30T00:00:00Z\""},
      {"PortNotAnObject", config,
       ConfigWith(kGoodRootFs, R"("config":{"ExposedPorts":{"80/tcp":"yes"}},)"),
       "decode image config: config.ExposedPorts[\"80/tcp\"]: expected an object, got string"},
      {"RetriesString", config,
       ConfigWith(kGoodRootFs, R"("config":{"Healthcheck":{"Retries":"3"}},)"),
       "decode image config: config.Healthcheck.Retries: expected an integer, got string"},
      {"EntrypointNumber", config, ConfigWith(kGoodRootFs, R"("config":{"Entrypoint":5},)"),
       "decode image config: config.Entrypoint: expected an array, got number 5"},
      {"EmptyLayerString", config,
       ConfigWith(kGoodRootFs, R"("history":[{"empty_layer":"true"}],)"),
       "decode image config: history[0].empty_layer: expected a boolean, got string"},
  };
}

TEST(ImageSpecJsonTest, RejectsWhatTheSpecsForbid) {
  for (const Rejection& r : Rejections()) {
    SCOPED_TRACE(r.name);
    berth::Status status = r.decode(r.json);
    ASSERT_FALSE(status) << r.json;
    EXPECT_EQ(status.error().kind(), ErrorKind::kInvalidArgument);
    if (r.name == "NotJson") {
      EXPECT_EQ(status.error().message().rfind(r.message, 0), 0u) << status.error().message();
    } else {
      EXPECT_EQ(status.error().message(), r.message);
    }
  }
}

TEST(ImageSpecJsonTest, AcceptsRfc3339Variants) {
  for (const char* created :
       {"2024-02-29T23:59:59Z", "0001-01-01T00:00:00Z", "2024-05-01T10:00:00.5-07:00",
        "2024-05-01T10:00:00.123456789+14:00"}) {
    SCOPED_TRACE(created);
    Result<ImageConfig> c =
        DecodeImageConfig(ConfigWith(kGoodRootFs, std::string(R"("created":")") + created + "\","));
    EXPECT_TRUE(c) << c.error().message();
  }
  for (const char* created : {"2023-02-29T00:00:00Z", "2024-05-01 10:00:00Z", "2024-05-01T10:00:00",
                              "2024-05-01T24:00:00Z", "2024-05-01T10:00:00.Z",
                              "2024-05-01T10:00:00+0100", "2024-05-01T10:00:00Zjunk"}) {
    SCOPED_TRACE(created);
    EXPECT_FALSE(DecodeImageConfig(
        ConfigWith(kGoodRootFs, std::string(R"("created":")") + created + "\",")));
  }
}

}  // namespace
}  // namespace berth::oci
