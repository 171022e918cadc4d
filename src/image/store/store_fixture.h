// The fixture of the image store's root tests: a store on a temporary data root, run once with
// each snapshotter (overlay is skipped where the kernel or filesystem lacks it), and helpers that
// look at what is on disk. For tests only.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "image/snapshot/overlay.h"
#include "image/snapshot/tree.h"
#include "image/store/image_store.h"

namespace berth::image::store::testing {

class StoreTest : public ::testing::TestWithParam<SnapshotterKind> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "unpacking layers and mounting snapshots needs root";
    char tmpl[] = "/tmp/berth-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/root";
    if (GetParam() == SnapshotterKind::kOverlay) {
      Status probe = snapshot::ProbeOverlay(dir_ + "/probe");
      if (!probe) GTEST_SKIP() << "overlay unavailable: " << probe.error().message();
    }
    ASSERT_NO_FATAL_FAILURE(Reopen());
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) {
      EXPECT_TRUE(snapshot::RemoveTree(dir_));
    }
  }

  virtual StoreOptions Options() const {
    return {.root = root_, .snapshotter = GetParam(), .parallelism = 4};
  }

  void Reopen() { Reopen(Options()); }
  void Reopen(StoreOptions options) {
    store_.reset();
    Result<std::unique_ptr<ImageStore>> store = ImageStore::Open(std::move(options));
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
  }

  std::set<std::string> Blobs() const {
    Result<std::vector<Digest>> listed = store_->content().List();
    EXPECT_TRUE(listed);
    std::set<std::string> blobs;
    for (const Digest& d : listed.value_or(std::vector<Digest>{})) blobs.insert(d.String());
    return blobs;
  }

  // Snapshots lists the snapshot keys, committed ones as "key", others as "key (kind)".
  std::set<std::string> Snapshots() const {
    std::set<std::string> keys;
    Status walked = store_->snapshotter().Walk([&](const snapshot::Info& info) -> Status {
      keys.insert(info.kind == snapshot::Kind::kCommitted
                      ? info.name
                      : info.name + " (" + std::string(snapshot::KindName(info.kind)) + ")");
      return Ok();
    });
    EXPECT_TRUE(walked);
    return keys;
  }

  std::vector<std::string> ListDir(const std::string& relative) const {
    return snapshot::ListDir(root_ + "/" + relative).value_or(std::vector<std::string>{"?"});
  }

  std::string dir_;
  std::string root_;
  std::unique_ptr<ImageStore> store_;
};

inline std::string FlavorName(const ::testing::TestParamInfo<SnapshotterKind>& info) {
  return info.param == SnapshotterKind::kOverlay ? "overlay" : "native";
}

#define BERTH_STORE_FLAVORS(suite)                                                             \
  INSTANTIATE_TEST_SUITE_P(Snapshotters, suite,                                                \
                           ::testing::Values(::berth::image::store::SnapshotterKind::kOverlay, \
                                             ::berth::image::store::SnapshotterKind::kNative), \
                           ::berth::image::store::testing::FlavorName)

}  // namespace berth::image::store::testing
