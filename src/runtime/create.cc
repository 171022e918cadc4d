// create and run: prepare everything from the bundle (decode, validate, plan), make the cgroup and
// the state directory, launch the init process, and record the container.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/poll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <chrono>
#include <climits>
#include <cstdlib>

#include "base/child_process.h"
#include "base/file.h"
#include "base/log.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "oci/linux_names.h"
#include "oci/runtime_spec_json.h"
#include "oci/validate.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/container_internal.h"
#include "runtime/hook/hooks.h"
#include "runtime/process/launch.h"
#include "runtime/process/sync.h"
#include "runtime/terminal/console.h"
#include "sys/process.h"

namespace berth::runtime {
namespace {

struct Prepared {
  oci::Spec spec;
  std::string config_text;
  std::string bundle;
  NamespacePlan namespaces;
  CapabilitySets caps;
  std::optional<seccomp::Program> seccomp;
  cgroup::Layout layout;
};

Result<Prepared> Prepare(const RuntimeOptions& rt, const CreateOptions& options) {
  Prepared p;
  char resolved[PATH_MAX];
  std::string bundle = options.bundle.empty() ? "." : options.bundle;
  if (realpath(bundle.c_str(), resolved) == nullptr) return Fail(ErrnoNow("open bundle " + bundle));
  p.bundle = resolved;
  BERTH_ASSIGN_OR_RETURN(p.config_text, ReadFile(p.bundle + "/config.json"));
  BERTH_ASSIGN_OR_RETURN(p.spec, oci::DecodeSpec(p.config_text));
  BERTH_TRY(oci::ValidateSpec(p.spec));
  BERTH_ASSIGN_OR_RETURN(p.namespaces, PlanNamespaces(p.spec));
  BERTH_ASSIGN_OR_RETURN(p.caps, PlanProcessCapabilities(*p.spec.process));
  if (p.spec.linux && p.spec.linux->seccomp) {
    BERTH_ASSIGN_OR_RETURN(p.seccomp,
                           Annotate(BuildSeccomp(rt, *p.spec.linux->seccomp), "config.json"));
  }
  BERTH_ASSIGN_OR_RETURN(p.layout, cgroup::DetectLayout());
  return p;
}

Result<mount::RootfsPlan> PlanRootfs(const Prepared& p, const CreateOptions& options,
                                     const cgroup::Cgroup& cg) {
  mount::PlanOptions o;
  o.bundle = p.bundle;
  o.new_user_ns = p.namespaces.Creates(CLONE_NEWUSER);
  o.new_net_ns = p.namespaces.Creates(CLONE_NEWNET);
  o.new_cgroup_ns = p.namespaces.Creates(CLONE_NEWCGROUP);
  o.new_mount_ns = p.namespaces.Creates(CLONE_NEWNS);
  o.no_pivot = options.no_pivot;
  o.cgroup_v2_dir = cg.V2Path();
  o.cgroup_v1_dirs = cg.V1Paths();
  return Annotate(mount::Plan(p.spec, o), "config.json");
}

// Places a new process in its unified cgroup unless it was cloned there, and applies the
// per-process settings the runtime can set from outside: rlimits and the OOM score. (Its v1
// cgroups the process joins itself.)
Status PlaceProcess(pid_t pid, cgroup::Cgroup* cg, bool add_to_unified, const oci::Process& proc) {
  if (add_to_unified) BERTH_TRY(cg->AddToUnified(pid));
  for (const auto& limit : proc.rlimits) {
    std::optional<int> resource = oci::RlimitNumber(limit.type);
    if (!resource) return Fail(ErrorKind::kInvalidArgument, "unknown rlimit " + limit.type);
    rlimit value{limit.soft, limit.hard};
    if (prlimit(pid, static_cast<__rlimit_resource>(*resource), &value, nullptr) < 0) {
      return Fail(ErrnoNow(fmt::format("set {} to {}:{}", limit.type, limit.soft, limit.hard)));
    }
  }
  if (proc.oom_score_adj) {
    BERTH_TRY(
        WriteFile(fmt::format("/proc/{}/oom_score_adj", pid), std::to_string(*proc.oom_score_adj)));
  }
  return Ok();
}

// The device cgroup must let the container use the nodes the runtime itself creates (the default
// /dev nodes, the pty devices, linux.devices): they are allowed after the config's own rules, as
// runc does, so a config that starts with "deny all" still gets a working /dev/null.
oci::Resources WithRuntimeDevices(const oci::Spec& spec) {
  oci::Resources resources = *spec.linux->resources;
  if (resources.devices.empty()) return resources;
  auto allow = [&](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                   const char* access) {
    resources.devices.push_back(
        {.allow = true, .type = type, .major = major, .minor = minor, .access = access});
  };
  allow("c", std::nullopt, std::nullopt, "m");
  allow("b", std::nullopt, std::nullopt, "m");
  for (auto [major, minor] :
       {std::pair{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {10, 200}}) {
    allow("c", major, minor, "rwm");
  }
  allow("c", 136, std::nullopt, "rwm");
  for (const auto& d : spec.linux->devices) {
    if (d.type == "c" || d.type == "b" || d.type == "u") {
      allow(d.type == "b" ? "b" : "c", d.major, d.minor, "rwm");
    }
  }
  return resources;
}

std::string NowRfc3339() { return FormatRfc3339Nano(std::chrono::system_clock::now()); }

}  // namespace

Result<CreatedContainer> CreateContainer(const RuntimeOptions& rt, const CreateOptions& options,
                                         bool wait_on_fifo) {
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, store.CreateDir(options.id));
  CreatedContainer created;
  ScopeExit remove_dir([&] { (void)store.Remove(options.id); });
  BERTH_ASSIGN_OR_RETURN(Prepared p, Prepare(rt, options));
  log::Debug("create {}: config read and planned", options.id);
  std::string cgroups_path = p.spec.linux ? p.spec.linux->cgroups_path : "";
  BERTH_ASSIGN_OR_RETURN(cgroups_path, ResolveCgroupsPath(rt, cgroups_path, options.id));
  BERTH_ASSIGN_OR_RETURN(cgroup::Cgroup cg, cgroup::Cgroup::Create(p.layout, cgroups_path));
  ScopeExit destroy_cgroup([&] { (void)cg.Destroy(); });
  if (p.spec.linux && p.spec.linux->resources) {
    BERTH_TRY(Annotate(cg.Apply(WithRuntimeDevices(p.spec)), "apply cgroup limits"));
  }
  BERTH_TRY(WriteFile(store.ConfigPath(options.id), p.config_text, 0600));
  log::Debug("create {}: cgroup {} ready", options.id, cgroups_path);

