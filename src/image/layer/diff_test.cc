#include "image/layer/diff.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/file.h"

namespace berth::image::layer {
namespace {

struct TarEntry {
  std::string name;
  mode_t mode = 0;
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t size = 0;
  int64_t mtime_sec = 0;
  std::string data;
  std::string symlink;
  std::string hardlink;
  dev_t rdev = 0;
  std::map<std::string, std::string> xattrs;
};

std::vector<TarEntry> ReadTar(const std::string& path) {
  std::vector<TarEntry> out;
  archive* ar = archive_read_new();
  archive_read_support_format_tar(ar);
  EXPECT_EQ(archive_read_open_filename(ar, path.c_str(), 10240), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
    TarEntry t;
    t.name = archive_entry_pathname(e);
    t.mode = archive_entry_mode(e);
    t.uid = archive_entry_uid(e);
    t.gid = archive_entry_gid(e);
    t.size = archive_entry_size(e);
    t.mtime_sec = archive_entry_mtime(e);
    if (const char* s = archive_entry_symlink(e)) t.symlink = s;
    if (const char* h = archive_entry_hardlink(e)) t.hardlink = h;
    t.rdev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    const char* name;
    const void* value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      t.xattrs[name] = std::string(static_cast<const char*>(value), size);
    }
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(ar, buf, sizeof(buf))) > 0) t.data.append(buf, n);
    out.push_back(std::move(t));
  }
  archive_read_free(ar);
  return out;
}

std::vector<std::string> Names(const std::vector<TarEntry>& entries) {
  std::vector<std::string> names;
  for (const TarEntry& e : entries) names.push_back(e.name);
  return names;
}

class DiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: overlay whiteouts are 0/0 device nodes";
    char tmpl[] = "/tmp/berth-diff-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    upper_ = dir_ + "/upper";
    ASSERT_EQ(mkdir(upper_.c_str(), 0755), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) {
      ASSERT_TRUE(RemoveAll(dir_));
    }
  }

  std::string U(const std::string& rel) { return upper_ + "/" + rel; }

  // Into runs diff with a descriptor of the new file out.
  static Result<DiffResult> Into(const std::string& out,
                                 const std::function<Result<DiffResult>(int)>& diff) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0);
    Result<DiffResult> r = diff(fd);
    close(fd);
    return r;
  }

  Result<DiffResult> Diff(const std::string& out) {
    return Into(out, [&](int fd) { return DiffUpperDir(upper_, fd); });
  }

  std::string dir_;
  std::string upper_;
};

