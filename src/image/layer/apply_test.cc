#include "image/layer/apply.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "base/file.h"
#include "base/temp_dir.h"
#include "image/layer/test_tar.h"

namespace berth::image::layer {
namespace {

using testing::Gzip;
using testing::MemFd;
using testing::TarBuilder;
using testing::TarHeader;
using testing::Zstd;

constexpr std::string_view kPasswd = "root:x:0:0:root:/root:/bin/sh\n";

std::set<std::string> List(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename());
  }
  return names;
}

// Every test applies into base/layer; base/outside/passwd stands for the host file an escape
// would reach.
class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layer_ = base_.path() + "/layer";
    outside_ = base_.path() + "/outside";
    ASSERT_TRUE(MakeDirs(layer_));
    ASSERT_TRUE(MakeDirs(outside_));
    ASSERT_TRUE(WriteFile(outside_ + "/passwd", kPasswd));
  }

  static ApplyOptions Options(WhiteoutMode mode = WhiteoutMode::kApply) {
    ApplyOptions options;
    options.whiteouts = mode;
    options.same_owner = false;
    return options;
  }

  Result<ApplyResult> ApplyBytes(std::string_view bytes, const ApplyOptions& options = Options()) {
    UniqueFd fd = MemFd(bytes);
    return Apply(fd.get(), layer_, options);
  }

  std::string Read(const std::string& rel) {
    Result<std::string> data = ReadFile(layer_ + "/" + rel);
    return data ? *data : "<" + data.error().message() + ">";
  }

  void ExpectOutsideUntouched() {
    EXPECT_EQ(List(base_.path()), (std::set<std::string>{"layer", "outside"}));
    EXPECT_EQ(List(outside_), std::set<std::string>{"passwd"});
    EXPECT_EQ(*ReadFile(outside_ + "/passwd"), kPasswd);
    struct stat st {};
    ASSERT_EQ(lstat((outside_ + "/passwd").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u) << "a hardlink to the host file was made";
  }

  TempDir base_ = TempDir::Make("berth-layer").value();
  std::string layer_;
  std::string outside_;
};

std::string SampleLayer() {
  TarBuilder tar;
  tar.Dir("./").Dir("./etc/", 0750).File("./etc/hosts", "127.0.0.1 localhost\n", 0640);
  tar.Header({.name = "bin/tool", .mode = 0755, .size = 3, .mtime = 1600000000}).Data("abc");
  tar.Symlink("bin/link", "tool").Hardlink("bin/hard", "bin/tool");
  tar.Pax({{"mtime", "1500000000.123456789"}}).File("ns", "x");
  return tar.Finish();
}

