// The registry's handlers over a temporary root, served on a unix socket and driven by a raw
// HTTP client: what a push and a pull send, and the spec's errors for what is wrong.
#include "registry/server/registry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/temp_dir.h"
#include "http/test_client.h"
#include "registry/server/manifest.h"

namespace berth::registry::server {
namespace {

using http::RawResponse;
using http::TestClient;
using nlohmann::json;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override { Stop(); }

  void Start(const std::string& htpasswd = "") {
    Result<std::unique_ptr<Registry>> registry =
        Registry::Open({.root = dir_ / "root", .htpasswd = htpasswd});
    ASSERT_TRUE(registry) << registry.error().message();
    registry_ = std::move(*registry);
    http::Router router;
    registry_->AddRoutes(router);
    server_ = std::make_unique<http::Server>(std::move(router), Registry::ServerOptions());
    ASSERT_TRUE(server_->Listen({.address = "unix://" + (dir_ / "reg.sock")}));
    thread_ = std::thread([this] { server_->Serve(); });
  }

  void Stop() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    server_.reset();
    registry_.reset();
  }

  // Do sends one request (with a body when given) and reads the response.
  RawResponse Do(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& headers = "") {
    TestClient client = TestClient::ConnectUnix(dir_ / "reg.sock");
    client.Send(method + " " + target + " HTTP/1.1\r\nHost: r\r\n" + headers +
                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return client.ReadResponse(method == "HEAD");
  }

  static std::string ErrorCode(const RawResponse& response) {
    json body = json::parse(response.body, nullptr, false);
    if (!body.is_object() || !body.contains("errors")) return "(none)";
    return body["errors"][0]["code"];
  }

  // PushBlob uploads data monolithically into repo.
  std::string PushBlob(const std::string& repo, const std::string& data) {
    std::string digest = Digest::OfSha256(data).String();
    RawResponse response = Do("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, data);
    EXPECT_EQ(response.status, 201) << response.body;
    return digest;
  }

  std::string Manifest(const std::string& config, const std::string& layer) {
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", oci::kMediaTypeOciManifest},
                     {"config",
                      {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                       {"size", 2},
                       {"digest", config}}},
                     {"layers",
                      {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                        {"size", 5},
                        {"digest", layer}}}}};
    return manifest.dump();
  }

  const std::string kOciType = "Content-Type: " + std::string(oci::kMediaTypeOciManifest) + "\r\n";
  TempDir dir_ = TempDir::Make("berth-registry").value();
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

TEST_F(RegistryTest, BaseAnswersWithTheApiVersion) {
  RawResponse base = Do("GET", "/v2/");
  EXPECT_EQ(base.status, 200);
  EXPECT_EQ(base.Header("Docker-Distribution-API-Version"), "registry/2.0");
  EXPECT_EQ(base.body, "{}");
}

TEST_F(RegistryTest, ChunkedUploadThenBlobWithRange) {
  RawResponse started = Do("POST", "/v2/a/b/c/blobs/uploads/");
  ASSERT_EQ(started.status, 202);
  std::string location = *started.Header("Location");
  EXPECT_EQ(started.Header("Range"), "0-0");
  EXPECT_EQ(location, "/v2/a/b/c/blobs/uploads/" + *started.Header("Docker-Upload-UUID"));

  RawResponse first = Do("PATCH", location, "hello ", "Content-Range: 0-5\r\n");
  EXPECT_EQ(first.status, 202);
  EXPECT_EQ(first.Header("Range"), "0-5");
  // A chunk that leaves a gap is refused, and the upload stays where it was.
  RawResponse gap = Do("PATCH", location, "xx", "Content-Range: 10-11\r\n");
  EXPECT_EQ(gap.status, 416);
  EXPECT_EQ(ErrorCode(gap), "RANGE_INVALID");
  EXPECT_EQ(gap.Header("Range"), "0-5");
  EXPECT_EQ(Do("PATCH", location, "world", "Content-Range: 6-10\r\n").status, 202);
  RawResponse status = Do("GET", location);
  EXPECT_EQ(status.status, 204);
  EXPECT_EQ(status.Header("Range"), "0-10");

  std::string digest = Digest::OfSha256("hello world!").String();
  RawResponse finished = Do("PUT", location + "?digest=" + digest, "!");
  ASSERT_EQ(finished.status, 201) << finished.body;
  EXPECT_EQ(finished.Header("Location"), "/v2/a/b/c/blobs/" + digest);
  EXPECT_EQ(finished.Header("Docker-Content-Digest"), digest);
  EXPECT_EQ(ErrorCode(Do("GET", location)), "BLOB_UPLOAD_UNKNOWN");

  RawResponse blob = Do("GET", "/v2/a/b/c/blobs/" + digest);
  EXPECT_EQ(blob.status, 200);
  EXPECT_EQ(blob.body, "hello world!");
  EXPECT_EQ(blob.Header("Docker-Content-Digest"), digest);
  RawResponse head = Do("HEAD", "/v2/a/b/c/blobs/" + digest);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("Content-Length"), "12");
  EXPECT_EQ(head.body, "");
  RawResponse part = Do("GET", "/v2/a/b/c/blobs/" + digest, "", "Range: bytes=6-10\r\n");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "world");
  EXPECT_EQ(part.Header("Content-Range"), "bytes 6-10/12");
  RawResponse outside = Do("GET", "/v2/a/b/c/blobs/" + digest, "", "Range: bytes=50-\r\n");
  EXPECT_EQ(outside.status, 416);
  EXPECT_EQ(outside.Header("Content-Range"), "bytes */12");
  // Another repository does not hold the blob until it mounts it.
  EXPECT_EQ(ErrorCode(Do("GET", "/v2/other/blobs/" + digest)), "BLOB_UNKNOWN");
  RawResponse mounted = Do("POST", "/v2/other/blobs/uploads/?mount=" + digest + "&from=a/b/c");
  EXPECT_EQ(mounted.status, 201);
  EXPECT_EQ(Do("GET", "/v2/other/blobs/" + digest).body, "hello world!");
  EXPECT_EQ(Do("POST", "/v2/third/blobs/uploads/?mount=" + digest + "&from=nowhere").status, 202);
}

