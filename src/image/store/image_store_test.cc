// Root tests of the ImageStore core with each snapshotter: images put from blobs are unpacked into
// shared snapshots and seen through a container's rootfs mounts; deletion and GC keep what is
// shared or leased; Verify finds a corrupted blob.
#include "image/store/image_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/file.h"
#include "image/layer/test_tar.h"
#include "image/metadata/chain_id.h"
#include "image/store/store_fixture.h"
#include "image/store/store_testing.h"

namespace berth::image::store {
namespace {

using testing::ImageOf;
using testing::LayerOf;
using testing::Mounted;
using testing::PutTestImage;
using testing::StoreTest;
using testing::TestImage;
using testing::TestLayer;

class ImageStoreTest : public StoreTest {};

TEST_P(ImageStoreTest, SecondOpenOfARootIsRefused) {
  Result<std::unique_ptr<ImageStore>> second = ImageStore::Open(Options());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind(), ErrorKind::kUnavailable) << second.error().message();
  EXPECT_EQ(store_->snapshotter().name(),
            GetParam() == SnapshotterKind::kOverlay ? "overlay" : "native");
}

TEST_P(ImageStoreTest, PutImageUnpacksLayersSeenThroughRootfs) {
  TestLayer base = LayerOf({{"etc/", ""}, {"etc/os-release", "base"}, {"gone", "x"}});
  layer::testing::TarBuilder tar;
  tar.File("etc/os-release", "top").File(".wh.gone", "").File("bin/tool", "#!/bin/sh\n");
  const std::string top_tar = tar.Finish();
  TestLayer top{.blob = layer::testing::Gzip(top_tar), .diff_id = Digest::OfSha256(top_tar)};
  TestImage image = ImageOf({base, top}, {"example.com/app:v1"});

  Result<PutImageResult> put = PutTestImage(*store_, image);
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_TRUE(put->put.created);
  EXPECT_EQ(put->layers_extracted, 2);

  Result<metadata::ImageRecord> record = store_->catalog().Resolve("example.com/app:v1");
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->id, image.id());
  ASSERT_EQ(record->layers.size(), 2u);
  EXPECT_EQ(record->layers[1].chain_id, metadata::ChainId(base.diff_id, top.diff_id));
  EXPECT_EQ(record->layers[1].size, static_cast<int64_t>(top_tar.size()));
  EXPECT_EQ(Snapshots(), (std::set<std::string>{record->layers[0].chain_id.String(),
                                                record->layers[1].chain_id.String()}));

  Result<PrepareRootfsResult> rootfs = store_->PrepareRootfs("container-1", image.id());
  ASSERT_TRUE(rootfs) << rootfs.error().message();
  {
    Mounted mounted(rootfs->mounts, dir_ + "/rootfs");
    ASSERT_TRUE(mounted.status()) << mounted.status().error().message();
    EXPECT_EQ(mounted.Read("etc/os-release"), "top");
    EXPECT_EQ(mounted.Read("bin/tool"), "#!/bin/sh\n");
    EXPECT_EQ(mounted.Read("gone"), "<missing>");
    ASSERT_TRUE(WriteFile(dir_ + "/rootfs/written", "by the container"));
  }
  // The container's writes stay in its own snapshot; a GC keeps it while its lease lives.
  ASSERT_TRUE(store_->Gc());
  EXPECT_TRUE(Snapshots().contains("container-1 (active)"));
  ASSERT_TRUE(store_->RemoveRootfs("container-1"));
  EXPECT_FALSE(Snapshots().contains("container-1 (active)"));
  EXPECT_EQ(store_->RemoveRootfs("container-1").error().kind(), ErrorKind::kNotFound);
}

TEST_P(ImageStoreTest, LayerSharedByTwoImagesIsExtractedOnce) {
  TestLayer base = LayerOf({{"base", "shared"}});
  TestImage a = ImageOf({base, LayerOf({{"a", "a"}})}, {"a:1"});
  TestImage b = ImageOf({base, LayerOf({{"b", "b"}})}, {"b:1"});
  Result<PutImageResult> put_a = PutTestImage(*store_, a);
  ASSERT_TRUE(put_a) << put_a.error().message();
  Result<PutImageResult> put_b = PutTestImage(*store_, b);
  ASSERT_TRUE(put_b) << put_b.error().message();
  EXPECT_EQ(put_a->layers_extracted, 2);
  EXPECT_EQ(put_b->layers_extracted, 1);
  EXPECT_EQ(put_b->layers_reused, 1);
  EXPECT_EQ(Snapshots().size(), 3u);
  // The same image again extracts nothing and adds nothing.
  Result<PutImageResult> again = PutTestImage(*store_, a);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_FALSE(again->put.created);
  EXPECT_EQ(again->layers_extracted, 0);
  EXPECT_EQ(Snapshots().size(), 3u);
}

