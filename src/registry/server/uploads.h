// Blob uploads in progress: each has a random id, the repository it is for and a writer into the
// content store's ingest. An upload lives in memory only: a restarted server forgets it (its
// client starts again) and the store's start-up cleaning removes its ingest file, so a partial
// blob is never visible. Thread-safety: Uploads is safe from any thread; one Upload is used by one
// request at a time (its mutex).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/result.h"
#include "image/content/store.h"

namespace berth::registry::server {

struct Upload {
  Upload(std::string upload_id, std::string upload_repo, image::content::Writer upload_writer)
      : id(std::move(upload_id)), repo(std::move(upload_repo)), writer(std::move(upload_writer)) {}
  const std::string id;
  const std::string repo;
  std::mutex mu;  // held by the request that writes or finishes the upload
  image::content::Writer writer;
};

class Uploads {
 public:
  // Start opens a new upload into repo.
  Result<std::shared_ptr<Upload>> Start(const image::content::Store& store,
                                        const std::string& repo);
  // Find returns the upload of that id into repo, or nullptr.
  std::shared_ptr<Upload> Find(const std::string& id, const std::string& repo);
  // Remove forgets an upload (its ingest goes with its writer once no request holds it).
  void Remove(const std::string& id);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Upload>> uploads_;
};

}  // namespace berth::registry::server
