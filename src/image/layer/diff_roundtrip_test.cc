// Diff and apply are inverse: a base layer applied under an overlay mount, changed through the
// mount, diffed from the upper directory, and the diff applied on a plain copy of the base gives
// the same tree as the overlay shows.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/scope_exit.h"
#include "image/layer/apply.h"
#include "image/layer/diff.h"

namespace berth::image::layer {
namespace {

namespace fs = std::filesystem;

// Describe lists every path under root with what a layer must carry for it.
std::map<std::string, std::string> Describe(const std::string& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::end(it); ++it) {
    std::string path = it->path().string();
    struct stat st {};
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    std::string d = fmt::format("mode={:o} uid={} gid={} mtime={}", st.st_mode, st.st_uid,
                                st.st_gid, S_ISDIR(st.st_mode) ? 0 : st.st_mtim.tv_sec);
    if (S_ISREG(st.st_mode)) {
      d += " data=" + ReadFile(path).value_or("?") + fmt::format(" links={}", st.st_nlink);
    } else if (S_ISLNK(st.st_mode)) {
      d += " target=" + fs::read_symlink(path).string();
    }
    char value[64];
    ssize_t n = lgetxattr(path.c_str(), "user.tag", value, sizeof(value));
    if (n >= 0) d += " user.tag=" + std::string(value, static_cast<size_t>(n));
    out[path.substr(root.size())] = d;
  }
  return out;
}

class DiffRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: overlay mounts";
    char tmpl[] = "/tmp/berth-roundtrip-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* d : {"src", "lower", "upper", "work", "merged", "copy"}) {
      ASSERT_EQ(mkdir(P(d).c_str(), 0755), 0);
    }
  }
  void TearDown() override {
    if (!dir_.empty()) {
      umount2(P("merged").c_str(), MNT_DETACH);
      ASSERT_TRUE(RemoveAll(dir_));
    }
  }

  std::string P(const std::string& rel) { return dir_ + "/" + rel; }

  Status MountOverlay() {
    std::string data =
        fmt::format("lowerdir={},upperdir={},workdir={}", P("lower"), P("upper"), P("work"));
    if (mount("overlay", P("merged").c_str(), "overlay", 0, data.c_str()) != 0) {
      return Fail(ErrnoNow("mount overlay"));
    }
    return {};
  }

  // DiffTo writes the diff of dir into the file at path.
  Result<DiffResult> DiffTo(const std::string& dir, const std::string& path) {
    UniqueFd out(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    return DiffUpperDir(dir, out.get());
  }

  Result<ApplyResult> ApplyFile(const std::string& path, const std::string& dir,
                                WhiteoutMode mode) {
    UniqueFd in(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return Apply(in.get(), dir, {.whiteouts = mode});
  }

  std::string dir_;
};

TEST_F(DiffRoundTripTest, ApplyingTheDiffOnACopyGivesWhatTheOverlayShows) {
  // The base layer: made by diffing a plain directory, which holds no whiteouts.
  std::string src = P("src");
  ASSERT_TRUE(MakeDirs(src + "/etc/conf.d"));
  ASSERT_TRUE(MakeDirs(src + "/var/cache/apt"));
  ASSERT_TRUE(WriteFile(src + "/etc/hostname", "base\n"));
  ASSERT_TRUE(WriteFile(src + "/etc/conf.d/a", "a"));
  ASSERT_TRUE(WriteFile(src + "/etc/conf.d/b", "b"));
  ASSERT_TRUE(WriteFile(src + "/var/cache/apt/pkgcache.bin", std::string(100000, 'p')));
  ASSERT_TRUE(WriteFile(src + "/bin-tool", "tool"));
  ASSERT_EQ(chown((src + "/bin-tool").c_str(), 10, 20), 0);
  ASSERT_EQ(symlink("etc/hostname", (src + "/hostname-link").c_str()), 0);
  ASSERT_TRUE(DiffTo(src, P("base.tar")));
  Result<ApplyResult> base = ApplyFile(P("base.tar"), P("lower"), WhiteoutMode::kOverlay);
  ASSERT_TRUE(base) << base.error().message();

  // Changes made through the overlay, as a container would make them.
  ASSERT_TRUE(MountOverlay());
  std::string m = P("merged");
  ASSERT_TRUE(WriteFile(m + "/etc/hostname", "changed\n"));  // modified
  ASSERT_EQ(unlink((m + "/etc/conf.d/a").c_str()), 0);       // deleted file
  ASSERT_TRUE(RemoveAll(m + "/var/cache/apt"));              // deleted dir
  ASSERT_TRUE(MakeDirs(m + "/var/cache/apt"));               // and remade: opaque
  ASSERT_TRUE(WriteFile(m + "/var/cache/apt/new", "n"));
  ASSERT_EQ(chmod((m + "/bin-tool").c_str(), 04711), 0);  // metadata only
  ASSERT_EQ(setxattr((m + "/bin-tool").c_str(), "user.tag", "t", 1, 0), 0);
  ASSERT_TRUE(WriteFile(m + "/added", "added"));  // added
  ASSERT_EQ(link((m + "/added").c_str(), (m + "/added-hardlink").c_str()), 0);
  ASSERT_EQ(unlink((m + "/hostname-link").c_str()), 0);  // symlink replaced
  ASSERT_EQ(symlink("/etc/conf.d/b", (m + "/hostname-link").c_str()), 0);
  ASSERT_EQ(umount2(m.c_str(), 0), 0);

  Result<DiffResult> diff = DiffTo(P("upper"), P("diff.tar"));
  ASSERT_TRUE(diff) << diff.error().message();

  // The same two layers applied one over the other on a plain directory.
  ASSERT_TRUE(ApplyFile(P("base.tar"), P("copy"), WhiteoutMode::kApply));
  Result<ApplyResult> applied = ApplyFile(P("diff.tar"), P("copy"), WhiteoutMode::kApply);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(applied->diff_id, diff->diff_id);

  ASSERT_TRUE(MountOverlay());
  std::map<std::string, std::string> want = Describe(P("merged"));
  std::map<std::string, std::string> got = Describe(P("copy"));
  EXPECT_EQ(got, want);
  EXPECT_EQ(want.count("/etc/conf.d/a"), 0u);
  EXPECT_EQ(want.count("/var/cache/apt/pkgcache.bin"), 0u);
  EXPECT_EQ(want.at("/added-hardlink").find("links=2") != std::string::npos, true);

  // Applied as an overlay layer of its own, the diff hides the same names.
  ASSERT_EQ(umount2(P("merged").c_str(), 0), 0);
  ASSERT_TRUE(RemoveAll(P("upper")));
  ASSERT_EQ(mkdir(P("upper").c_str(), 0755), 0);
  ASSERT_TRUE(MakeDirs(P("layer2")));
  ASSERT_TRUE(ApplyFile(P("diff.tar"), P("layer2"), WhiteoutMode::kOverlay));
  std::string data = fmt::format("lowerdir={}:{}", P("layer2"), P("lower"));
  ASSERT_EQ(mount("overlay", P("merged").c_str(), "overlay", MS_RDONLY, data.c_str()), 0);
  EXPECT_EQ(Describe(P("merged")), want);
}

}  // namespace
}  // namespace berth::image::layer
