#include "daemon/container/user.h"

#include <fcntl.h>

#include <algorithm>
#include <optional>

#include "base/file.h"
#include "base/strings.h"
#include "sys/fs.h"

namespace berth::daemon::container {
namespace {

struct Entry {
  std::string name;
  uint32_t id = 0;
  uint32_t gid = 0;                  // passwd only
  std::vector<std::string> members;  // group only
};

// Entries of a colon-separated file: passwd (name:x:uid:gid:...) or group (name:x:gid:members).
std::vector<Entry> ParseEntries(std::string_view text, bool passwd) {
  std::vector<Entry> entries;
  for (const std::string& line : Split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = Split(line, ':');
    if (f.size() < (passwd ? 4u : 3u)) continue;
    Result<uint64_t> id = ParseUint64(f[2]);
    if (!id || *id > UINT32_MAX) continue;
    Entry e{.name = f[0], .id = static_cast<uint32_t>(*id)};
    if (passwd) {
      Result<uint64_t> gid = ParseUint64(f[3]);
      if (!gid || *gid > UINT32_MAX) continue;
      e.gid = static_cast<uint32_t>(*gid);
    } else if (f.size() > 3 && !f[3].empty()) {
      e.members = Split(f[3], ',');
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

std::optional<uint32_t> Numeric(std::string_view s) {
  Result<uint64_t> n = ParseUint64(s);
  if (!n || *n > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(*n);
}

const Entry* Find(const std::vector<Entry>& entries, std::string_view key) {
  std::optional<uint32_t> id = Numeric(key);
  for (const Entry& e : entries) {
    if (id ? e.id == *id : e.name == key) return &e;
  }
  return nullptr;
}

Result<uint32_t> GroupId(const std::vector<Entry>& groups, std::string_view key) {
  if (std::optional<uint32_t> id = Numeric(key)) return *id;
  if (const Entry* e = Find(groups, key)) return e->id;
  return Fail(ErrorKind::kInvalidArgument,
              "unable to find group " + std::string(key) + ": no matching entries in group file");
}

Result<std::string> ReadInRoot(int root_fd, const std::string& path) {
  Result<UniqueFd> fd = sys::OpenInRoot(root_fd, path, O_RDONLY | O_CLOEXEC);
  if (!fd) {
    if (fd.error().kind() == ErrorKind::kNotFound) return std::string();
    return Fail(std::move(fd).error());
  }
  return ReadFile("/proc/self/fd/" + std::to_string(fd->get()));
}

}  // namespace

Result<oci::User> ResolveUserIn(std::string_view user, const std::vector<std::string>& group_add,
                                std::string_view passwd, std::string_view group) {
  const std::vector<Entry> users = ParseEntries(passwd, true);
  const std::vector<Entry> groups = ParseEntries(group, false);
  const size_t colon = user.find(':');
  std::string_view user_part = user.substr(0, colon);
  if (user_part.empty()) user_part = "0";
  oci::User out;
  std::string user_name;
  if (const Entry* e = Find(users, user_part)) {
    out.uid = e->id;
    out.gid = e->gid;
    user_name = e->name;
  } else if (std::optional<uint32_t> uid = Numeric(user_part)) {
    out.uid = *uid;
  } else {
    return Fail(ErrorKind::kInvalidArgument, "unable to find user " + std::string(user_part) +
                                                 ": no matching entries in passwd file");
  }
  if (colon != std::string_view::npos) {
    BERTH_ASSIGN_OR_RETURN(out.gid, GroupId(groups, user.substr(colon + 1)));
  } else if (!user_name.empty()) {
    for (const Entry& g : groups) {
      if (std::find(g.members.begin(), g.members.end(), user_name) != g.members.end() &&
          g.id != out.gid) {
        out.additional_gids.push_back(g.id);
      }
    }
  }
  for (const std::string& extra : group_add) {
    BERTH_ASSIGN_OR_RETURN(uint32_t gid, GroupId(groups, extra));
    if (std::find(out.additional_gids.begin(), out.additional_gids.end(), gid) ==
        out.additional_gids.end()) {
      out.additional_gids.push_back(gid);
    }
  }
  return out;
}

Result<oci::User> ResolveUser(const std::string& rootfs, std::string_view user,
                              const std::vector<std::string>& group_add) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd root, sys::Open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC));
  BERTH_ASSIGN_OR_RETURN(std::string passwd, ReadInRoot(root.get(), "/etc/passwd"));
  BERTH_ASSIGN_OR_RETURN(std::string group, ReadInRoot(root.get(), "/etc/group"));
  return ResolveUserIn(user, group_add, passwd, group);
}

}  // namespace berth::daemon::container
