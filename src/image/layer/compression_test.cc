#include "image/layer/compression.h"

#include <gtest/gtest.h>

#include <random>

#include "image/layer/test_tar.h"

namespace berth::image::layer {
namespace {

using namespace std::string_view_literals;

TEST(DetectCompressionTest, ByMagic) {
  EXPECT_EQ(*DetectCompression(testing::Gzip("x").substr(0, 10)), Compression::kGzip);
  EXPECT_EQ(*DetectCompression(testing::Zstd("x").substr(0, 10)), Compression::kZstd);
  EXPECT_EQ(*DetectCompression(testing::Xz("x").substr(0, 10)), Compression::kXz);
  EXPECT_EQ(*DetectCompression(testing::Bzip2("x").substr(0, 10)), Compression::kBzip2);
  EXPECT_EQ(*DetectCompression(testing::TarBuilder().File("a", "b").Finish().substr(0, 10)),
            Compression::kNone);
  EXPECT_EQ(*DetectCompression(""), Compression::kNone);
  EXPECT_EQ(*DetectCompression("\x1f"sv), Compression::kNone);
  // A tar whose first name starts with "BZh" is still a tar.
  EXPECT_EQ(*DetectCompression("BZh9file\0\0"sv), Compression::kNone);
}

TEST(DetectCompressionTest, RefusesLz4ByName) {
  Result<Compression> c = DetectCompression("\x04\x22\x4d\x18\x64\x40\xa7\x00\x00\x00"sv);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(c.error().message(), "unsupported compression lz4 (gzip, zstd, xz, bzip2 or none)");
}

constexpr Compression kCompressed[] = {Compression::kGzip, Compression::kZstd, Compression::kXz,
                                       Compression::kBzip2};

std::string Pack(Compression c, std::string_view data) {
  switch (c) {
    case Compression::kGzip:
      return testing::Gzip(data);
    case Compression::kZstd:
      return testing::Zstd(data);
    case Compression::kXz:
      return testing::Xz(data);
    case Compression::kBzip2:
      return testing::Bzip2(data);
    case Compression::kNone:
      break;
  }
  return std::string(data);
}

std::string RandomText(size_t size) {
  std::mt19937 rng(42);
  std::string s(size, ' ');
  for (char& c : s) c = "abcdefgh \n"[rng() % 10];
  return s;
}

// Feed runs a decompressor over input cut into pieces of `step` bytes, with an output buffer of
// out_size, as LayerStream does.
Result<std::string> Feed(Compression compression, std::string_view input, size_t step,
                         size_t out_size) {
  BERTH_ASSIGN_OR_RETURN(auto d, Decompressor::Create(compression));
  std::string out;
  std::string buf(out_size, '\0');
  for (size_t pos = 0; pos < input.size(); pos += step) {
    std::string_view piece = input.substr(pos, step);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(size_t n, d->Decompress(piece, buf));
      out.append(buf.data(), n);
      if (piece.empty() && n < buf.size()) break;
    }
  }
  BERTH_TRY(d->Finish());
  return out;
}

TEST(DecompressorTest, RoundTripsConcatenatedMembersWhateverTheCuts) {
  // Larger than a deflate window (32 KiB), small enough to feed byte by byte.
  std::string a = RandomText(80000);
  std::string b = RandomText(9000);
  for (Compression c : kCompressed) {
    std::string stream = Pack(c, a) + Pack(c, b) + Pack(c, "");
    for (size_t step : {1ul, 7ul, 4096ul, stream.size()}) {
      for (size_t out_size : {1ul, 1000ul, 1ul << 20}) {
        if (step == 1 && out_size == 1) continue;  // slow and adds nothing
        Result<std::string> out = Feed(c, stream, step, out_size);
        ASSERT_TRUE(out) << CompressionName(c) << " " << out.error().message();
        EXPECT_EQ(*out, a + b) << CompressionName(c) << " step " << step << " out " << out_size;
      }
    }
  }
}

TEST(DecompressorTest, TruncatedStreamIsDataLoss) {
  std::string data = RandomText(100000);
  for (Compression c : kCompressed) {
    std::string stream = Pack(c, data);
    Result<std::string> out = Feed(c, stream.substr(0, stream.size() - 5), 4096, 65536);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().kind(), ErrorKind::kDataLoss);
    EXPECT_EQ(out.error().message(),
              "decompress " + std::string(CompressionName(c)) + ": unexpected end of stream");
  }
}

TEST(DecompressorTest, CorruptStreamIsDataLoss) {
  for (Compression c : kCompressed) {
    std::string stream = Pack(c, RandomText(100000));
    stream[stream.size() / 2] ^= 0x55;
    Result<std::string> out = Feed(c, stream, 4096, 65536);
    ASSERT_FALSE(out) << CompressionName(c);
    EXPECT_EQ(out.error().kind(), ErrorKind::kDataLoss);
    EXPECT_TRUE(
        out.error().message().starts_with("decompress " + std::string(CompressionName(c)) + ": "))
        << out.error().message();
  }
}

TEST(DecompressorTest, TrailingBytesThatAreNoStreamAreDataLoss) {
  const std::pair<Compression, std::string_view> cases[] = {
      {Compression::kGzip, "decompress gzip: invalid gzip header"},
      {Compression::kXz, "decompress xz: corrupt data"},
      {Compression::kBzip2, "decompress bzip2: not in the bzip2 format"},
  };
  for (const auto& [c, message] : cases) {
    Result<std::string> out = Feed(c, Pack(c, "abc") + "garbage, not a stream", 4096, 65536);
    ASSERT_FALSE(out) << CompressionName(c);
    EXPECT_EQ(out.error().message(), message);
  }
}

}  // namespace
}  // namespace berth::image::layer