// RootTar is a layer whose "./" entry gives the root mode, owned by uid:gid, and holds file.
std::string RootTar(mode_t mode, uint32_t uid, uint32_t gid, std::string_view file) {
  layer::testing::TarBuilder tar;
  tar.Header({.name = "./", .type = '5', .mode = mode, .uid = uid, .gid = gid});
  return tar.File(file, "1").Finish();
}

TestLayer Plain(const std::string& tar) { return {tar, Digest::OfSha256(tar)}; }

TEST_P(ImageStoreTest, LayerSetsTheModeOfTheRoot) {
  // The top layer gives the root the mode a layer directory starts with: it must still be set,
  // not taken for "no ./ entry" and left at the base's.
  TestImage image =
      ImageOf({Plain(RootTar(0700, 1000, 1000, "base")), Plain(RootTar(0755, 0, 0, "top"))}, {});
  ASSERT_TRUE(PutTestImage(*store_, image));
  Result<PrepareRootfsResult> rootfs = store_->PrepareRootfs("c", image.id());
  ASSERT_TRUE(rootfs) << rootfs.error().message();
  Mounted mounted(rootfs->mounts, dir_ + "/rootfs");
  ASSERT_TRUE(mounted.status()) << mounted.status().error().message();
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/rootfs").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(mounted.Read("base"), "1");
  EXPECT_EQ(mounted.Read("top"), "1");
}

// A layer without a "./" entry: docker's overlay2 extracts it into a directory made 0755 and owned
// by root, whatever its parent's root is; a whole tree (docker's vfs, our native) keeps the
// root of the parent's copy.
TEST_P(ImageStoreTest, LayerWithoutARootEntryGetsDockersRoot) {
  TestImage image =
      ImageOf({Plain(RootTar(0750, 1000, 1001, "base")), LayerOf({{"top", "1"}})}, {});
  ASSERT_TRUE(PutTestImage(*store_, image));
  Result<metadata::ImageRecord> record = store_->catalog().GetImage(image.id());
  ASSERT_TRUE(record) << record.error().message();
  ASSERT_EQ(record->layers.size(), 2u);
  Result<snapshot::SnapshotDirs> top = store_->snapshotter().Dirs(record->layers[1].snapshot_key);
  ASSERT_TRUE(top) << top.error().message();
  struct stat st {};
  ASSERT_EQ(lstat(top->tree.c_str(), &st), 0);
  if (GetParam() == SnapshotterKind::kOverlay) {
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, 0u);
  } else {
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 1001u);
  }
}

// Layers extracted ahead of their parents (overlay) are committed base first and stacked; a
// failed layer leaves no active snapshot.
TEST_P(ImageStoreTest, ParallelLayersStackAndAFailedPutLeavesNoActiveSnapshot) {
  layer::testing::TarBuilder mid;
  mid.File(".wh.gone", "").File("mid", "m");
  const std::string mid_tar = mid.Finish();
  TestLayer base = LayerOf({{"gone", "g"}, {"kept", "k"}});
  TestLayer good = Plain(mid_tar);
  TestLayer bad = LayerOf({{"bad", "b"}});
  bad.diff_id = Digest::OfSha256("not this layer");
  TestImage image = ImageOf({base, good, bad}, {"bad:1"});
  Result<PutImageResult> failed = PutTestImage(*store_, image);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind(), ErrorKind::kDataLoss) << failed.error().message();
  // In parallel nothing is committed before every layer is extracted; one after the other, the
  // layers before the failed one are.
  const std::set<std::string> left = Snapshots();
  EXPECT_EQ(left.size(), GetParam() == SnapshotterKind::kOverlay ? 0u : 2u);
  for (const std::string& key : left) EXPECT_EQ(key.find(" ("), std::string::npos) << key;

  TestImage fine = ImageOf({base, good, LayerOf({{"top", "t"}})}, {"fine:1"});
  Result<PutImageResult> put = PutTestImage(*store_, fine);
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(put->layers_extracted + put->layers_reused, 3);
  Result<PrepareRootfsResult> rootfs = store_->PrepareRootfs("c", fine.id());
  ASSERT_TRUE(rootfs) << rootfs.error().message();
  Mounted mounted(rootfs->mounts, dir_ + "/rootfs");
  ASSERT_TRUE(mounted.status()) << mounted.status().error().message();
  EXPECT_EQ(mounted.Read("gone"), "<missing>");
  EXPECT_EQ(mounted.Read("kept"), "k");
  EXPECT_EQ(mounted.Read("mid"), "m");
  EXPECT_EQ(mounted.Read("top"), "t");
}

