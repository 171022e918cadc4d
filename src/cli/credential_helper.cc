#include "cli/credential_helper.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/child_process.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::cli {
namespace {

constexpr std::string_view kNotFound = "credentials not found in native keychain";

struct HelperOutput {
  bool ok;
  std::string out;
};

// RunHelper runs `docker-credential-<helper> <action>` with input on its stdin.
Result<HelperOutput> RunHelper(const std::string& helper, const std::string& action,
                               const std::string& input) {
  const std::string program = "docker-credential-" + helper;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return Fail(ErrnoNow("run " + program + ": pipe"));
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  // The input is a server name or one small JSON object: the pipe's buffer holds it whole.
  if (write(write_end.get(), input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
    return Fail(ErrnoNow("run " + program + ": write its input"));
  }
  write_end.Reset();
  BERTH_ASSIGN_OR_RETURN(ProgramOutput output,
                         RunForOutput({.argv = {program, action}, .stdin_fd = read_end.get()}));
  return HelperOutput{output.status.Success(), std::string(TrimSpace(output.out))};
}

Status HelperFailed(const std::string& helper, const std::string& action,
                    const HelperOutput& output) {
  return Fail(ErrorKind::kUnavailable,
              "docker-credential-" + helper + " " + action + ": " +
                  (output.out.empty() ? std::string("failed") : output.out));
}

}  // namespace

Result<std::optional<RegistryLogin>> HelperGet(const std::string& helper,
                                               const std::string& server) {
  BERTH_ASSIGN_OR_RETURN(HelperOutput output, RunHelper(helper, "get", server));
  if (!output.ok && output.out.find(kNotFound) != std::string::npos) return std::nullopt;
  if (!output.ok) return tl::unexpected(HelperFailed(helper, "get", output).error());
  nlohmann::json json = nlohmann::json::parse(output.out, nullptr, false);
  if (json.is_discarded() || !json.is_object() ||
      !json.value("Username", nlohmann::json()).is_string() ||
      !json.value("Secret", nlohmann::json()).is_string()) {
    return Fail(
        ErrorKind::kInvalidArgument,
        "docker-credential-" + helper + " get: not {\"Username\",\"Secret\"}: " + output.out);
  }
  return RegistryLogin{.username = json["Username"].get<std::string>(),
                       .password = json["Secret"].get<std::string>()};
}

Status HelperStore(const std::string& helper, const std::string& server,
                   const RegistryLogin& login) {
  const nlohmann::json input = {
      {"ServerURL", server}, {"Username", login.username}, {"Secret", login.password}};
  BERTH_ASSIGN_OR_RETURN(HelperOutput output, RunHelper(helper, "store", input.dump()));
  if (!output.ok) return HelperFailed(helper, "store", output);
  return Ok();
}

Status HelperErase(const std::string& helper, const std::string& server) {
  BERTH_ASSIGN_OR_RETURN(HelperOutput output, RunHelper(helper, "erase", server));
  if (!output.ok && output.out.find(kNotFound) != std::string::npos) {
    return Fail(ErrorKind::kNotFound, "not logged in to " + server);
  }
  if (!output.ok) return HelperFailed(helper, "erase", output);
  return Ok();
}

}  // namespace berth::cli