  InitConfig init;
  init.id = options.id;
  init.bundle = p.bundle;
  init.spec = &p.spec;
  init.namespaces = p.namespaces;
  BERTH_ASSIGN_OR_RETURN(init.rootfs, PlanRootfs(p, options, cg));
  init.proc.process = &*p.spec.process;
  init.proc.caps = p.caps;
  init.proc.seccomp = p.seccomp;
  init.proc.preserve_fds = options.preserve_fds;
  UniqueFd fifo;
  if (wait_on_fifo) {
    std::string fifo_path = store.FifoPath(options.id);
    if (mkfifo(fifo_path.c_str(), 0600) < 0) return Fail(ErrnoNow("mkfifo " + fifo_path));
    // Opened for reading and writing, so neither side blocks in open(); `start` writes one byte.
    fifo.Reset(open(fifo_path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fifo) return Fail(ErrnoNow("open " + fifo_path));
    init.fifo_fd = fifo.get();
  }

  ContainerRecord record;
  record.id = options.id;
  record.bundle = p.bundle;
  record.created = NowRfc3339();
  record.owner = OwnerName();
  record.cgroup = cg.Save();
  record.annotations = p.spec.annotations;

  // The init process joins its v1 cgroups itself. CLONE_INTO_CGROUP applies only when it is
  // cloned directly; cloned by the intermediate process (namespaces joined by path), it is moved
  // into its unified cgroup by pid.
  BERTH_ASSIGN_OR_RETURN(cgroup::Cgroup::Entry entry, cg.OpenEntry());
  init.cgroup = &entry;
  const bool clone_into = !p.namespaces.NeedsIntermediate();
  LaunchHooks hooks;
  hooks.place = [&](pid_t pid) -> Status {
    BERTH_TRY(PlaceProcess(pid, &cg, !clone_into, *p.spec.process));
    log::Debug("create {}: process {} placed", options.id, pid);
    BERTH_ASSIGN_OR_RETURN(record.pid_start_time, ProcessStartTime(pid));
    record.pid = pid;
    return store.Save(record);
  };
  hooks.create_runtime = [&](pid_t pid) -> Status {
    if (!p.spec.hooks) return Ok();
    std::string state = HookStateJson(record, pid, oci::Status::kCreating);
    BERTH_TRY(RunHooks(p.spec.hooks->prestart, "prestart", state));
    return RunHooks(p.spec.hooks->create_runtime, "createRuntime", state);
  };
  hooks.console = [&](UniqueFd master) -> Status {
    if (!options.console_socket.empty()) return SendConsole(options.console_socket, master.get());
    created.console = std::move(master);
    return Ok();
  };
  BERTH_ASSIGN_OR_RETURN(Launched launched,
                         Launch(init, clone_into ? entry.v2_dir.get() : -1, hooks));
  log::Debug("create {}: init process {} created", options.id, launched.pid);
  record.ready = true;
  BERTH_TRY(store.Save(record));
  if (!options.pid_file.empty()) {
    BERTH_TRY(WriteFileAtomic(options.pid_file, std::to_string(launched.pid), 0644,
                              Lifetime::kUntilReboot));
  }
  remove_dir.Dismiss();
  destroy_cgroup.Dismiss();
  created.record = record;
  created.spec = std::move(p.spec);
  created.launched = std::move(launched);
  return created;
}

Status Create(const RuntimeOptions& rt, const CreateOptions& options) {
  return Annotate(CreateContainer(rt, options, true), "create " + options.id).map([](auto&&) {});
}

Result<int> Run(const RuntimeOptions& rt, const CreateOptions& options) {
  BERTH_ASSIGN_OR_RETURN(CreatedContainer c,
                         Annotate(CreateContainer(rt, options, false), "run " + options.id));
  // Signals that arrive while the container runs are forwarded to it rather than killing us.
  sigset_t forwarded = ForwardedSignals();
  sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  const int fd = c.launched.sync.get();
  if (int r = SendSync(fd, SyncType::kStart); r < 0) return Fail(Errno(-r, "start " + options.id));
  auto after_exec = RecvSync(fd);
  if (after_exec) {
    if (after_exec->type == SyncType::kError) {
      (void)Delete(rt, options.id, true);
      return Fail(ErrorFromSync(*after_exec).Wrap("run " + options.id));
    }
  }
  log::Debug("run {}: process started", options.id);
  RunPoststartHooks(c.spec, c.record, c.launched.pid);
  if (options.detach) {
    c.launched.pidfd.Reset();
    return 0;
  }
  BERTH_ASSIGN_OR_RETURN(ExitStatus status, WaitForeground(c.launched.pid, c.launched.pidfd.get(),
                                                           c.console.get(), forwarded));
  log::Debug("run {}: process exited with {}", options.id, status.ShellCode());
  BERTH_TRY(Delete(rt, options.id, true));
  log::Debug("run {}: deleted", options.id);
  return status.ShellCode();
}

}  // namespace berth::runtime
