#include "cli/output.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using nlohmann::ordered_json;

TEST(StatsRowTest, ComputesDockersColumns) {
  ordered_json sample = ordered_json::parse(R"({
    "id": "0123456789abcdef0123", "name": "/web",
    "cpu_stats": {"cpu_usage": {"total_usage": 300}, "system_cpu_usage": 2000, "online_cpus": 2},
    "precpu_stats": {"cpu_usage": {"total_usage": 100}, "system_cpu_usage": 1000},
    "memory_stats": {"usage": 3145728, "limit": 104857600, "stats": {"inactive_file": 1048576}},
    "networks": {"eth0": {"rx_bytes": 1000, "tx_bytes": 2000}, "eth1": {"rx_bytes": 500, "tx_bytes": 0}},
    "blkio_stats": {"io_service_bytes_recursive": [{"op": "Read", "value": 4096},
                                                   {"op": "Write", "value": 8192}]},
    "pids_stats": {"current": 3}})");
  ordered_json row = StatsRow(sample, "web", true);
  EXPECT_EQ(row["ID"], "0123456789ab");
  EXPECT_EQ(row["Name"], "web");
  EXPECT_EQ(row["CPUPerc"], "40.00%");
  EXPECT_EQ(row["MemUsage"], "2MiB / 100MiB");
  EXPECT_EQ(row["MemPerc"], "2.00%");
  EXPECT_EQ(row["NetIO"], "1.5kB / 2kB");
  EXPECT_EQ(row["BlockIO"], "4.1kB / 8.19kB");
  EXPECT_EQ(row["PIDs"], "3");
}

TEST(StatsRowTest, NoPreviousSampleIsZeroCpu) {
  ordered_json row = StatsRow(ordered_json::object(), "x", true);
  EXPECT_EQ(row["CPUPerc"], "0.00%");
  EXPECT_EQ(row["MemPerc"], "0.00%");
  EXPECT_EQ(row["Name"], "--");
}

TEST(BytesSizeTest, BinaryUnits) {
  EXPECT_EQ(BytesSize(0), "0B");
  EXPECT_EQ(BytesSize(1536), "1.5KiB");
  EXPECT_EQ(BytesSize(25276510208.0), "23.54GiB");
}

}  // namespace
}  // namespace berth::cli
