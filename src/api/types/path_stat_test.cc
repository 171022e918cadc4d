#include "api/types/path_stat.h"

#include <gtest/gtest.h>

#include "base/strings.h"

namespace berth::api::types {
namespace {

TEST(PathStat, EncodesDockersJsonInBase64) {
  ContainerPathStat stat{.name = "etc",
                         .size = 4096,
                         .mode = 2147484141u,
                         .mtime = "2024-01-02T03:04:05.5Z",
                         .link_target = ""};
  const std::string header = EncodePathStat(stat);
  EXPECT_EQ(*Base64Decode(header),
            R"({"name":"etc","size":4096,"mode":2147484141,"mtime":"2024-01-02T03:04:05.5Z",)"
            R"("linkTarget":""})");
  EXPECT_EQ(*DecodePathStat(header), stat);
}

TEST(PathStat, DecodeRefusesWhatIsNoStat) {
  EXPECT_FALSE(DecodePathStat("not base64!"));
  EXPECT_FALSE(DecodePathStat(Base64Encode("[1,2]")));
  // docker's own header for a symlink decodes.
  Result<ContainerPathStat> link = DecodePathStat(
      Base64Encode(R"({"name":"sh","size":7,"mode":134218239,"mtime":"2024-05-01T10:00:00+02:00",)"
                   R"("linkTarget":"/bin/busybox"})"));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->mode, 134218239u);
  EXPECT_EQ(link->link_target, "/bin/busybox");
}

}  // namespace
}  // namespace berth::api::types