TEST_F(DiffTest, WritesEveryKindOfChangeAndConvertsWhiteouts) {
  ASSERT_EQ(mkdir(U("etc").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(U("etc/hostname"), "box\n"));
  ASSERT_EQ(chown(U("etc/hostname").c_str(), 1000, 2000), 0);
  ASSERT_TRUE(WriteFile(U("suid"), "#!/bin/sh\n"));
  ASSERT_EQ(chmod(U("suid").c_str(), 04755), 0);
  ASSERT_EQ(link(U("suid").c_str(), U("suid-link").c_str()), 0);
  ASSERT_EQ(symlink("/etc/hostname", U("link").c_str()), 0);
  ASSERT_EQ(mkfifo(U("fifo").c_str(), 0640), 0);
  ASSERT_EQ(mknod(U("null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(mknod(U("gone").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0);
  ASSERT_EQ(mkdir(U("opaque").c_str(), 0700), 0);
  ASSERT_EQ(setxattr(U("opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_TRUE(WriteFile(U("opaque/kept"), "new"));
  ASSERT_EQ(setxattr(U("etc/hostname").c_str(), "user.note", "hi", 2, 0), 0);
  ASSERT_EQ(setxattr(U("etc/hostname").c_str(), "trusted.overlay.origin", "x", 1, 0), 0);
  struct timespec times[2] = {{0, UTIME_OMIT}, {1'600'000'000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, U("etc/hostname").c_str(), times, 0), 0);
  // A socket is runtime state, never part of a layer.
  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{.sun_family = AF_UNIX};
  std::string sock_path = U("sock");
  ASSERT_LT(sock_path.size(), sizeof(addr.sun_path));
  sock_path.copy(addr.sun_path, sock_path.size());
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(sock);

  Result<DiffResult> r = Diff(dir_ + "/layer.tar");
  ASSERT_TRUE(r) << r.error().message();
  std::vector<TarEntry> entries = ReadTar(dir_ + "/layer.tar");
  EXPECT_EQ(Names(entries),
            (std::vector<std::string>{"etc/", "etc/hostname", "fifo", ".wh.gone", "link", "null",
                                      "opaque/", "opaque/.wh..wh..opq", "opaque/kept", "suid",
                                      "suid-link"}));
  EXPECT_EQ(r->entries, static_cast<int64_t>(entries.size()));

  std::map<std::string, TarEntry> by_name;
  for (auto& e : entries) by_name[e.name] = e;
  const TarEntry& hostname = by_name["etc/hostname"];
  EXPECT_EQ(hostname.data, "box\n");
  EXPECT_EQ(hostname.uid, 1000);
  EXPECT_EQ(hostname.gid, 2000);
  EXPECT_EQ(hostname.mtime_sec, 1'600'000'000);
  EXPECT_EQ(hostname.xattrs, (std::map<std::string, std::string>{{"user.note", "hi"}}));
  EXPECT_EQ(by_name["suid"].mode, static_cast<mode_t>(S_IFREG | 04755));
  EXPECT_EQ(by_name["suid-link"].hardlink, "suid");
  EXPECT_EQ(by_name["link"].symlink, "/etc/hostname");
  EXPECT_TRUE(S_ISFIFO(by_name["fifo"].mode));
  EXPECT_TRUE(S_ISCHR(by_name["null"].mode));
  EXPECT_EQ(by_name["null"].rdev, makedev(1, 3));
  EXPECT_TRUE(S_ISREG(by_name[".wh.gone"].mode));
  EXPECT_EQ(by_name[".wh.gone"].size, 0);
  EXPECT_EQ(by_name["opaque/"].mode, static_cast<mode_t>(S_IFDIR | 0700));
  EXPECT_TRUE(by_name["opaque/"].xattrs.empty());
}

TEST_F(DiffTest, SameTreeSameDiffIdAndTheDigestIsOfTheBytesWritten) {
  ASSERT_EQ(mkdir(U("b").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(U("b/z"), std::string(3 << 20, 'z')));  // more than one copy buffer
  ASSERT_TRUE(WriteFile(U("a"), "a"));
  Result<DiffResult> first = Diff(dir_ + "/one.tar");
  Result<DiffResult> second = Diff(dir_ + "/two.tar");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->diff_id, second->diff_id);
  Result<std::string> bytes = ReadFile(dir_ + "/one.tar");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(first->diff_id, Digest::OfSha256(*bytes));
  EXPECT_EQ(first->size, static_cast<int64_t>(bytes->size()));
  EXPECT_EQ(ReadTar(dir_ + "/one.tar")[2].data.size(), size_t{3} << 20);

  ASSERT_TRUE(WriteFile(U("a"), "b"));
  Result<DiffResult> changed = Diff(dir_ + "/three.tar");
  ASSERT_TRUE(changed);
  EXPECT_NE(changed->diff_id, first->diff_id);
}

TEST_F(DiffTest, ProgressCanCancel) {
  ASSERT_TRUE(WriteFile(U("a"), "a"));
  ASSERT_TRUE(WriteFile(U("b"), "b"));
  int fd = open((dir_ + "/out.tar").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  int calls = 0;
  Result<DiffResult> r = DiffUpperDir(upper_, fd, {.progress = [&](int64_t) -> Status {
                                        if (++calls == 1) return {};
                                        return Fail(ErrorKind::kCancelled, "stop");
                                      }});
  close(fd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(calls, 2);
}

TEST_F(DiffTest, AMissingUpperDirIsNotFound) {
  upper_ = dir_ + "/missing";
  Result<DiffResult> r = Diff(dir_ + "/out.tar");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.error().message().find(upper_), std::string::npos) << r.error().message();
}

// Two trees made alike, with equal mtimes, as a copying snapshotter leaves a container's tree.
class DiffTreesTest : public DiffTest {
 protected:
  void SetUp() override {
    DiffTest::SetUp();
    if (IsSkipped()) return;
    lower_ = dir_ + "/lower";
    ASSERT_EQ(mkdir(lower_.c_str(), 0755), 0);
    for (const std::string& root : {lower_, upper_}) {
      for (const char* d : {"bin", "etc", "gone", "usr", "usr/share", "usr/share/doc", "x"}) {
        ASSERT_EQ(mkdir((root + "/" + d).c_str(), 0755), 0);
      }
      for (auto [name, data] : std::map<std::string, std::string>{{"bin/sh", "sh"},
                                                                  {"etc/hostname", "box\n"},
                                                                  {"etc/passwd", "root\n"},
                                                                  {"gone/child", "c"},
                                                                  {"note", "n"},
                                                                  {"old", "o"},
                                                                  {"x/inner", "i"}}) {
        ASSERT_TRUE(WriteFile(root + "/" + name, data));
        Stamp(root + "/" + name);
      }
      ASSERT_EQ(symlink("a", (root + "/link").c_str()), 0);
      Stamp(root + "/link");
    }
  }

  static void Stamp(const std::string& path) {
    struct timespec times[2] = {{1'600'000'000, 5}, {1'600'000'000, 5}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  }

  Result<DiffResult> DiffBoth(const std::string& out) {
    return Into(out, [&](int fd) { return DiffTrees(lower_, upper_, fd); });
  }

  std::string lower_;
};

TEST_F(DiffTreesTest, EqualTreesHaveAnEmptyDiff) {
  Result<DiffResult> r = DiffBoth(dir_ + "/layer.tar");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->entries, 0);
  EXPECT_TRUE(ReadTar(dir_ + "/layer.tar").empty());
}

TEST_F(DiffTreesTest, WritesWhatChangedTheDirectoriesAboveAndWhiteoutsForWhatWentAway) {
  ASSERT_TRUE(WriteFile(U("etc/hostname"), "boxes\n"));  // same mtime, other size
  Stamp(U("etc/hostname"));
  ASSERT_TRUE(RemoveAll(U("gone")));
  ASSERT_EQ(unlink(U("old").c_str()), 0);
  ASSERT_EQ(unlink(U("link").c_str()), 0);
  ASSERT_EQ(symlink("b", U("link").c_str()), 0);  // same length, same mtime, other target
  Stamp(U("link"));
  ASSERT_EQ(setxattr(U("note").c_str(), "user.k", "v", 1, 0), 0);  // only the xattr differs
  ASSERT_EQ(chmod(U("usr/share/doc").c_str(), 0700), 0);
  ASSERT_TRUE(RemoveAll(U("x")));
  ASSERT_TRUE(WriteFile(U("x"), "x"));  // a directory became a file
  ASSERT_EQ(mkdir(U("new").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(U("new/file"), "f"));

  Result<DiffResult> r = DiffBoth(dir_ + "/layer.tar");
  ASSERT_TRUE(r) << r.error().message();
  std::vector<TarEntry> entries = ReadTar(dir_ + "/layer.tar");
  EXPECT_EQ(Names(entries), (std::vector<std::string>{"etc/", "etc/hostname", ".wh.gone", "link",
                                                      "new/", "new/file", "note", ".wh.old", "usr/",
                                                      "usr/share/", "usr/share/doc/", "x"}));
  EXPECT_EQ(r->entries, static_cast<int64_t>(entries.size()));
  std::map<std::string, TarEntry> by_name;
  for (auto& e : entries) by_name[e.name] = e;
  EXPECT_EQ(by_name["etc/hostname"].data, "boxes\n");
  EXPECT_EQ(by_name["link"].symlink, "b");
  EXPECT_EQ(by_name["note"].xattrs, (std::map<std::string, std::string>{{"user.k", "v"}}));
  EXPECT_EQ(by_name["usr/share/doc/"].mode, static_cast<mode_t>(S_IFDIR | 0700));
  EXPECT_EQ(by_name["x"].data, "x");
}

TEST_F(DiffTreesTest, AMissingLowerTreeIsNotFound) {
  lower_ = dir_ + "/missing";
  Result<DiffResult> r = DiffBoth(dir_ + "/out.tar");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
}

TEST_F(DiffTest, ArchivePathNamesEntriesAfterTheTop) {
  ASSERT_EQ(mkdir(U("sub").c_str(), 0750), 0);
  ASSERT_TRUE(WriteFile(U("sub/a"), "one"));
  ASSERT_TRUE(WriteFile(U("f"), "file"));
  ASSERT_EQ(symlink("sub", U("link").c_str()), 0);
  const std::string out = dir_ + "/out.tar";
  ASSERT_TRUE(Into(out, [&](int fd) { return ArchivePath(upper_, "upper", fd); }));
  EXPECT_EQ(Names(ReadTar(out)), (std::vector<std::string>{"upper/", "upper/f", "upper/link",
                                                           "upper/sub/", "upper/sub/a"}));
  ASSERT_TRUE(Into(out, [&](int fd) { return ArchivePath(U("sub") + "/.", ".", fd); }));
  EXPECT_EQ(Names(ReadTar(out)), (std::vector<std::string>{"./", "./a"}));
  ASSERT_TRUE(Into(out, [&](int fd) { return ArchivePath(U("f"), "f", fd); }));
  std::vector<TarEntry> file = ReadTar(out);
  ASSERT_EQ(file.size(), 1u);
  EXPECT_EQ(file[0].name, "f");
  EXPECT_EQ(file[0].data, "file");
  // A final symlink is archived as the symlink.
  ASSERT_TRUE(Into(out, [&](int fd) { return ArchivePath(U("link"), "link", fd); }));
  std::vector<TarEntry> link = ReadTar(out);
  ASSERT_EQ(link.size(), 1u);
  EXPECT_EQ(link[0].symlink, "sub");
  Result<DiffResult> missing =
      Into(out, [&](int fd) { return ArchivePath(U("missing"), "missing", fd); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace berth::image::layer
