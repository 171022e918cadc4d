// Processes run in a running container (docker exec): planned from the container's own process
// (its capabilities, environment, user and working directory) and run by its shim.
#include <fmt/format.h>

#include "base/file.h"
#include "base/strings.h"
#include "daemon/container/shim_client.h"
#include "daemon/container/user.h"
#include "daemon/containers_internal.h"
#include "oci/linux_names.h"
#include "oci/runtime_spec_json.h"
#include "runtime/container.h"

namespace berth::daemon {

// The container's process made an exec's by runtime::ExecProcessOf.
Result<nlohmann::json> ExecProcess(const std::string& bundle, const container::ExecConfig& o) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(bundle + "/config.json"));
  BERTH_ASSIGN_OR_RETURN(oci::Spec spec, oci::DecodeSpec(text));
  runtime::ExecOptions options{.args = o.cmd, .env = o.env, .cwd = o.working_dir, .tty = o.tty};
  if (!o.user.empty()) {
    BERTH_ASSIGN_OR_RETURN(options.user, container::ResolveUser(bundle + "/rootfs", o.user, {}));
  }
  BERTH_ASSIGN_OR_RETURN(oci::Process p, runtime::ExecProcessOf(spec, options));
  if (o.privileged) {
    const std::vector<std::string>& all = oci::AllCapabilityNames();
    p.capabilities = oci::Capabilities{.bounding = all, .effective = all, .permitted = all};
  }
  return nlohmann::json::parse(oci::EncodeProcess(p));
}

std::string ExecFailureText(std::string_view message) {
  // The runtime names the container first ("exec <id>: exec: \"x\": ..."); docker's text has
  // only the cause, wrapped as runc's and containerd's errors wrap it.
  if (message.starts_with("exec ")) {
    if (size_t colon = message.find(": "); colon != std::string_view::npos) {
      message.remove_prefix(colon + 2);
    }
  }
  return fmt::format(
      "OCI runtime exec failed: exec failed: unable to start container process: {}: unknown",
      message);
}

Result<std::string> Containers::CreateExec(std::string_view ref, container::ExecConfig options) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  if (options.cmd.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "No exec command specified");
  }
  auto exec = std::make_shared<Exec>();
  {
    std::lock_guard lock(c->mu);
    if (c->record.state.status != container::ContainerStatus::kRunning) {
      return Fail(ErrorKind::kConflict,
                  fmt::format("Container {} is {}", c->record.id,
                              c->record.state.status == container::ContainerStatus::kPaused
                                  ? "paused, unpause the container before exec"
                                  : "not running"));
    }
    exec->view.container_id = c->record.id;
  }
  exec->view.id = Impl::NewId();
  exec->view.options = std::move(options);
  {
    std::lock_guard lock(c->mu);
    impl_->Emit(c->record, "exec_create: " + Join(exec->view.options.cmd, " "),
                {{"execID", exec->view.id}});
  }
  std::lock_guard lock(impl_->mu);
  impl_->execs[exec->view.id] = exec;
  return exec->view.id;
}

Result<UniqueFd> Containers::StartExec(std::string_view exec_id) {
  std::shared_ptr<Exec> exec;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->execs.find(std::string(exec_id));
    if (it == impl_->execs.end()) {
      return Fail(ErrorKind::kNotFound, "No such exec instance: " + std::string(exec_id));
    }
    exec = it->second;
    if (exec->started) {
      return Fail(ErrorKind::kConflict,
                  fmt::format("Error: Exec command {} has already run", exec_id));
    }
    exec->started = true;
  }
  const std::string bundle = impl_->ExecDir(exec->view.container_id);
  BERTH_ASSIGN_OR_RETURN(nlohmann::json process, ExecProcess(bundle, exec->view.options));
  nlohmann::json answer;
  BERTH_ASSIGN_OR_RETURN(
      UniqueFd conn,
      container::ShimRequest(bundle,
                             shim::ExecRequest{.process = std::move(process),
                                               .use_stdin = exec->view.options.attach_stdin},
                             &answer));
  if (auto c = impl_->Find(exec->view.container_id)) {
    std::lock_guard lock((*c)->mu);
    impl_->Emit((*c)->record, "exec_start: " + Join(exec->view.options.cmd, " "),
                {{"execID", exec->view.id}});
  }
  std::lock_guard lock(impl_->mu);
  exec->view.running = true;
  exec->view.pid = answer.value("pid", 0);
  return conn;
}

void Containers::FinishExec(std::string_view exec_id, std::optional<int> exit_code) {
  std::string container_id;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->execs.find(std::string(exec_id));
    if (it == impl_->execs.end()) return;
    it->second->view.running = false;
    it->second->view.exit_code = exit_code;
    container_id = it->second->view.container_id;
  }
  if (auto c = impl_->Find(container_id)) {
    std::lock_guard lock((*c)->mu);
    impl_->Emit((*c)->record, "exec_die",
                {{"execID", std::string(exec_id)},
                 {"exitCode", exit_code ? std::to_string(*exit_code) : ""}});
  }
}

void Containers::DetachExec(std::string_view exec_id, UniqueFd connection,
                            std::function<std::optional<int>(int fd)> drain) {
  std::lock_guard lock(impl_->mu);
  impl_->drain_fds.push_back(connection.get());
  impl_->drains.emplace_back(
      [this, id = std::string(exec_id), conn = std::move(connection), drain = std::move(drain)] {
        FinishExec(id, drain(conn.get()));
        std::lock_guard relock(impl_->mu);
        std::erase(impl_->drain_fds, conn.get());
      });
}

Result<ExecView> Containers::InspectExec(std::string_view exec_id) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->execs.find(std::string(exec_id));
  if (it == impl_->execs.end()) {
    return Fail(ErrorKind::kNotFound, "No such exec instance: " + std::string(exec_id));
  }
  return it->second->view;
}

Status Containers::ResizeExec(std::string_view exec_id, int height, int width) {
  BERTH_ASSIGN_OR_RETURN(ExecView view, InspectExec(exec_id));
  if (!view.running) {
    return Fail(ErrorKind::kConflict, "exec " + std::string(exec_id) + " is not running");
  }
  BERTH_ASSIGN_OR_RETURN(shim::ResizeRequest request, ResizeOf(height, width, view.pid));
  return container::ShimRequest(impl_->ExecDir(view.container_id), request).map([](auto&&) {});
}

}  // namespace berth::daemon
