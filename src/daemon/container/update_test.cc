#include "daemon/container/update.h"

#include <gtest/gtest.h>

namespace berth::daemon::container {
namespace {

using nlohmann::json;

TEST(UpdateTest, DecodesDockersBody) {
  Result<HostConfig> u = DecodeUpdate(json::parse(R"({
    "Memory": 134217728, "MemorySwap": -1, "MemoryReservation": 0, "NanoCpus": 1500000000,
    "CpuShares": 512, "CpusetCpus": "0", "PidsLimit": 50, "BlkioWeight": 300,
    "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}})"));
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(u->memory, 134217728);
  EXPECT_EQ(u->memory_swap, -1);
  EXPECT_EQ(u->nano_cpus, 1500000000);
  EXPECT_EQ(u->cpu_shares, 512);
  EXPECT_EQ(u->cpuset_cpus, "0");
  EXPECT_EQ(u->pids_limit, 50);
  EXPECT_EQ(u->blkio_weight, 300);
  EXPECT_EQ(u->restart_policy.name, "on-failure");
  EXPECT_EQ(u->restart_policy.maximum_retry_count, 2);
}

TEST(UpdateTest, DecodeErrorsNameTheField) {
  auto error = [](const char* body) { return DecodeUpdate(json::parse(body)).error().message(); };
  EXPECT_EQ(error(R"({"Memory": "lots"})"), "Memory: expected an integer, got string");
  EXPECT_EQ(error(R"({"Memory": 1024})"), "HostConfig.Memory: minimum memory limit allowed is 6MB");
  EXPECT_EQ(error(R"({"RestartPolicy": {"Name": "sometimes"}})"),
            "HostConfig.RestartPolicy.Name: invalid restart policy 'sometimes'");
  EXPECT_EQ(error(R"({"BlkioWeight": 5})"), "HostConfig.BlkioWeight: must be between 10 and 1000");
  EXPECT_EQ(DecodeUpdate(json::array()).error().kind(), ErrorKind::kInvalidArgument);
}

TEST(UpdateTest, MergeKeepsWhatIsNotSet) {
  HostConfig host{.restart_policy = {.name = "always"}, .cpu_shares = 100, .memory = 64 << 20};
  ASSERT_TRUE(MergeUpdate(host, HostConfig{.memory = 96 << 20}));
  EXPECT_EQ(host.memory, 96 << 20);
  // The swap limit the container had (twice its first memory limit) stays.
  EXPECT_EQ(host.memory_swap, 128 << 20);
  EXPECT_EQ(host.cpu_shares, 100);
  EXPECT_EQ(host.restart_policy.name, "always");
  ASSERT_TRUE(MergeUpdate(host, HostConfig{.restart_policy = {.name = "no"}, .pids_limit = 7}));
  EXPECT_EQ(host.restart_policy.name, "no");
  EXPECT_EQ(host.pids_limit, 7);
  EXPECT_EQ(host.memory, 96 << 20);
}

TEST(UpdateTest, MergeRefusesDockersConflicts) {
  auto refusal = [](HostConfig host, const HostConfig& update) {
    Status merged = MergeUpdate(host, update);
    EXPECT_EQ(merged.error().kind(), ErrorKind::kConflict);
    return merged.error().message();
  };
  EXPECT_EQ(refusal({.cpu_period = 50000}, {.nano_cpus = 1000000000}),
            "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
  EXPECT_EQ(refusal({.nano_cpus = 1000000000}, {.cpu_quota = 50000}),
            "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  EXPECT_EQ(refusal({.memory = 64 << 20}, {.memory = 256 << 20}),
            "Memory limit should be smaller than already set memoryswap limit, update the "
            "memoryswap at the same time");
  EXPECT_EQ(refusal({.auto_remove = true}, {.restart_policy = {.name = "always"}}),
            "Restart policy cannot be updated because AutoRemove is enabled for the container");
  // With the swap limit given too, or no swap limit at all, a larger memory limit is fine.
  HostConfig host{.memory = 64 << 20};
  EXPECT_TRUE(MergeUpdate(host, {.memory = 256 << 20, .memory_swap = 512 << 20}));
  HostConfig unlimited{.memory = 64 << 20, .memory_swap = -1};
  EXPECT_TRUE(MergeUpdate(unlimited, {.memory = 256 << 20}));
}

TEST(UpdateTest, ResourcesHoldOnlyWhatIsSet) {
  oci::Resources r = UpdateResources({.memory = 96 << 20});
  EXPECT_TRUE(r.devices.empty());
  ASSERT_TRUE(r.memory);
  EXPECT_EQ(r.memory->limit, 96 << 20);
  EXPECT_FALSE(r.memory->swap);
  EXPECT_FALSE(r.cpu);
  EXPECT_FALSE(r.pids);
  r = UpdateResources({.memory_swap = -1, .pids_limit = 0});
  ASSERT_TRUE(r.memory);
  EXPECT_FALSE(r.memory->limit);
  EXPECT_EQ(r.memory->swap, -1);
  ASSERT_TRUE(r.pids);
  EXPECT_EQ(r.pids->limit, -1);
  r = UpdateResources({.nano_cpus = 500000000});
  ASSERT_TRUE(r.cpu);
  EXPECT_EQ(r.cpu->period, 100000u);
  EXPECT_EQ(r.cpu->quota, 50000);
}

}  // namespace
}  // namespace berth::daemon::container
