#include "registry/server/uploads.h"

#include <sys/random.h>

#include <array>
#include <cstdio>

namespace berth::registry::server {
namespace {

// NewId returns a random (version 4) UUID.
Result<std::string> NewId() {
  std::array<unsigned char, 16> raw{};
  if (getrandom(raw.data(), raw.size(), 0) != static_cast<ssize_t>(raw.size())) {
    return Fail(ErrnoNow("getrandom"));
  }
  raw[6] = static_cast<unsigned char>((raw[6] & 0x0f) | 0x40);
  raw[8] = static_cast<unsigned char>((raw[8] & 0x3f) | 0x80);
  std::string id;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id.push_back('-');
    char hex[3];
    std::snprintf(hex, sizeof(hex), "%02x", raw[i]);
    id.append(hex, 2);
  }
  return id;
}

}  // namespace

Result<std::shared_ptr<Upload>> Uploads::Start(const image::content::Store& store,
                                               const std::string& repo) {
  BERTH_ASSIGN_OR_RETURN(image::content::Writer writer, store.NewWriter());
  BERTH_ASSIGN_OR_RETURN(std::string id, NewId());
  auto upload = std::make_shared<Upload>(id, repo, std::move(writer));
  std::lock_guard lock(mu_);
  uploads_.emplace(id, upload);
  return upload;
}

std::shared_ptr<Upload> Uploads::Find(const std::string& id, const std::string& repo) {
  std::lock_guard lock(mu_);
  auto it = uploads_.find(id);
  if (it == uploads_.end() || it->second->repo != repo) return nullptr;
  return it->second;
}

void Uploads::Remove(const std::string& id) {
  std::lock_guard lock(mu_);
  uploads_.erase(id);
}

}  // namespace berth::registry::server
