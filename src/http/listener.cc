#include "http/listener.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "base/log.h"
#include "base/strings.h"

namespace berth::http {
namespace {

constexpr std::string_view kUnixScheme = "unix://";
constexpr std::string_view kTcpScheme = "tcp://";

Result<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Fail(ErrorKind::kInvalidArgument,
                "listen on unix socket \"" + path + "\": path empty or too long");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// RemoveStaleSocket unlinks a socket file nobody accepts on any more (a daemon that crashed);
// a socket some process still serves is kAlreadyExists, and so is a file that is not a socket.
Status RemoveStaleSocket(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Ok();
    return Fail(ErrnoNow("stat " + path));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Fail(ErrorKind::kAlreadyExists,
                "listen on " + path + ": file exists and is not a socket");
  }
  UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return Fail(ErrnoNow("create unix socket"));
  if (connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
    return Fail(ErrorKind::kAlreadyExists,
                "listen on " + path + ": another server is accepting connections there");
  }
  if (errno != ECONNREFUSED) return Fail(ErrnoNow("connect to " + path));
  log::Info("removing stale socket {}", path);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Fail(ErrnoNow("remove " + path));
  return Ok();
}

// ApplyGroup gives the socket file to a group that exists; an unknown group leaves it as it is,
// as dockerd does for its default "docker" group.
Status ApplyGroup(const std::string& path, const std::string& name) {
  if (name.empty()) return Ok();
  std::vector<char> buffer(16 << 10);
  struct group entry {};
  struct group* found = nullptr;
  int err = getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (err != 0) return Fail(Errno(err, "look up group " + name));
  if (found == nullptr) {
    log::Debug("group {} does not exist; {} keeps its group", name, path);
    return Ok();
  }
  if (chown(path.c_str(), static_cast<uid_t>(-1), found->gr_gid) != 0) {
    return Fail(ErrnoNow("chown " + path + " to group " + name));
  }
  return Ok();
}

struct HostPort {
  std::string host;  // without brackets; empty for every address
  std::string port;
};

Result<HostPort> SplitHostPort(std::string_view address, std::string_view text) {
  auto invalid = [&] {
    return Fail(ErrorKind::kInvalidArgument,
                "listen on \"" + std::string(text) + "\": want tcp://host:port");
  };
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return invalid();
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']')) return invalid();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return invalid();
  }
  Result<uint64_t> number = ParseUint64(port);
  if (!number || *number > 65535) return invalid();
  return HostPort{std::string(host), std::string(port)};
}

Result<std::string> FormatAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Fail(ErrnoNow("read the address of a listening socket"));
  }
  char host[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    return "tcp://[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(&addr);
  inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
  return "tcp://" + std::string(host) + ":" + std::to_string(ntohs(in4->sin_port));
}

Result<UniqueFd> BindTcp(const addrinfo& ai, const std::string& text) {
  UniqueFd fd(socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai.ai_protocol));
  if (!fd) return Fail(ErrnoNow("create socket for " + text));
  int one = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return Fail(ErrnoNow("set SO_REUSEADDR on " + text));
  }
  if (bind(fd.get(), ai.ai_addr, ai.ai_addrlen) != 0) return Fail(ErrnoNow("bind " + text));
  if (listen(fd.get(), SOMAXCONN) != 0) return Fail(ErrnoNow("listen on " + text));
  return fd;
}

}  // namespace

Listener::Listener(Listener&& other) noexcept
    : fd_(std::move(other.fd_)),
      address_(std::move(other.address_)),
      family_(other.family_),
      tls_(std::move(other.tls_)),
      unix_path_(std::exchange(other.unix_path_, {})),
      unix_dev_(other.unix_dev_),
      unix_ino_(other.unix_ino_) {}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::move(other.fd_);
    address_ = std::move(other.address_);
    family_ = other.family_;
    tls_ = std::move(other.tls_);
    unix_path_ = std::exchange(other.unix_path_, {});
    unix_dev_ = other.unix_dev_;
    unix_ino_ = other.unix_ino_;
  }
  return *this;
}

Listener::~Listener() { Close(); }

void Listener::Close() {
  // The socket file goes with the socket, unless another server has replaced it meanwhile.
  struct stat st {};
  if (!unix_path_.empty() && lstat(unix_path_.c_str(), &st) == 0 && st.st_dev == unix_dev_ &&
      st.st_ino == unix_ino_) {
    unlink(unix_path_.c_str());
  }
  unix_path_.clear();
  fd_.Reset();
}

Result<Listener> Listener::Open(const ListenSpec& spec) {
  if (spec.address.starts_with(kUnixScheme) && spec.tls) {
    return Fail(ErrorKind::kInvalidArgument,
                "listen on \"" + spec.address + "\": TLS is for tcp:// addresses");
  }
  if (spec.address.starts_with(kUnixScheme)) return OpenUnix(spec);
  if (spec.address.starts_with(kTcpScheme)) return OpenTcp(spec);
  return Fail(ErrorKind::kInvalidArgument,
              "listen on \"" + spec.address + "\": want unix:///path or tcp://host:port");
}

Result<Listener> Listener::OpenUnix(const ListenSpec& spec) {
  std::string path = spec.address.substr(kUnixScheme.size());
  BERTH_ASSIGN_OR_RETURN(sockaddr_un addr, UnixAddress(path));
  BERTH_TRY(RemoveStaleSocket(path, addr));
  Listener listener;
  listener.fd_.Reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener.fd_) return Fail(ErrnoNow("create unix socket"));
  if (bind(listener.fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Fail(ErrnoNow("bind " + path));
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return Fail(ErrnoNow("stat " + path));
  listener.unix_path_ = path;
  listener.unix_dev_ = st.st_dev;
  listener.unix_ino_ = st.st_ino;
  if (chmod(path.c_str(), spec.unix_mode) != 0) return Fail(ErrnoNow("chmod " + path));
  BERTH_TRY(ApplyGroup(path, spec.unix_group));
  if (listen(listener.fd_.get(), SOMAXCONN) != 0) return Fail(ErrnoNow("listen on " + path));
  listener.address_ = spec.address;
  listener.family_ = AF_UNIX;
  return listener;
}

Result<Listener> Listener::OpenTcp(const ListenSpec& spec) {
  const std::string& text = spec.address;
  BERTH_ASSIGN_OR_RETURN(HostPort hp, SplitHostPort(text.substr(kTcpScheme.size()), text));
  Listener listener;
  if (spec.tls) {
    BERTH_ASSIGN_OR_RETURN(listener.tls_,
                           Annotate(TlsContext::Server(*spec.tls), "listen on " + text));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int err =
      getaddrinfo(hp.host.empty() ? nullptr : hp.host.c_str(), hp.port.c_str(), &hints, &found);
  if (err != 0) {
    return Fail(ErrorKind::kInvalidArgument,
                "listen on \"" + text + "\": resolve host: " + gai_strerror(err));
  }
  Result<UniqueFd> fd = Fail(ErrorKind::kNotFound, "listen on " + text + ": no address");
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    fd = BindTcp(*ai, text);
    if (fd) {
      listener.family_ = ai->ai_family;
      break;
    }
  }
  freeaddrinfo(found);
  if (!fd) return Fail(std::move(fd).error());
  listener.fd_ = std::move(*fd);
  BERTH_ASSIGN_OR_RETURN(listener.address_, FormatAddress(listener.fd_.get()));
  return listener;
}

}  // namespace berth::http