TEST_P(ImageStoreTest, DeleteImageKeepsSharedLayers) {
  TestLayer base = LayerOf({{"base", "shared"}});
  TestImage a = ImageOf({base, LayerOf({{"a", "a"}})}, {"a:1"});
  TestImage b = ImageOf({base, LayerOf({{"b", "b"}})}, {"b:1"});
  ASSERT_TRUE(PutTestImage(*store_, a));
  ASSERT_TRUE(PutTestImage(*store_, b));

  Result<metadata::DeleteResult> deleted = store_->DeleteImage(a.id());
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(deleted->snapshots.size(), 1u);
  EXPECT_EQ(Snapshots().size(), 2u);
  EXPECT_FALSE(Blobs().contains(a.id().String()));
  EXPECT_FALSE(Blobs().contains(a.layers[1].digest().String()));
  EXPECT_TRUE(Blobs().contains(base.digest().String()));

  Result<PrepareRootfsResult> rootfs = store_->PrepareRootfs("c", b.id());
  ASSERT_TRUE(rootfs) << rootfs.error().message();
  Mounted mounted(rootfs->mounts, dir_ + "/rootfs");
  ASSERT_TRUE(mounted.status()) << mounted.status().error().message();
  EXPECT_EQ(mounted.Read("base"), "shared");
  EXPECT_EQ(mounted.Read("b"), "b");
}

TEST_P(ImageStoreTest, GcRemovesWhatARemovedImageHeldButKeepsSharedAndLeased) {
  TestLayer base = LayerOf({{"base", "shared"}});
  TestImage a = ImageOf({base, LayerOf({{"a", "a"}})}, {"a:1"});
  TestImage b = ImageOf({base, LayerOf({{"b", "b"}})}, {"b:1"});
  ASSERT_TRUE(PutTestImage(*store_, a));
  ASSERT_TRUE(PutTestImage(*store_, b));
  Result<Lease> lease = store_->NewLease("test");
  ASSERT_TRUE(lease);
  Result<content::Info> leased = store_->WriteBlob(*lease, "a blob only a lease holds");
  ASSERT_TRUE(leased);

  // The catalog forgets the image, as a crash before its files were removed would leave it.
  ASSERT_TRUE(store_->catalog().DeleteImage(a.id()));
  EXPECT_TRUE(Blobs().contains(a.id().String()));
  Result<GcReport> gc = store_->Gc();
  ASSERT_TRUE(gc) << gc.error().message();
  EXPECT_EQ(gc->blobs.size(), 2u);  // a's config and top layer
  EXPECT_EQ(gc->snapshots.size(), 1u);
  EXPECT_GT(gc->bytes, 0);
  EXPECT_FALSE(Blobs().contains(a.id().String()));
  EXPECT_TRUE(Blobs().contains(base.digest().String()));
  EXPECT_TRUE(Blobs().contains(leased->digest.String()));
  EXPECT_EQ(Snapshots().size(), 2u);

  lease = Fail(ErrorKind::kCancelled, "lease dropped");  // deletes the lease
  gc = store_->Gc();
  ASSERT_TRUE(gc) << gc.error().message();
  EXPECT_EQ(gc->blobs, std::vector<Digest>{leased->digest});
  EXPECT_TRUE(gc->snapshots.empty());
}

TEST_P(ImageStoreTest, VerifyFindsACorruptedBlob) {
  TestImage image = ImageOf({LayerOf({{"file", "content"}})}, {"a:1"});
  ASSERT_TRUE(PutTestImage(*store_, image));
  Result<VerifyReport> clean = store_->Verify();
  ASSERT_TRUE(clean) << clean.error().message();
  EXPECT_TRUE(clean->Clean());
  EXPECT_EQ(clean->blobs, 2);

  const std::string path = store_->content().BlobPath(image.layers[0].digest());
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    ASSERT_EQ(pwrite(fd.get(), "X", 1, 600), 1);
  }
  Result<VerifyReport> report = store_->Verify();
  ASSERT_TRUE(report) << report.error().message();
  ASSERT_EQ(report->corrupt.size(), 1u);
  EXPECT_EQ(report->corrupt[0].digest, image.layers[0].digest());
  Result<UniqueFd> opened = store_->OpenBlob(image.layers[0].digest());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().kind(), ErrorKind::kDataLoss);

  ASSERT_TRUE(store_->content().Delete(image.id()));
  report = store_->Verify();
  ASSERT_TRUE(report);
  ASSERT_EQ(report->missing.size(), 1u);
  EXPECT_EQ(report->missing[0].digest, image.id());
}

BERTH_STORE_FLAVORS(ImageStoreTest);

}  // namespace
}  // namespace berth::image::store