TEST_F(RegistryTest, WrongDigestStoresNothing) {
  std::string claimed = Digest::OfSha256("the whole blob").String();
  RawResponse monolithic = Do("POST", "/v2/app/blobs/uploads/?digest=" + claimed, "the whole");
  EXPECT_EQ(monolithic.status, 400);
  EXPECT_EQ(ErrorCode(monolithic), "DIGEST_INVALID");
  RawResponse started = Do("POST", "/v2/app/blobs/uploads/");
  RawResponse finished = Do("PUT", *started.Header("Location") + "?digest=" + claimed, "the");
  EXPECT_EQ(ErrorCode(finished), "DIGEST_INVALID");
  EXPECT_EQ(ErrorCode(Do("HEAD", "/v2/app/blobs/" + claimed)), "(none)");  // HEAD has no body
  EXPECT_EQ(Do("HEAD", "/v2/app/blobs/" + claimed).status, 404);
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "root/content/ingest"));
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "root/content/blobs/sha256"));
  EXPECT_EQ(ErrorCode(Do("POST", "/v2/app/blobs/uploads/?digest=sha256:12")), "DIGEST_INVALID");
}

TEST_F(RegistryTest, ConcurrentPushesOfOneBlobStoreItOnce) {
  std::string data(1 << 20, 'x');
  std::string digest = Digest::OfSha256(data).String();
  std::vector<std::thread> pushers;
  std::vector<int> statuses(4);
  for (size_t i = 0; i < statuses.size(); ++i) {
    pushers.emplace_back([&, i] {
      std::string repo = i % 2 == 0 ? "even" : "odd";
      statuses[i] = Do("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, data).status;
    });
  }
  for (std::thread& pusher : pushers) pusher.join();
  EXPECT_EQ(statuses, std::vector<int>(4, 201));
  EXPECT_EQ(Do("GET", "/v2/odd/blobs/" + digest).body, data);
  EXPECT_EQ(Do("GET", "/v2/even/blobs/" + digest).body, data);
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "root/content/ingest"));
}

