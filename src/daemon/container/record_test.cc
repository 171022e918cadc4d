#include "daemon/container/record.h"

#include <gtest/gtest.h>

namespace berth::daemon::container {
namespace {

TEST(RecordTest, HealthRoundTrips) {
  Record r{.id = std::string(64, 'a'),
           .name = "/web",
           .created = "2026-01-01T00:00:00Z",
           .image_id = "sha256:" + std::string(64, 'b')};
  Result<Record> plain = DecodeRecord(EncodeRecord(r));
  ASSERT_TRUE(plain) << plain.error().message();
  EXPECT_FALSE(plain->state.health);
  r.state.health = Health{.status = HealthStatus::kUnhealthy,
                          .failing_streak = 2,
                          .log = {{.start = "s", .end = "e", .exit_code = -1, .output = "x\n"}}};
  Result<Record> decoded = DecodeRecord(EncodeRecord(r));
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->state.health, r.state.health);
  EXPECT_EQ(HealthJson(*r.state.health).dump(),
            R"({"Status":"unhealthy","FailingStreak":2,"Log":[{"Start":"s","End":"e",)"
            R"("ExitCode":-1,"Output":"x\n"}]})");
  Result<Record> bad = DecodeRecord(R"({"Id":"a","Name":"/a","Created":"c","Image":"i",
    "Config":{},"HostConfig":{},"State":{"Status":"running","Health":{"Status":"dizzy"}}})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("unknown health status \"dizzy\""), std::string::npos)
      << bad.error().message();
}

TEST(RecordTest, MountPointsRoundTrip) {
  Record r{.id = std::string(64, 'a'),
           .name = "/db",
           .created = "2026-01-01T00:00:00Z",
           .image_id = "sha256:" + std::string(64, 'b')};
  r.mount_points = {{.type = "volume",
                     .name = "data",
                     .source = "/v/data/_data",
                     .destination = "/data",
                     .driver = "local",
                     .mode = "z",
                     .copy_data = true,
                     .anonymous = true,
                     .volume_options = {{"type", "tmpfs"}},
                     .volume_labels = {{"a", "b"}}},
                    {.type = "bind",
                     .source = "/srv",
                     .destination = "/srv",
                     .rw = false,
                     .propagation = "rprivate",
                     .non_recursive = true,
                     .from_binds = true}};
  Result<Record> decoded = DecodeRecord(EncodeRecord(r));
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->mount_points, r.mount_points);
}

}  // namespace
}  // namespace berth::daemon::container
