// Root tests of LayerWriter with each snapshotter: layers extracted while their blobs are written
// and then committed by PutImage; a blob that is not its digest, a tar that is not its diff id and
// a writer dropped half-way leave no blob, snapshot or ingest file; native refuses.
#include <gtest/gtest.h>

#include <algorithm>

#include "image/metadata/chain_id.h"
#include "image/store/store_fixture.h"
#include "image/store/store_testing.h"
#include "image/store/unpack.h"

namespace berth::image::store {
namespace {

using testing::ImageOf;
using testing::LayerOf;
using testing::StoreTest;
using testing::TestImage;
using testing::TestLayer;

class LayerWriterTest : public StoreTest {
 protected:
  // PlanOf is layer i of image as a pull plans it.
  static LayerPlan PlanOf(const TestImage& image, size_t i) {
    std::vector<Digest> diff_ids;
    for (const TestLayer& layer : image.layers) diff_ids.push_back(layer.diff_id);
    const std::vector<Digest> chains = metadata::ChainIds(diff_ids);
    return {.blob = image.layers[i].digest(),
            .blob_size = static_cast<int64_t>(image.layers[i].blob.size()),
            .diff_id = diff_ids[i],
            .chain = chains[i].String(),
            .parent = i == 0 ? "" : chains[i - 1].String(),
            .extracted = {}};
  }

  // Stream writes blob through a LayerWriter for plan in small pieces and commits it.
  Result<ExtractedLayer> Stream(Lease& lease, const LayerPlan& plan, std::string_view blob) {
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<LayerWriter> writer,
                           store_->NewLayerWriter(lease, plan));
    for (size_t at = 0; at < blob.size(); at += 777) BERTH_TRY(writer->Write(blob.substr(at, 777)));
    return writer->Commit();
  }

  bool Overlay() const { return GetParam() == SnapshotterKind::kOverlay; }
};

TestImage TwoLayers() {
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  return ImageOf({LayerOf({{"etc/", ""}, {"etc/base", "base"}, {"big", big}}, true),
                  LayerOf({{"etc/top", "top"}}, true)},
                 {"example.com/streamed:1"});
}

TEST_P(LayerWriterTest, LayersExtractedWhileWrittenAreCommittedByPutImage) {
  const TestImage image = TwoLayers();
  Result<Lease> lease = store_->NewLease("pull");
  ASSERT_TRUE(lease) << lease.error().message();
  ASSERT_TRUE(store_->WriteBlob(*lease, image.config));
  ImageInput input{.config = image.id(), .names = {}};
  ASSERT_TRUE(ParseReference("example.com/streamed:1").map([&](Reference r) {
    input.names.push_back(std::move(r));
  }));
  // The top layer first: each is extracted ahead of its parent.
  input.layers.resize(2);
  for (size_t i : {1u, 0u}) {
    input.layers[i].digest = image.layers[i].digest();
    Result<ExtractedLayer> extracted = Stream(*lease, PlanOf(image, i), image.layers[i].blob);
    if (!Overlay()) {
      ASSERT_FALSE(extracted);
      EXPECT_EQ(extracted.error().kind(), ErrorKind::kFailedPrecondition);
      return;
    }
    ASSERT_TRUE(extracted) << extracted.error().message();
    input.layers[i].extracted = *extracted;
  }
  const std::set<std::string> blobs = Blobs();
  EXPECT_TRUE(blobs.contains(image.layers[0].digest().String()));
  EXPECT_TRUE(blobs.contains(image.layers[1].digest().String()));
  Result<PutImageResult> put = store_->PutImage(*lease, input);
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(put->layers_extracted, 2);
  Result<metadata::ImageRecord> record = store_->catalog().Resolve("example.com/streamed:1");
  ASSERT_TRUE(record) << record.error().message();
  ASSERT_EQ(record->layers.size(), 2u);
  EXPECT_EQ(Snapshots(), (std::set<std::string>{record->layers[0].chain_id.String(),
                                                record->layers[1].chain_id.String()}));
  Result<snapshot::SnapshotDirs> dirs =
      store_->snapshotter().Dirs(record->layers[0].chain_id.String());
  ASSERT_TRUE(dirs) << dirs.error().message();
  EXPECT_EQ(ListDir(dirs->tree.substr(root_.size() + 1) + "/etc"),
            (std::vector<std::string>{"base"}));
  EXPECT_TRUE(ListDir("content/ingest").empty());
}

TEST_P(LayerWriterTest, ACorruptBlobIsADigestErrorAndLeavesNothing) {
  if (!Overlay()) GTEST_SKIP() << "native cannot extract ahead";
  const TestImage image = TwoLayers();
  const std::set<std::string> blobs_before = Blobs();
  {
    Result<Lease> lease = store_->NewLease("pull");
    ASSERT_TRUE(lease) << lease.error().message();
    std::string corrupt = image.layers[0].blob;
    std::fill_n(corrupt.begin() + static_cast<long>(corrupt.size() / 2), 512, '\0');
    Result<ExtractedLayer> extracted = Stream(*lease, PlanOf(image, 0), corrupt);
    ASSERT_FALSE(extracted);
    EXPECT_EQ(extracted.error().kind(), ErrorKind::kDataLoss);
    EXPECT_NE(extracted.error().message().find("digest mismatch"), std::string::npos)
        << extracted.error().message();
    EXPECT_TRUE(Snapshots().empty());
  }
  EXPECT_EQ(Blobs(), blobs_before);
  EXPECT_TRUE(ListDir("content/ingest").empty());
}

TEST_P(LayerWriterTest, ATarThatIsNotItsDiffIdLeavesNothing) {
  if (!Overlay()) GTEST_SKIP() << "native cannot extract ahead";
  const TestImage image = TwoLayers();
  Result<Lease> lease = store_->NewLease("pull");
  ASSERT_TRUE(lease) << lease.error().message();
  LayerPlan plan = PlanOf(image, 0);
  plan.diff_id = image.layers[1].diff_id;
  Result<ExtractedLayer> extracted = Stream(*lease, plan, image.layers[0].blob);
  ASSERT_FALSE(extracted);
  EXPECT_EQ(extracted.error().kind(), ErrorKind::kDataLoss);
  EXPECT_NE(extracted.error().message().find("diff id"), std::string::npos)
      << extracted.error().message();
  EXPECT_TRUE(Snapshots().empty());
  EXPECT_FALSE(Blobs().contains(image.layers[0].digest().String()));
  EXPECT_TRUE(ListDir("content/ingest").empty());
}

TEST_P(LayerWriterTest, AWriterDroppedHalfWayLeavesNothing) {
  if (!Overlay()) GTEST_SKIP() << "native cannot extract ahead";
  const TestImage image = TwoLayers();
  Result<Lease> lease = store_->NewLease("pull");
  ASSERT_TRUE(lease) << lease.error().message();
  {
    Result<std::unique_ptr<LayerWriter>> writer = store_->NewLayerWriter(*lease, PlanOf(image, 0));
    ASSERT_TRUE(writer) << writer.error().message();
    const std::string& blob = image.layers[0].blob;
    ASSERT_TRUE((*writer)->Write(std::string_view(blob).substr(0, blob.size() / 2)));
    EXPECT_EQ(Snapshots().size(), 1u);
  }
  EXPECT_TRUE(Snapshots().empty());
  EXPECT_TRUE(ListDir("content/ingest").empty());
}

BERTH_STORE_FLAVORS(LayerWriterTest);

}  // namespace
}  // namespace berth::image::store
