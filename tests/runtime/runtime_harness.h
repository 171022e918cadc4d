// Test harness for berth-runtime: builds (once, cached) the busybox rootfs fixture, makes bundles
// from the default spec, and runs the real berth-runtime binary with a private state root.
#pragma once

#include <string>
#include <vector>

#include "oci/runtime_spec.h"

namespace berth::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Path of the busybox rootfs fixture (built by tests/fixtures/make-busybox-rootfs.sh).
const std::string& BusyboxRootfs();

// RunCommand runs argv, feeding `input` to stdin, and collects its output.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input = "");

class Bundle {
 public:
  // A bundle in a fresh temp dir whose config is the default spec running `sh -c script`, with the
  // shared fixture as read-only root and a writable tmpfs on /tmp.
  explicit Bundle(const std::string& script);
  ~Bundle();
  oci::Spec& spec() { return spec_; }
  const std::string& dir() const { return dir_; }
  const std::string& state_root() const { return state_root_; }
  void Write();  // writes config.json from spec()
  // Runs berth-runtime --root STATE ARGS... (the bundle's config is written first).
  CommandResult Runtime(std::vector<std::string> args);
  // Runs the container in the foreground: berth-runtime run --bundle DIR ID.
  CommandResult RunContainer(const std::string& id);

 private:
  std::string dir_;
  std::string state_root_;
  oci::Spec spec_;
};

std::string RuntimeBinary();

}  // namespace berth::testing
