// berth-shim: the monitor of one container. It creates the container in-process with the runtime
// library (so it is the parent and subreaper of the container's init), holds its stdio, writes its
// log, records its exit status in exit.json and serves the protocol of protocol.h on shim.sock.
// README.md in this folder describes the command line, the files and the protocol; it is the
// contract berthd relies on. One shim per container; single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::shim {

struct ShimOptions {
  std::string id;
  std::string bundle;
  std::string runtime_root;  // runtime::RuntimeOptions::root, or the --root of runtime_command
  // An OCI runtime binary and the arguments it takes before each command (runc's command line);
  // empty: the runtime library, in-process.
  std::vector<std::string> runtime_command;
  std::string state_dir;    // shim.pid, shim.sock, shim.log, exit.json
  bool tty = false;         // process.terminal is true: the shim holds the pty master
  bool open_stdin = false;  // the container's stdin stays open for attached clients
  bool stdin_once = false;  // close it when the first client that attached stdin ends its input
  std::string log_path;     // empty: no log
  uint64_t log_max_size = 0;
  int log_max_file = 1;
  bool systemd_cgroup = false;
  std::string seccomp_cache;  // runtime::RuntimeOptions::seccomp_cache; empty: compile each time
  bool debug = false;
};

// RunShim forks: the calling process exits 0 at once; the child starts a session, becomes a child
// subreaper, creates the container, writes the ready line ({"pid":N} or {"error":"..."}) on the
// stdout it was given, and serves until the container has exited. It returns the child's exit
// code: 0 after a container ran and exited, 1 when the container could not be created.
int RunShim(const ShimOptions& options);

// ProtectExecutable keeps the shim's binary out of reach of its containers (CVE-2019-5736: a
// container process must never open it for writing through /proc/PID/exe). Unless the binary is on
// a read-only mount already, the program re-executes itself (same argv and environment) from a
// detached read-only bind mount of its binary, or, where the kernel refuses that, from the
// runtime's sealed copy (runtime/process/sealed_exe.h), which costs the binary's size in memory
// for every shim. Call it first in main(); it returns when the binary is safe, or an error.
Status ProtectExecutable(char** argv, char** envp);

// SealExecutable opens a detached, read-only bind mount of the binary at path (an absolute path or
// /proc/self/exe). Executed through it (execveat, or /proc/self/fd/N), a program is safe as
// ProtectExecutable makes it; berthd starts every shim that way, so none executes itself twice.
Result<UniqueFd> SealExecutable(const std::string& path);

}  // namespace berth::shim
