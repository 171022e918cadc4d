// A volume whose options name a tmpfs, mounted for real at its first use and unmounted after its
// last.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/file.h"
#include "base/temp_dir.h"
#include "volume/volumes.h"

namespace berth::volume {
namespace {

bool IsTmpfs(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && fs.f_type == 0x01021994;  // TMPFS_MAGIC
}

TEST(VolumesRootTest, TmpfsVolumeIsMountedWhileUsed) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting needs root";
  Result<TempDir> dir = TempDir::Make("volumes-root-test");
  ASSERT_TRUE(dir);
  VolumesOptions options{
      .root = *dir / "volumes",
      .mount =
          [](const FilesystemMount& fs, const std::string& target) {
            return sys::Mount(fs.device, target, fs.type, 0, fs.options);
          },
      .unmount = [](const std::string& target) { return sys::Umount2(target, MNT_DETACH); }};
  Result<std::unique_ptr<Volumes>> volumes = Volumes::Open(options);
  ASSERT_TRUE(volumes);
  Result<Volume> v = (*volumes)->Create(
      "scratch", "local", {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m,mode=0711"}}, {});
  ASSERT_TRUE(v) << v.error().message();
  ASSERT_FALSE(IsTmpfs(v->mountpoint));
  Result<std::string> path = (*volumes)->Activate("scratch", "c1");
  ASSERT_TRUE(path) << path.error().message();
  EXPECT_TRUE(IsTmpfs(*path));
  struct statfs fs {};
  ASSERT_EQ(statfs(path->c_str(), &fs), 0);
  EXPECT_EQ(fs.f_blocks * fs.f_bsize, 1u << 20);
  ASSERT_TRUE(WriteFile(*path + "/f", "x"));
  // A daemon opening the root again (its containers still running) finds the volume mounted,
  // leaves it so, and unmounts it after the last user it is told of.
  volumes->reset();
  volumes = Volumes::Open(options);
  ASSERT_TRUE(volumes);
  EXPECT_TRUE(IsTmpfs(v->mountpoint));
  ASSERT_TRUE((*volumes)->Activate("scratch", "c1"));
  (*volumes)->Deactivate("scratch", "c1");
  EXPECT_FALSE(IsTmpfs(v->mountpoint));
  EXPECT_FALSE(ReadFile(v->mountpoint + "/f"));  // the content lived in the tmpfs only
  ASSERT_TRUE((*volumes)->Remove("scratch", false));
}

}  // namespace
}  // namespace berth::volume
