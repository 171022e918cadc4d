// berth-layer-apply: extracts layer blobs with image/layer's Apply, for bench/layer_extract.sh.
//   berth-layer-apply [--mode overlay|apply] [--parallel N] [--quiet] BLOB:DIR...
// Each BLOB (a tar, plain, gzip or zstd) goes into its own existing DIR; with several pairs they
// are extracted with ApplyParallel, N at once (default: all). Prints one line per layer.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "image/layer/apply.h"

namespace {

namespace layer = berth::image::layer;

int Usage() {
  std::fprintf(stderr,
               "usage: berth-layer-apply [--mode overlay|apply] [--parallel N] [--quiet] "
               "BLOB:DIR...\n");
  return 2;
}

int Run(int argc, char** argv) {
  layer::ApplyOptions options;
  size_t parallel = 0;
  bool quiet = false;
  std::vector<std::string> pairs;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--mode" && i + 1 < argc) {
      std::string_view mode = argv[++i];
      if (mode != "overlay" && mode != "apply") return Usage();
      options.whiteouts =
          mode == "overlay" ? layer::WhiteoutMode::kOverlay : layer::WhiteoutMode::kApply;
    } else if (arg == "--parallel" && i + 1 < argc) {
      auto n = berth::ParseUint64(argv[++i]);
      if (!n || *n == 0) return Usage();
      parallel = *n;
    } else if (arg == "--quiet") {
      quiet = true;
    } else if (arg.find(':') != std::string_view::npos && !arg.starts_with("-")) {
      pairs.emplace_back(arg);
    } else {
      return Usage();
    }
  }
  if (pairs.empty()) return Usage();
  std::vector<berth::UniqueFd> fds;
  std::vector<layer::LayerJob> jobs;
  for (const std::string& pair : pairs) {
    size_t colon = pair.find(':');
    std::string blob = pair.substr(0, colon);
    int fd = open(blob.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "open %s: %s\n", blob.c_str(), std::strerror(errno));
      return 1;
    }
    fds.emplace_back(fd);
    jobs.push_back({fd, pair.substr(colon + 1), options});
  }
  auto results = layer::ApplyParallel(jobs, parallel == 0 ? jobs.size() : parallel);
  int rc = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i]) {
      std::fprintf(stderr, "%s: %s\n", pairs[i].c_str(), results[i].error().message().c_str());
      rc = 1;
      continue;
    }
    if (quiet) continue;
    const layer::ApplyResult& r = *results[i];
    std::printf("%s %s %s diff_id=%s size=%lld compressed=%lld entries=%lld\n", pairs[i].c_str(),
                std::string(layer::CompressionName(r.compression)).c_str(),
                r.digest.String().c_str(), r.diff_id.String().c_str(),
                static_cast<long long>(r.size), static_cast<long long>(r.compressed_size),
                static_cast<long long>(r.entries));
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
