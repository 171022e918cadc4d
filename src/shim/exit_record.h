// exit.json: how a container's init process ended, written by its shim into the state directory
// once the process has exited and its output is drained, before the shim exits; read by berthd
// when the shim is gone. Written atomically (temporary file, rename), so a reader sees the whole
// record or none; not fsynced, as it lives under the exec root and a reboot ends the container
// anyway. Pure encoding plus the two file operations; thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::shim {

struct ExitRecord {
  int exit_code = 0;        // the shell's convention: 128 + signal when killed by a signal
  bool oom_killed = false;  // the container's memory cgroup recorded an OOM kill
  std::string finished_at;  // RFC 3339 with nanoseconds, UTC
};

inline constexpr std::string_view kExitRecordFile = "exit.json";

std::string EncodeExitRecord(const ExitRecord& record);
// ParseExitRecord refuses a record with missing or mistyped fields (kDataLoss).
Result<ExitRecord> ParseExitRecord(std::string_view json);

// WriteExitRecord writes STATE_DIR/exit.json atomically; ReadExitRecord reads it (kNotFound when
// the shim wrote none).
Status WriteExitRecord(const std::string& state_dir, const ExitRecord& record);
Result<ExitRecord> ReadExitRecord(const std::string& state_dir);

}  // namespace berth::shim
