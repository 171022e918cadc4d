#include "network/dns/testing/dns_client.h"

#include <poll.h>
#include <sys/socket.h>

#include "base/unique_fd.h"

namespace berth::network::dns::testing {
namespace {

uint16_t Read16(std::span<const uint8_t> m, size_t at) {
  return static_cast<uint16_t>(m[at] << 8 | m[at + 1]);
}

// SkipName returns the offset after the name at `at` (compressed or not).
Result<size_t> SkipName(std::span<const uint8_t> m, size_t at) {
  while (at < m.size()) {
    if ((m[at] & 0xc0) == 0xc0) return at + 2;
    if (m[at] == 0) return at + 1;
    at += 1 + m[at];
  }
  return Fail(ErrorKind::kInvalidArgument, "reply name runs past the end");
}

Status WaitReadable(int fd) {
  pollfd p{fd, POLLIN, 0};
  int n = poll(&p, 1, kExchangeTimeoutMs);
  if (n < 0) return Fail(ErrnoNow("poll"));
  if (n == 0) return Fail(ErrorKind::kDeadlineExceeded, "no dns reply in time");
  return Ok();
}

Result<UniqueFd> Connected(int type, const IpAddress& server, uint16_t port) {
  UniqueFd fd(socket(server.v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0));
  if (!fd) return Fail(ErrnoNow("socket"));
  sockaddr_storage addr;
  socklen_t size = ToSocketAddress(server, port, &addr);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), size) != 0) {
    return Fail(ErrnoNow("connect to " + server.ToString()));
  }
  return fd;
}

Status ReadFull(int fd, uint8_t* out, size_t size) {
  while (size > 0) {
    BERTH_TRY(WaitReadable(fd));
    ssize_t n = recv(fd, out, size, 0);
    if (n < 0) return Fail(ErrnoNow("recv"));
    if (n == 0) return Fail(ErrorKind::kDataLoss, "server closed the connection");
    out += n;
    size -= static_cast<size_t>(n);
  }
  return Ok();
}

}  // namespace

std::vector<uint8_t> MakeQuery(uint16_t id, std::string_view name, uint16_t type) {
  std::vector<uint8_t> m = {static_cast<uint8_t>(id >> 8),
                            static_cast<uint8_t>(id & 0xff),
                            0x01,
                            0x00,
                            0,
                            1,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0};
  std::vector<uint8_t> wire = EncodeName(name).value();
  m.insert(m.end(), wire.begin(), wire.end());
  m.insert(m.end(), {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type & 0xff), 0, 1});
  return m;
}

Result<Reply> ParseReply(std::span<const uint8_t> m) {
  if (m.size() < kHeaderSize) return Fail(ErrorKind::kInvalidArgument, "reply too short");
  Reply reply;
  reply.id = Read16(m, 0);
  reply.rcode = static_cast<Rcode>(m[3] & 0x0f);
  reply.truncated = m[2] & 0x02;
  reply.authoritative = m[2] & 0x04;
  reply.questions = Read16(m, 4);
  size_t at = kHeaderSize;
  for (uint16_t i = 0; i < reply.questions; ++i) {
    BERTH_ASSIGN_OR_RETURN(at, SkipName(m, at));
    at += 4;
  }
  for (uint16_t i = 0; i < Read16(m, 6); ++i) {
    BERTH_ASSIGN_OR_RETURN(at, SkipName(m, at));
    if (at + 10 > m.size()) return Fail(ErrorKind::kInvalidArgument, "answer cut short");
    ReplyRecord record;
    record.type = Read16(m, at);
    record.ttl = static_cast<uint32_t>(Read16(m, at + 4)) << 16 | Read16(m, at + 6);
    size_t size = Read16(m, at + 8);
    if (at + 10 + size > m.size()) return Fail(ErrorKind::kInvalidArgument, "data cut short");
    record.data.assign(m.begin() + static_cast<ptrdiff_t>(at + 10),
                       m.begin() + static_cast<ptrdiff_t>(at + 10 + size));
    reply.answers.push_back(std::move(record));
    at += 10 + size;
  }
  return reply;
}

std::vector<std::string> AnswerAddresses(const Reply& reply) {
  std::vector<std::string> out;
  for (const ReplyRecord& record : reply.answers) {
    if ((record.type != kTypeA || record.data.size() != 4) &&
        (record.type != kTypeAaaa || record.data.size() != 16)) {
      continue;
    }
    IpAddress address;
    address.v6 = record.type == kTypeAaaa;
    std::copy(record.data.begin(), record.data.end(), address.bytes.begin());
    out.push_back(address.ToString());
  }
  return out;
}

Result<std::vector<uint8_t>> ExchangeUdp(const IpAddress& server, uint16_t port,
                                         std::span<const uint8_t> query) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, Connected(SOCK_DGRAM, server, port));
  if (send(fd.get(), query.data(), query.size(), 0) < 0) return Fail(ErrnoNow("send"));
  BERTH_TRY(WaitReadable(fd.get()));
  std::vector<uint8_t> reply(65535);
  ssize_t n = recv(fd.get(), reply.data(), reply.size(), 0);
  if (n < 0) return Fail(ErrnoNow("recv"));
  reply.resize(static_cast<size_t>(n));
  return reply;
}

Result<std::vector<uint8_t>> ExchangeTcp(const IpAddress& server, uint16_t port,
                                         std::span<const uint8_t> query) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, Connected(SOCK_STREAM, server, port));
  std::vector<uint8_t> framed = FrameForTcp(query);
  if (send(fd.get(), framed.data(), framed.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(framed.size())) {
    return Fail(ErrnoNow("send"));
  }
  uint8_t length[2];
  BERTH_TRY(ReadFull(fd.get(), length, 2));
  std::vector<uint8_t> reply(static_cast<size_t>(length[0] << 8 | length[1]));
  BERTH_TRY(ReadFull(fd.get(), reply.data(), reply.size()));
  return reply;
}

}  // namespace berth::network::dns::testing
