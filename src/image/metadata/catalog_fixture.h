// Test fixture for the catalog's tests: a catalog on a fresh database in a temporary directory,
// a clock the test sets, and builders of images from short seeds.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "image/metadata/catalog.h"
#include "image/metadata/chain_id.h"

namespace berth::image::metadata {

// D is the digest of seed: a stand-in for any blob, diff id or config.
inline Digest D(std::string_view seed) { return Digest::OfSha256(seed); }

// Ref parses a reference as `docker pull` does ("latest" when no tag); it must be valid.
inline Reference Ref(std::string_view s) {
  Result<Reference> ref = ParseReference(s);
  EXPECT_TRUE(ref) << ref.error().message();
  return ref ? *ref : Reference{};
}

// SnapshotKey is the key the tests unpack the stack of chain_id into.
inline std::string SnapshotKey(const Digest& chain_id) {
  return "snap-" + chain_id.hex.substr(0, 16);
}

// MakeImage builds an image with config digest D(config), layers with diff ids D(layer), sizes
// 10 * (position + 1), a manifest blob D("manifest-" + config), and the given names.
inline NewImage MakeImage(std::string_view config, const std::vector<std::string>& layers,
                          const std::vector<std::string>& names = {}) {
  NewImage image;
  image.id = D(config);
  image.config_size = 100;
  image.target =
      Target{D("manifest-" + std::string(config)), "application/vnd.oci.image.manifest.v1+json"};
  image.blobs.push_back({image.target->digest, BlobKind::kManifest});
  std::vector<Digest> diff_ids;
  for (const std::string& layer : layers) diff_ids.push_back(D(layer));
  const std::vector<Digest> chain_ids = ChainIds(diff_ids);
  for (size_t i = 0; i < layers.size(); ++i) {
    image.layers.push_back(
        {diff_ids[i], SnapshotKey(chain_ids[i]), 10 * static_cast<int64_t>(i + 1)});
  }
  for (const std::string& name : names) image.names.push_back(Ref(name));
  return image;
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-catalog-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/metadata.db";
    Result<std::unique_ptr<Database>> db = Database::Open(path_);
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::move(*db);
    Result<Catalog> catalog = Catalog::Open(*db_, {.clock = [this] { return now_; }});
    ASSERT_TRUE(catalog) << catalog.error().message();
    catalog_.emplace(std::move(*catalog));
  }
  void TearDown() override {
    catalog_.reset();
    db_.reset();
    ASSERT_TRUE(RemoveAll(dir_));
  }

  // Put records image and expects success.
  PutResult Put(const NewImage& image) {
    Result<PutResult> put = catalog_->PutImage(image);
    EXPECT_TRUE(put) << put.error().message();
    return put ? *put : PutResult{};
  }

  int64_t Count(std::string_view table) {
    int64_t n = -1;
    Status s = db_->Read([&](Tx& tx) -> Status {
      return tx.Query("SELECT count(*) FROM " + std::string(table), {},
                      [&](const Row& row) -> Status {
                        n = row.Int(0);
                        return {};
                      });
    });
    EXPECT_TRUE(s) << s.error().message();
    return n;
  }

  static std::vector<std::string> Strings(const std::vector<Reference>& refs) {
    std::vector<std::string> out;
    for (const Reference& ref : refs) out.push_back(ref.FamiliarString());
    return out;
  }

  std::string dir_;
  std::string path_;
  Time now_ = Time(std::chrono::seconds(1700000000));
  std::unique_ptr<Database> db_;
  std::optional<Catalog> catalog_;
};

}  // namespace berth::image::metadata
