#include "runtime/seccomp/cache.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/temp_dir.h"

namespace berth::runtime::seccomp {
namespace {

// A profile with what the key must tell apart: several architectures, flags, errnos and
// argument conditions.
oci::Seccomp Profile() {
  return {
      .default_action = "SCMP_ACT_ERRNO",
      .default_errno_ret = EPERM,
      .architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"},
      .flags = {"SECCOMP_FILTER_FLAG_SPEC_ALLOW"},
      .syscalls = {{.names = {"read", "write", "exit_group", "getpid"}, .action = "SCMP_ACT_ALLOW"},
                   {.names = {"mkdir"}, .action = "SCMP_ACT_ERRNO", .errno_ret = ENOTSUP},
                   {.names = {"personality"},
                    .action = "SCMP_ACT_ALLOW",
                    .args = {{.index = 0, .value = 8, .op = "SCMP_CMP_EQ"}}}}};
}

bool SameProgram(const Program& a, const Program& b) {
  return a.flags == b.flags && a.filter.size() == b.filter.size() &&
         std::memcmp(a.filter.data(), b.filter.data(), a.filter.size() * sizeof(sock_filter)) == 0;
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

class SeccompCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Make("berth-seccomp-cache-test");
    ASSERT_TRUE(dir) << dir.error().message();
    dir_.emplace(std::move(*dir));
    auto fresh = Build(Profile());
    ASSERT_TRUE(fresh) << fresh.error().message();
    fresh_ = std::move(*fresh);
  }
  std::string Dir() const { return dir_->path(); }
  std::string FileOf(const oci::Seccomp& profile) const {
    return Dir() + "/" + CacheFileName(profile);
  }

  std::optional<TempDir> dir_;
  Program fresh_;
};

TEST_F(SeccompCacheTest, FirstBuildWritesTheCompiledProgramAndLaterOnesReadIt) {
  auto first = BuildCached(Profile(), Dir());
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_TRUE(SameProgram(*first, fresh_));
  EXPECT_EQ(Entries(Dir()), std::vector<std::string>{CacheFileName(Profile())});

  auto second = BuildCached(Profile(), Dir());
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_TRUE(SameProgram(*second, fresh_));

  // The file is what the second call used: an instruction changed in it comes back.
  auto text = ReadFile(FileOf(Profile()));
  ASSERT_TRUE(text) << text.error().message();
  sock_filter last{};
  std::memcpy(&last, text->data() + text->size() - sizeof(last), sizeof(last));
  last.k ^= 1;
  std::memcpy(text->data() + text->size() - sizeof(last), &last, sizeof(last));
  ASSERT_TRUE(WriteFile(FileOf(Profile()), *text, 0600));
  auto changed = BuildCached(Profile(), Dir());
  ASSERT_TRUE(changed) << changed.error().message();
  ASSERT_EQ(changed->filter.size(), fresh_.filter.size());
  EXPECT_EQ(changed->filter.back().k, fresh_.filter.back().k ^ 1);
}

TEST_F(SeccompCacheTest, EveryDifferenceOfTheProfileIsAnotherProgram) {
  std::vector<oci::Seccomp> variants(7, Profile());
  variants[0].default_errno_ret = EACCES;
  variants[1].architectures.pop_back();
  variants[2].flags.clear();
  variants[3].syscalls[1].errno_ret = EEXIST;
  variants[4].syscalls[2].args[0].value = 0;
  variants[5].syscalls[0].names.pop_back();
  // The same names split differently are still told apart.
  variants[6].syscalls[0].names = {"read", "writeexit_group", "getpid"};
  auto base = BuildCached(Profile(), Dir());
  ASSERT_TRUE(base) << base.error().message();
  for (size_t i = 0; i < variants.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_NE(CacheFileName(variants[i]), CacheFileName(Profile()));
    auto cached = BuildCached(variants[i], Dir());
    ASSERT_TRUE(cached) << cached.error().message();
    auto fresh = Build(variants[i]);
    ASSERT_TRUE(fresh) << fresh.error().message();
    EXPECT_TRUE(SameProgram(*cached, *fresh));
  }
  EXPECT_EQ(Entries(Dir()).size(), variants.size() + 1);
}

TEST_F(SeccompCacheTest, AFileOfAnotherProfileOrABrokenOneIsReplaced) {
  oci::Seccomp other = Profile();
  other.syscalls[1].errno_ret = EEXIST;
  auto other_program = BuildCached(other, Dir());
  ASSERT_TRUE(other_program) << other_program.error().message();
  ASSERT_FALSE(SameProgram(*other_program, fresh_));
  auto other_text = ReadFile(FileOf(other));
  ASSERT_TRUE(other_text);

  // Under this profile's name, as if the names of the two collided: not used, and replaced.
  ASSERT_TRUE(WriteFile(FileOf(Profile()), *other_text, 0600));
  auto cached = BuildCached(Profile(), Dir());
  ASSERT_TRUE(cached) << cached.error().message();
  EXPECT_TRUE(SameProgram(*cached, fresh_));
  EXPECT_NE(*ReadFile(FileOf(Profile())), *other_text);

  const std::string whole = *ReadFile(FileOf(Profile()));
  for (const std::string& broken : {std::string(), whole.substr(0, 20), whole.substr(0, 100),
                                    whole.substr(0, whole.size() - 1), "x" + whole.substr(1)}) {
    ASSERT_TRUE(WriteFile(FileOf(Profile()), broken, 0600));
    cached = BuildCached(Profile(), Dir());
    ASSERT_TRUE(cached) << cached.error().message();
    EXPECT_TRUE(SameProgram(*cached, fresh_));
    EXPECT_EQ(*ReadFile(FileOf(Profile())), whole);
  }
}

TEST_F(SeccompCacheTest, AnUnwritableCacheStillGivesTheProgram) {
  auto cached = BuildCached(Profile(), Dir() + "/missing");
  ASSERT_TRUE(cached) << cached.error().message();
  EXPECT_TRUE(SameProgram(*cached, fresh_));
}

TEST_F(SeccompCacheTest, AProfileThatDoesNotCompileFailsAsBuildDoesAndLeavesNoFile) {
  oci::Seccomp bad = Profile();
  bad.syscalls[1].action = "SCMP_ACT_FOO";
  auto cached = BuildCached(bad, Dir());
  ASSERT_FALSE(cached);
  EXPECT_EQ(cached.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(cached.error().message().find("linux.seccomp.syscalls[1].action"), std::string::npos);
  EXPECT_TRUE(Entries(Dir()).empty());
}

}  // namespace
}  // namespace berth::runtime::seccomp