TEST_F(ApplyTest, WritesFilesDirectoriesLinksAndReportsDigests) {
  std::string tar = SampleLayer();
  for (std::string blob : {tar, Gzip(tar), Zstd(tar), testing::Xz(tar), testing::Bzip2(tar)}) {
    SCOPED_TRACE(blob.size());
    ASSERT_TRUE(RemoveAll(layer_));
    ASSERT_TRUE(MakeDirs(layer_));
    Result<ApplyResult> result = ApplyBytes(blob);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->digest, Digest::OfSha256(blob));
    EXPECT_EQ(result->diff_id, Digest::OfSha256(tar));
    EXPECT_EQ(result->compressed_size, static_cast<int64_t>(blob.size()));
    EXPECT_EQ(result->size, static_cast<int64_t>(tar.size()));
    EXPECT_EQ(result->entries, 7);

    EXPECT_EQ(Read("etc/hosts"), "127.0.0.1 localhost\n");
    EXPECT_EQ(Read("bin/link"), "abc");
    struct stat st {};
    ASSERT_EQ(lstat((layer_ + "/etc").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_mtime, 1700000000);  // set after its child was written
    ASSERT_EQ(lstat((layer_ + "/etc/hosts").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    ASSERT_EQ(lstat((layer_ + "/bin/link").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    EXPECT_EQ(st.st_mtime, 1700000000);
    struct stat tool {};
    ASSERT_EQ(lstat((layer_ + "/bin/tool").c_str(), &tool), 0);
    ASSERT_EQ(lstat((layer_ + "/bin/hard").c_str(), &st), 0);
    EXPECT_EQ(st.st_ino, tool.st_ino);
    EXPECT_EQ(tool.st_nlink, 2u);
    EXPECT_EQ(tool.st_mtime, 1600000000);
    ASSERT_EQ(lstat((layer_ + "/ns").c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);
    EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
  }
}

TEST_F(ApplyTest, StreamsFromAPipe) {
  std::string big(5 << 20, 'q');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  std::string tar = TarBuilder().File("big", big).File("small", "s").Finish();
  std::string blob = Gzip(tar);
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]);
  std::thread writer([fd = fds[1], &blob] {
    for (size_t done = 0; done < blob.size();) {
      ssize_t n = write(fd, blob.data() + done, std::min<size_t>(blob.size() - done, 1000));
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fd);
  });
  int64_t last_progress = 0;
  ApplyOptions options = Options();
  options.progress = [&](int64_t bytes) {
    EXPECT_GE(bytes, last_progress);
    last_progress = bytes;
    return Ok();
  };
  Result<ApplyResult> result = Apply(read_end.get(), layer_, options);
  writer.join();
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(Read("big"), big);
  EXPECT_EQ(Read("small"), "s");
  EXPECT_EQ(last_progress, static_cast<int64_t>(blob.size()));
  EXPECT_EQ(result->diff_id, Digest::OfSha256(tar));
}

TEST_F(ApplyTest, ProgressCanCancel) {
  std::string tar = TarBuilder().File("a", std::string(3 << 20, 'a')).Finish();
  ApplyOptions options = Options();
  options.progress = [](int64_t) { return Fail(ErrorKind::kCancelled, "cancelled by the user"); };
  Result<ApplyResult> result = ApplyBytes(tar, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(result.error().message(), "apply layer: cancelled by the user");
}

TEST_F(ApplyTest, ChecksExpectedDigests) {
  std::string tar = SampleLayer();
  std::string blob = Gzip(tar);
  ApplyOptions options = Options();
  options.expected_digest = Digest::OfSha256(blob);
  options.expected_diff_id = Digest::OfSha256(tar);
  ASSERT_TRUE(ApplyBytes(blob, options));

  options.expected_digest = Digest::OfSha256("other");
  Result<ApplyResult> result = ApplyBytes(blob, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), ErrorKind::kDataLoss);
  EXPECT_EQ(result.error().message(), "apply layer: digest " + Digest::OfSha256(blob).String() +
                                          " does not match the expected " +
                                          Digest::OfSha256("other").String());

  options.expected_digest.reset();
  options.expected_diff_id = Digest::OfSha256(blob);
  result = ApplyBytes(blob, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), ErrorKind::kDataLoss);
  EXPECT_TRUE(result.error().message().starts_with("apply layer: diff id sha256:"));

  options.expected_diff_id = Digest{"sha512", std::string(128, 'a')};
  result = ApplyBytes(blob, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), ErrorKind::kInvalidArgument);
}

TEST_F(ApplyTest, LeadingSlashIsRelativeToTheLayer) {
  ASSERT_TRUE(ApplyBytes(TarBuilder().File("/etc/motd", "hi").Finish()));
  EXPECT_EQ(Read("etc/motd"), "hi");
  ExpectOutsideUntouched();
}

TEST_F(ApplyTest, ReplacesSymlinksInsteadOfWritingThroughThem) {
  std::string target = outside_ + "/passwd";
  TarBuilder tar;
  tar.Symlink("passwd", target).File("passwd", "pwned");
  tar.Symlink("dir", outside_).Dir("dir");
  tar.Symlink("dev", target).Header({.name = "dev", .type = '6'});
  ASSERT_TRUE(ApplyBytes(tar.Finish()));
  EXPECT_EQ(Read("passwd"), "pwned");
  struct stat st {};
  ASSERT_EQ(lstat((layer_ + "/dir").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_EQ(lstat((layer_ + "/dev").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ExpectOutsideUntouched();
}

TEST_F(ApplyTest, FollowsSymlinkedParentsThatStayInside) {
  TarBuilder tar;
  tar.Dir("usr").Dir("usr/lib").Symlink("lib", "usr/lib").File("lib/libc.so", "elf");
  tar.Symlink("usr/up", "../usr/lib").File("usr/up/x", "y");
  ASSERT_TRUE(ApplyBytes(tar.Finish()));
  EXPECT_EQ(Read("usr/lib/libc.so"), "elf");
  EXPECT_EQ(Read("usr/lib/x"), "y");
}

struct HostileCase {
  std::string_view name;
  std::string tar;
  ErrorKind kind;
  std::string message;  // after "apply layer: "
};

std::vector<HostileCase> HostileCases(const std::string& outside) {
  std::string big_pax(2 << 20, 'p');
  std::string truncated = TarBuilder().File("a", std::string(10000, 'a')).Finish();
  truncated.resize(3000);
  std::string cut_header = TarBuilder().File("a", "b").File("c", "d").Finish();
  cut_header.resize(1024 + 100);
  std::string corrupt_gzip = Gzip(TarBuilder().File("a", std::string(100000, 'a')).Finish());
  corrupt_gzip[corrupt_gzip.size() / 2] ^= 0x5a;
  std::string cut_gzip = Gzip(TarBuilder().File("a", "b").Finish());
  cut_gzip.resize(cut_gzip.size() - 4);
  constexpr auto kInvalid = ErrorKind::kInvalidArgument;
  constexpr auto kDataLoss = ErrorKind::kDataLoss;
  return {
      {"dot-dot", TarBuilder().File("../escape", "x").Finish(), kInvalid,
       R"(entry "../escape": path leaves the layer)"},
      {"dot-dot inside", TarBuilder().File("a/../../escape", "x").Finish(), kInvalid,
       R"(entry "a/../../escape": path leaves the layer)"},
      {"dot-dot directory", TarBuilder().Dir("../../x").Finish(), kInvalid,
       R"(entry "../../x": path leaves the layer)"},
      {"relative symlink parent",
       TarBuilder().Symlink("evil", "../outside").File("evil/passwd", "pwned").Finish(), kInvalid,
       R"(entry "evil/passwd": parent directory "evil" leads outside the layer through a symlink)"},
      {"absolute symlink parent",
       TarBuilder().Symlink("evil", outside).File("evil/passwd", "pwned").Finish(), kInvalid,
       R"(entry "evil/passwd": parent directory "evil" leads outside the layer through a symlink)"},
      {"symlink root parent", TarBuilder().Symlink("r", "/").Dir("r/x").Finish(), kInvalid,
       R"(entry "r/x": parent directory "r" leads outside the layer through a symlink)"},
      {"deep symlink parent",
       TarBuilder().Dir("a").Symlink("a/b", "../..").File("a/b/outside/passwd", "x").Finish(),
       kInvalid,
       R"(entry "a/b/outside/passwd": parent directory "a/b/outside" leads outside the layer through a symlink)"},
      {"hardlink dot-dot", TarBuilder().Hardlink("h", "../outside/passwd").Finish(), kInvalid,
       R"(entry "h": hardlink target "../outside/passwd" leaves the layer)"},
      {"hardlink host path", TarBuilder().Hardlink("h", "/etc/passwd").Finish(), kInvalid,
       R"(entry "h": hardlink target "etc/passwd" not found)"},
      {"hardlink through symlink",
       TarBuilder().Symlink("o", "../outside").Hardlink("h", "o/passwd").Finish(), kInvalid,
       R"(entry "h": parent directory "o" leads outside the layer through a symlink)"},
      {"hardlink missing", TarBuilder().Hardlink("h", "nothing").Finish(), kInvalid,
       R"(entry "h": hardlink target "nothing" not found)"},
      {"symlink loop", TarBuilder().Symlink("a", "b").Symlink("b", "a").File("a/x", "y").Finish(),
       kInvalid, R"(entry "a/x": parent directory "a": too many levels of symbolic links)"},
      {"dangling symlink parent", TarBuilder().Symlink("d", "nowhere").File("d/x", "y").Finish(),
       kInvalid, R"(entry "d/x": parent directory "d" is a dangling symlink)"},
      {"file parent", TarBuilder().File("f", "").File("f/x", "y").Finish(), kInvalid,
       R"(entry "f/x": parent directory "f" is not a directory)"},
      {"root as file", TarBuilder().File(".", "x").Finish(), kInvalid,
       R"(entry ".": the layer root can only be a directory)"},
      {"root as symlink", TarBuilder().Symlink("/", outside).Finish(), kInvalid,
       R"(entry "/": the layer root can only be a directory)"},
      {"whiteout dot-dot", TarBuilder().File(".wh...", "").Finish(), kInvalid,
       R"(entry ".wh...": invalid whiteout name)"},
      {"whiteout empty", TarBuilder().File("a/.wh.", "").Finish(), kInvalid,
       R"(entry "a/.wh.": invalid whiteout name)"},
      {"whiteout leaves", TarBuilder().File("../.wh.passwd", "").Finish(), kInvalid,
       R"(entry "../.wh.passwd": path leaves the layer)"},
      {"control characters", TarBuilder().File("../\x1b[31m", "").Finish(), kInvalid,
       R"(entry "../\x1b[31m": path leaves the layer)"},
      {"huge pax header", TarBuilder().Pax({{"comment", big_pax}}).File("a", "b").Finish(),
       kDataLoss, "read tar: Special header too large"},
      {"huge long name",
       TarBuilder().GnuLongName(std::string(2 << 20, 'n')).File("a", "b").Finish(), kDataLoss,
       "read tar: Special header too large"},
      {"truncated data", truncated, kDataLoss, R"(entry "a": read tar: Truncated tar archive)"},
      {"truncated header", cut_header, kDataLoss, "read tar: Truncated tar archive"},
      {"corrupt gzip", corrupt_gzip, kDataLoss, "decompress gzip: "},
      {"truncated gzip", cut_gzip, kDataLoss, "decompress gzip: unexpected end of stream"},
      {"lz4", std::string("\x04\x22\x4d\x18\x64\x40\xa7\x00\x00\x00", 10), kInvalid,
       "unsupported compression lz4 (gzip, zstd, xz, bzip2 or none)"},
      {"truncated xz", testing::Xz(TarBuilder().File("a", "b").Finish()).substr(0, 40), kDataLoss,
       "decompress xz: unexpected end of stream"},
  };
}

TEST_F(ApplyTest, RefusesHostileTars) {
  for (const HostileCase& c : HostileCases(outside_)) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(RemoveAll(layer_));
    ASSERT_TRUE(MakeDirs(layer_));
    Result<ApplyResult> result = ApplyBytes(c.tar);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind(), c.kind) << result.error().message();
    std::string want = "apply layer: " + c.message;
    if (want.ends_with(": ")) {
      EXPECT_TRUE(result.error().message().starts_with(want)) << result.error().message();
    } else {
      EXPECT_EQ(result.error().message(), want);
    }
    ExpectOutsideUntouched();
  }
}

TEST_F(ApplyTest, NeverSetsOverlayXattrsFromTheTar) {
  std::string tar = TarBuilder()
                        .Pax({{"SCHILY.xattr.trusted.overlay.opaque", "y"},
                              {"SCHILY.xattr.user.overlay.redirect", "/x"}})
                        .Dir("d")
                        .Finish();
  Result<ApplyResult> result = ApplyBytes(tar);
  ASSERT_TRUE(result) << result.error().message();
  char value[8];
  EXPECT_LT(getxattr((layer_ + "/d").c_str(), "trusted.overlay.opaque", value, sizeof(value)), 0);
  EXPECT_LT(getxattr((layer_ + "/d").c_str(), "user.overlay.redirect", value, sizeof(value)), 0);
}

// kApply: the directory holds the lower layers; whiteouts delete what they left, never what this
// layer wrote, in whatever order the entries come.
TEST_F(ApplyTest, ApplyModeWhiteoutsDeleteLowerEntriesOnly) {
  TarBuilder lower;
  lower.Dir("gone").File("gone/f", "1").File("file", "2").Symlink("link", "file");
  lower.Dir("opq").File("opq/old", "3").Dir("opq/sub").File("opq/sub/old", "4");
  lower.Dir("late").File("late/old", "5").Dir("keep").File("keep/f", "6");
  lower.Dir("re").File("re/old", "7");
  ASSERT_TRUE(ApplyBytes(lower.Finish()));

  TarBuilder upper;
  upper.File(".wh.gone", "").File(".wh.link", "").File(".wh.missing", "").File("x/.wh.y", "");
  upper.Dir("opq").File("opq/.wh..wh..opq", "").File("opq/new", "n").File("opq/sub/new", "n");
  upper.Dir("late").File("late/new", "n").File("late/.wh..wh..opq", "");  // marker after
  upper.File(".wh.re", "").Dir("re").File("re/new", "n");  // deleted, then written anew
  upper.File("file", "new").File(".wh.file", "");          // the same layer's own file stays
  upper.File(".wh..wh.plnk", "");                          // aufs bookkeeping: skipped
  Result<ApplyResult> result = ApplyBytes(upper.Finish());
  ASSERT_TRUE(result) << result.error().message();

  EXPECT_EQ(List(layer_), (std::set<std::string>{"file", "keep", "late", "opq", "re"}));
  EXPECT_EQ(Read("file"), "new");
  EXPECT_EQ(List(layer_ + "/opq"), (std::set<std::string>{"new", "sub"}));
  EXPECT_EQ(List(layer_ + "/opq/sub"), std::set<std::string>{"new"});
  EXPECT_EQ(List(layer_ + "/late"), std::set<std::string>{"new"});
  EXPECT_EQ(List(layer_ + "/re"), std::set<std::string>{"new"});
  EXPECT_EQ(List(layer_ + "/keep"), std::set<std::string>{"f"});
}

TEST_F(ApplyTest, ReplacesEntriesOfTheSameName) {
  TarBuilder tar;
  tar.File("a", "file").Dir("a").File("a/x", "1");  // a file replaced by a directory
  tar.Dir("b").File("b/y", "2").File("b", "now a file");
  tar.Dir("c", 0700).Dir("c", 0711);  // the last metadata wins
  ASSERT_TRUE(ApplyBytes(tar.Finish()));
  EXPECT_EQ(Read("a/x"), "1");
  EXPECT_EQ(Read("b"), "now a file");
  struct stat st {};
  ASSERT_EQ(stat((layer_ + "/c").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
}

TEST_F(ApplyTest, AppliesInParallel) {
  std::vector<std::string> blobs;
  std::vector<UniqueFd> fds;
  std::vector<LayerJob> jobs;
  for (int i = 0; i < 4; ++i) {
    std::string dir = base_.path() + "/p" + std::to_string(i);
    ASSERT_TRUE(MakeDirs(dir));
    blobs.push_back(Gzip(TarBuilder().File("n", std::to_string(i)).Finish()));
    fds.push_back(MemFd(blobs.back()));
    jobs.push_back({fds.back().get(), dir, Options()});
  }
  fds.push_back(MemFd("not a tar at all, and longer than a tar block would need to be? no"));
  jobs.push_back({fds.back().get(), base_.path() + "/p0", Options()});
  std::vector<Result<ApplyResult>> results = ApplyParallel(jobs, 2);
  ASSERT_EQ(results.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().message();
    EXPECT_EQ(results[i]->digest, Digest::OfSha256(blobs[i]));
    EXPECT_EQ(*ReadFile(base_.path() + "/p" + std::to_string(i) + "/n"), std::to_string(i));
  }
  ASSERT_FALSE(results[4]);
  EXPECT_EQ(results[4].error().kind(), ErrorKind::kDataLoss) << results[4].error().message();
}

TEST_F(ApplyTest, PlainNamesForCopiesLeaveTheDirectoryAndRefuseTypeChanges) {
  ASSERT_EQ(chmod(layer_.c_str(), 01777), 0);
  ASSERT_TRUE(MakeDirs(layer_ + "/dir"));
  ApplyOptions options = Options(WhiteoutMode::kNone);
  options.no_overwrite_dir_non_dir = true;
  std::string tar = TarBuilder()
                        .Dir("./", 0700)
                        .File(".wh.kept", "not a whiteout")
                        .File(".wh..wh..opq", "nor this")
                        .Finish();
  ASSERT_TRUE(ApplyBytes(tar, options));
  EXPECT_EQ(Read(".wh.kept"), "not a whiteout");
  EXPECT_EQ(Read(".wh..wh..opq"), "nor this");
  struct stat st {};
  ASSERT_EQ(stat(layer_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u) << "the directory extracted into was changed";
  Result<ApplyResult> file_over_dir = ApplyBytes(TarBuilder().File("dir", "x").Finish(), options);
  ASSERT_FALSE(file_over_dir);
  EXPECT_EQ(file_over_dir.error().kind(), ErrorKind::kInvalidArgument);
  Result<ApplyResult> dir_over_file = ApplyBytes(TarBuilder().Dir(".wh.kept").Finish(), options);
  ASSERT_FALSE(dir_over_file);
  EXPECT_EQ(Read(".wh.kept"), "not a whiteout");
  options.no_overwrite_dir_non_dir = false;
  ASSERT_TRUE(ApplyBytes(TarBuilder().File("dir", "x").Finish(), options));
  EXPECT_EQ(Read("dir"), "x");
  ExpectOutsideUntouched();
}

}  // namespace
}  // namespace berth::image::layer
