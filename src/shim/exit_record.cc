#include "shim/exit_record.h"

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace berth::shim {

using nlohmann::json;

std::string EncodeExitRecord(const ExitRecord& record) {
  return json{{"exit_code", record.exit_code},
              {"oom_killed", record.oom_killed},
              {"finished_at", record.finished_at}}
             .dump() +
         "\n";
}

Result<ExitRecord> ParseExitRecord(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorKind::kDataLoss, "exit record: not a JSON object");
  }
  auto code = j.find("exit_code");
  auto oom = j.find("oom_killed");
  auto at = j.find("finished_at");
  if (code == j.end() || !code->is_number_integer()) {
    return Fail(ErrorKind::kDataLoss, "exit record: \"exit_code\" missing or not an integer");
  }
  if (oom == j.end() || !oom->is_boolean()) {
    return Fail(ErrorKind::kDataLoss, "exit record: \"oom_killed\" missing or not a boolean");
  }
  if (at == j.end() || !at->is_string()) {
    return Fail(ErrorKind::kDataLoss, "exit record: \"finished_at\" missing or not a string");
  }
  return ExitRecord{.exit_code = code->get<int>(),
                    .oom_killed = oom->get<bool>(),
                    .finished_at = at->get<std::string>()};
}

Status WriteExitRecord(const std::string& state_dir, const ExitRecord& record) {
  return WriteFileAtomic(state_dir + "/" + std::string(kExitRecordFile), EncodeExitRecord(record),
                         0644, Lifetime::kUntilReboot);
}

Result<ExitRecord> ReadExitRecord(const std::string& state_dir) {
  const std::string path = state_dir + "/" + std::string(kExitRecordFile);
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return Annotate(ParseExitRecord(text), path);
}

}  // namespace berth::shim
