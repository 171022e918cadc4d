// The content store: blobs (layers, manifests, configs) addressed by their sha256 digest.
// Layout under the root: blobs/sha256/<hex> holds committed blobs (mode 0444, never modified);
// ingest/<random> holds blobs being written. A Writer hashes while it writes, starts the
// writeback of every few MiB written (so Commit's fsync waits for the last few only), and Commit
// fsyncs, verifies size and digest, renames into blobs/ and fsyncs the directory, so a crash leaves
// a blob either whole or absent plus an ingest file that CleanIngests (run at start-up) removes.
// Thread-safety: a Store's methods may run concurrently (its only state is the root path);
// writers of the same blob may commit concurrently (the first rename wins, the others drop their
// ingest). A Writer belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::image::content {

struct Info {
  Digest digest;
  int64_t size = 0;
};

// The steps of Writer::Commit, in order, named for fault injection.
enum class CommitStep { kSynced, kVerified, kRenamed };

struct StoreOptions {
  // Called after each step of every Commit; tests use it to stop a process at a crash point.
  std::function<void(CommitStep)> after_commit_step;
};

// Writer appends to one ingest file. Destroying it before a successful Commit removes the ingest.
class Writer {
 public:
  ~Writer();
  Writer(Writer&& other) noexcept = default;
  Writer& operator=(Writer&& other) = delete;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Write appends data and hashes it.
  Status Write(std::string_view data);
  // Commit makes the written bytes the blob expected_digest. A size or digest mismatch is
  // kDataLoss and removes the ingest; an existing blob of that digest is kept. Either way the
  // writer is finished afterwards: Write and Commit return kFailedPrecondition.
  Status Commit(int64_t expected_size, const Digest& expected_digest);

  // digest finishes the hash of what was written and returns it; Write fails afterwards.
  const Digest& digest();

  int64_t offset() const { return offset_; }
  const std::string& ingest_path() const { return ingest_path_; }

 private:
  friend class Store;
  Writer(std::string blobs_dir, std::string ingest_path, UniqueFd fd,
         std::function<void(CommitStep)> hook);
  Status Finish(int64_t expected_size, const Digest& expected_digest);
  void Abort();

  std::string blobs_dir_;
  std::string ingest_path_;
  UniqueFd fd_;
  Sha256 hash_;
  std::optional<Digest> digest_;  // set once the hash is finished
  int64_t offset_ = 0;
  int64_t written_back_ = 0;  // the ingest's bytes whose writeback has been started
  std::function<void(CommitStep)> hook_;
};

class Store {
 public:
  // Create opens the store at root, creating root/blobs/sha256 and root/ingest when missing.
  static Result<Store> Create(std::string root, StoreOptions options = {});

  const std::string& root() const { return root_; }
  // BlobPath is where the blob of digest lives (whether or not it exists).
  std::string BlobPath(const Digest& digest) const;

  Result<Writer> NewWriter() const;
  Result<bool> Exists(const Digest& digest) const;
  Result<Info> Stat(const Digest& digest) const;      // kNotFound when absent
  Result<UniqueFd> Open(const Digest& digest) const;  // read-only; kNotFound when absent
  Result<std::vector<Digest>> List() const;           // sorted by hex
  Status Delete(const Digest& digest) const;          // kNotFound when absent
  // Verify re-hashes the blob: kDataLoss when its content no longer matches its digest.
  Status Verify(const Digest& digest) const;
  // CleanIngests removes every ingest file. Only for start-up: it would break running writers.
  Status CleanIngests() const;

 private:
  Store(std::string root, StoreOptions options);
  Status CheckAlgorithm(const Digest& digest) const;

  std::string root_;
  StoreOptions options_;
};

}  // namespace berth::image::content