TEST_F(RegistryTest, ManifestsByTagAndDigest) {
  std::string config = PushBlob("lib/app", "{}");
  std::string missing = Digest::OfSha256("layer").String();
  std::string manifest = Manifest(config, missing);
  RawResponse unknown_blob = Do("PUT", "/v2/lib/app/manifests/v1", manifest, kOciType);
  EXPECT_EQ(unknown_blob.status, 400);
  EXPECT_EQ(ErrorCode(unknown_blob), "MANIFEST_BLOB_UNKNOWN");
  std::string layer = PushBlob("lib/app", "layer");
  ASSERT_EQ(layer, missing);

  std::string digest = Digest::OfSha256(manifest).String();
  std::string other = Digest::OfSha256("other").String();
  RawResponse mismatch = Do("PUT", "/v2/lib/app/manifests/" + other, manifest, kOciType);
  EXPECT_EQ(ErrorCode(mismatch), "DIGEST_INVALID");
  EXPECT_EQ(ErrorCode(Do("GET", "/v2/lib/app/manifests/" + digest)), "MANIFEST_UNKNOWN");
  EXPECT_EQ(ErrorCode(Do("PUT", "/v2/lib/app/manifests/v1", manifest,
                         "Content-Type: application/vnd.example+json\r\n")),
            "MANIFEST_INVALID");
  EXPECT_EQ(ErrorCode(Do("PUT", "/v2/lib/app/manifests/-bad", manifest, kOciType)), "TAG_INVALID");
  EXPECT_EQ(ErrorCode(Do("PUT", "/v2/Lib/app/manifests/v1", manifest, kOciType)), "NAME_INVALID");

  RawResponse put = Do("PUT", "/v2/lib/app/manifests/v1", manifest, kOciType);
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(put.Header("Docker-Content-Digest"), digest);
  EXPECT_EQ(put.Header("Location"), "/v2/lib/app/manifests/" + digest);
  EXPECT_EQ(Do("PUT", "/v2/lib/app/manifests/" + digest, manifest, kOciType).status, 201);
  for (const std::string& reference : {std::string("v1"), digest}) {
    RawResponse got = Do("GET", "/v2/lib/app/manifests/" + reference);
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.body, manifest);
    EXPECT_EQ(got.Header("Content-Type"), oci::kMediaTypeOciManifest);
    EXPECT_EQ(got.Header("Docker-Content-Digest"), digest);
    RawResponse head = Do("HEAD", "/v2/lib/app/manifests/" + reference);
    EXPECT_EQ(head.Header("Content-Length"), std::to_string(manifest.size()));
  }
  for (const char* tag : {"v2", "v3", "v4"}) {
    ASSERT_EQ(Do("PUT", std::string("/v2/lib/app/manifests/") + tag, manifest, kOciType).status,
              201);
  }
  RawResponse page = Do("GET", "/v2/lib/app/tags/list?n=2");
  EXPECT_EQ(json::parse(page.body), json({{"name", "lib/app"}, {"tags", {"v1", "v2"}}}));
  EXPECT_EQ(page.Header("Link"), "</v2/lib/app/tags/list?last=v2&n=2>; rel=\"next\"");
  RawResponse rest = Do("GET", "/v2/lib/app/tags/list?n=2&last=v2");
  EXPECT_EQ(json::parse(rest.body)["tags"], json({"v3", "v4"}));
  EXPECT_FALSE(Do("GET", "/v2/lib/app/tags/list?last=v4").Header("Link"));
  EXPECT_EQ(ErrorCode(Do("GET", "/v2/lib/none/tags/list")), "NAME_UNKNOWN");
  EXPECT_EQ(json::parse(Do("GET", "/v2/_catalog").body), json({{"repositories", {"lib/app"}}}));

  EXPECT_EQ(Do("DELETE", "/v2/lib/app/manifests/v4").status, 202);
  EXPECT_EQ(ErrorCode(Do("GET", "/v2/lib/app/manifests/v4")), "MANIFEST_UNKNOWN");
  EXPECT_EQ(Do("DELETE", "/v2/lib/app/manifests/" + digest).status, 202);
  EXPECT_EQ(ErrorCode(Do("GET", "/v2/lib/app/manifests/v1")), "MANIFEST_UNKNOWN");
}

TEST_F(RegistryTest, GarbageCollectionKeepsOnlyWhatManifestsReference) {
  std::string config = PushBlob("app", "{}");
  std::string layer = PushBlob("app", "layer");
  std::string stray = PushBlob("app", "stray");
  std::string manifest = Manifest(config, layer);
  ASSERT_EQ(Do("PUT", "/v2/app/manifests/v1", manifest, kOciType).status, 201);
  Stop();
  // A second process may not open the root while it is served.
  Start();
  EXPECT_EQ(Registry::Open({.root = dir_ / "root"}).error().kind(), ErrorKind::kAlreadyExists);
  Stop();
  Result<std::unique_ptr<Registry>> registry = Registry::Open({.root = dir_ / "root"});
  ASSERT_TRUE(registry);
  Result<GcReport> report = (*registry)->CollectGarbage();
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->blobs_deleted, 1);
  EXPECT_EQ(report->bytes_deleted, 5);
  EXPECT_EQ(report->blobs_kept, 3);  // config, layer, manifest
  registry->reset();
  Start();
  EXPECT_EQ(Do("GET", "/v2/app/blobs/" + layer).body, "layer");
  EXPECT_EQ(ErrorCode(Do("GET", "/v2/app/blobs/" + stray)), "BLOB_UNKNOWN");
}

TEST_F(RegistryTest, BasicAuthentication) {
  Stop();
  std::string htpasswd = dir_ / "htpasswd";
  ASSERT_TRUE(
      WriteFile(htpasswd, "alice:$2y$04$SMcfS67OjDLp.ERkDreQfOLGzbiP7tY2txsePno8DEg7rGxOI12Q.\n"));
  Start(htpasswd);
  RawResponse refused = Do("GET", "/v2/");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.Header("WWW-Authenticate"), "Basic realm=\"berth-registry\"");
  EXPECT_EQ(ErrorCode(refused), "UNAUTHORIZED");
  EXPECT_EQ(Do("GET", "/v2/x/tags/list", "", "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n").status,
            401);  // alice:wrong
  EXPECT_EQ(Do("GET", "/v2/", "", "Authorization: Basic YWxpY2U6czNjcmV0\r\n").status,
            200);  // alice:s3cret
}

}  // namespace
}  // namespace berth::registry::server
