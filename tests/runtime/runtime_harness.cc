#include "runtime_harness.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/child_process.h"
#include "base/file.h"
#include "base/unique_fd.h"
#include "oci/defaults.h"
#include "oci/runtime_spec_json.h"

namespace berth::testing {
namespace {

// The harness cannot go on without its fixtures: stop the test binary with the reason.
[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "runtime harness: %s\n", why.c_str());
  std::abort();
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) Die(std::string(name) + " is not set");
  return v;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp");
  return tmpl;
}

}  // namespace

std::string RuntimeBinary() {
  return Env("BERTH_BUILD_DIR") + "/src/cmd/berth-runtime/berth-runtime";
}

const std::string& BusyboxRootfs() {
  static const std::string path = [] {
    std::string dir = Env("BERTH_BUILD_DIR") + "/fixtures/busybox-rootfs";
    CommandResult r = RunCommand(
        {"bash", Env("BERTH_SOURCE_DIR") + "/tests/fixtures/make-busybox-rootfs.sh", dir});
    if (r.exit_code != 0) Die("make busybox rootfs: " + r.err);
    return dir;
  }();
  return path;
}

// Output goes to memory files rather than pipes: a detached container inherits the runtime's
// stdio and would hold a pipe open long after the command returned.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input) {
  UniqueFd in(memfd_create("stdin", MFD_CLOEXEC));
  UniqueFd out(memfd_create("stdout", MFD_CLOEXEC));
  UniqueFd err(memfd_create("stderr", MFD_CLOEXEC));
  if (!in || !out || !err) Die("memfd_create");
  if (write(in.get(), input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
    Die("write stdin");
  }
  lseek(in.get(), 0, SEEK_SET);
  auto child = ChildProcess::Spawn(
      {.argv = argv, .stdin_fd = in.get(), .stdout_fd = out.get(), .stderr_fd = err.get()});
  if (!child) Die(child.error().message());
  auto status = child->Wait();
  CommandResult result;
  result.exit_code = status ? status->ShellCode() : -1;
  auto slurp = [](int fd) {
    std::string text;
    char buf[4096];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
    return text;
  };
  result.out = slurp(out.get());
  result.err = slurp(err.get());
  return result;
}

Bundle::Bundle(const std::string& script) {
  dir_ = MakeTempDir("berth-bundle");
  state_root_ = MakeTempDir("berth-state");
  spec_ = oci::DefaultSpec(false);
  spec_.root->path = BusyboxRootfs();
  spec_.root->readonly = true;
  spec_.process->terminal = false;
  spec_.process->args = {"sh", "-c", script};
  spec_.mounts.push_back({.destination = "/tmp",
                          .type = "tmpfs",
                          .source = "tmpfs",
                          .options = {"nosuid", "nodev", "mode=1777"}});
}

Bundle::~Bundle() {
  // Whatever a failed test left behind is removed through the runtime itself.
  RunCommand({RuntimeBinary(), "--root", state_root_, "list", "-q"});
  for (const auto& entry : std::filesystem::directory_iterator(state_root_)) {
    RunCommand({RuntimeBinary(), "--root", state_root_, "delete", "--force",
                entry.path().filename().string()});
  }
  std::filesystem::remove_all(dir_);
  std::filesystem::remove_all(state_root_);
}

void Bundle::Write() {
  if (!WriteFile(dir_ + "/config.json", oci::EncodeSpec(spec_))) {
    Die("write config.json");
  }
}

CommandResult Bundle::Runtime(std::vector<std::string> args) {
  Write();
  args.insert(args.begin(), {RuntimeBinary(), "--root", state_root_});
  return RunCommand(args);
}

CommandResult Bundle::RunContainer(const std::string& id) {
  return Runtime({"run", "--bundle", dir_, id});
}

}  // namespace berth::testing
