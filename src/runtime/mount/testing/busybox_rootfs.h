// Test support for the mount tests: the busybox rootfs fixture (built by
// tests/fixtures/make-busybox-rootfs.sh, cached under $BERTH_BUILD_DIR/fixtures) and a temporary
// directory removed with everything in it when it goes out of scope. Not thread-safe.
#pragma once

#include <string>

#include "base/result.h"

namespace berth::runtime::mount::fixture {

// BusyboxRootfs builds the fixture if needed and returns its path. It needs the environment
// variables BERTH_SOURCE_DIR and BERTH_BUILD_DIR that every berth_test gets.
Result<std::string> BusyboxRootfs();

class TempDir {
 public:
  // Make creates a new directory under /tmp whose name starts with prefix.
  static Result<TempDir> Make(const std::string& prefix);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// CopyTree copies the contents of from into the existing directory to (cp -a).
Status CopyTree(const std::string& from, const std::string& to);

}  // namespace berth::runtime::mount::fixture
