// libFuzzer target for Apply: each input is a layer blob (any bytes), applied into an empty
// directory in overlay mode and then again over the result in apply mode. Beside that directory
// lies a sentinel directory; the target aborts if anything but the layer directory and the
// untouched sentinel is found there afterwards, i.e. if an input wrote or linked outside the
// layer. Errors from Apply are expected and ignored. Corpus: apply_fuzz_corpus/.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "base/file.h"
#include "base/unique_fd.h"
#include "image/layer/apply.h"

namespace {

namespace layer = berth::image::layer;

constexpr std::string_view kSentinel = "root:x:0:0:root:/root:/bin/sh\n";

struct Sandbox {
  std::string base;
  std::string root;
  std::string outside;
};

// MakeSandbox makes a fresh sandbox for one input (libFuzzer may end the process without running
// exit handlers, so nothing is left to clean up at exit).
Sandbox MakeSandbox() {
  std::string templ = std::filesystem::temp_directory_path().string() + "/apply-fuzz-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) std::abort();
  Sandbox s{templ, templ + "/root", templ + "/outside"};
  if (!berth::MakeDirs(s.root) || !berth::MakeDirs(s.outside) ||
      !berth::WriteFile(s.outside + "/passwd", kSentinel)) {
    std::abort();
  }
  return s;
}

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "layer apply fuzz: %s\n", what);
  std::abort();
}

void CheckOutsideUntouched(const Sandbox& s) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(s.base)) {
    names.insert(e.path().filename());
  }
  Check(names == std::set<std::string>{"outside", "root"}, "an entry was written beside the layer");
  names.clear();
  for (const auto& e : std::filesystem::directory_iterator(s.outside)) {
    names.insert(e.path().filename());
  }
  Check(names == std::set<std::string>{"passwd"}, "an entry was written into the sentinel");
  auto data = berth::ReadFile(s.outside + "/passwd");
  Check(data && *data == kSentinel, "the sentinel file changed");
  Check(std::filesystem::hard_link_count(s.outside + "/passwd") == 1, "the sentinel was linked");
}

void ApplyOnce(const uint8_t* data, size_t size, const std::string& dir, layer::WhiteoutMode mode) {
  berth::UniqueFd fd(memfd_create("layer", MFD_CLOEXEC));
  Check(fd.valid(), "memfd_create");
  Check(size == 0 || write(fd.get(), data, size) == static_cast<ssize_t>(size), "write memfd");
  Check(lseek(fd.get(), 0, SEEK_SET) == 0, "seek memfd");
  layer::ApplyOptions options;
  options.whiteouts = mode;
  options.same_owner = geteuid() == 0;
  (void)layer::Apply(fd.get(), dir, options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Sandbox s = MakeSandbox();
  ApplyOnce(data, size, s.root, layer::WhiteoutMode::kOverlay);
  ApplyOnce(data, size, s.root, layer::WhiteoutMode::kApply);
  CheckOutsideUntouched(s);
  // Modes like 0000 on directories don't stop root; as another user, make the tree removable.
  if (geteuid() != 0) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(
             s.root, std::filesystem::directory_options::skip_permission_denied)) {
      std::error_code ec;
      if (e.is_directory(ec) && !e.is_symlink(ec)) {
        std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
      }
    }
  }
  Check(static_cast<bool>(berth::RemoveAll(s.base)), "remove the sandbox");
  return 0;
}
