#include "network/dns/testing/fake_upstream.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "network/dns/address.h"
#include "network/dns/listener.h"
#include "network/dns/message.h"

namespace berth::network::dns::testing {
namespace {

std::vector<Record> Addresses(int count) {
  std::vector<Record> records;
  for (int i = 0; i < count; ++i) {
    records.push_back(Record{kTypeA, 30, {198, 51, 100, static_cast<uint8_t>(i + 1)}});
  }
  return records;
}

}  // namespace

Result<std::unique_ptr<FakeUpstream>> FakeUpstream::Start() {
  std::unique_ptr<FakeUpstream> upstream(new FakeUpstream());
  IpAddress loopback = IpAddress::V4(127, 0, 0, 1);
  BERTH_ASSIGN_OR_RETURN(upstream->udp_, BoundSocket(SOCK_DGRAM, loopback, 0, &upstream->port_));
  uint16_t tcp_port;
  BERTH_ASSIGN_OR_RETURN(upstream->tcp_,
                         BoundSocket(SOCK_STREAM, loopback, upstream->port_, &tcp_port));
  upstream->stop_ = UniqueFd(eventfd(0, EFD_CLOEXEC));
  if (!upstream->stop_) return Fail(ErrnoNow("eventfd"));
  upstream->thread_ = std::thread([u = upstream.get()] { u->Run(); });
  return upstream;
}

FakeUpstream::~FakeUpstream() {
  uint64_t one = 1;
  if (write(stop_.get(), &one, sizeof(one)) == sizeof(one)) thread_.join();
}

std::vector<uint8_t> FakeUpstream::last_reply() {
  std::lock_guard lock(mutex_);
  return last_reply_;
}

void FakeUpstream::Run() {
  while (true) {
    pollfd fds[3] = {{stop_.get(), POLLIN, 0}, {udp_.get(), POLLIN, 0}, {tcp_.get(), POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) continue;
    if (fds[0].revents) return;
    if (fds[1].revents) ServeUdp();
    if (fds[2].revents) ServeTcp();
  }
}

void FakeUpstream::ServeUdp() {
  std::vector<uint8_t> query(65535);
  sockaddr_storage from;
  socklen_t size = sizeof(from);
  ssize_t n = recvfrom(udp_.get(), query.data(), query.size(), 0,
                       reinterpret_cast<sockaddr*>(&from), &size);
  if (n < 0) return;
  ++udp_queries_;
  bool silent = false;
  std::vector<uint8_t> reply =
      Answer(std::span(query.data(), static_cast<size_t>(n)), /*over_tcp=*/false, &silent);
  if (silent) return;
  sendto(udp_.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), size);
}

void FakeUpstream::ServeTcp() {
  UniqueFd conn(accept4(tcp_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return;
  uint8_t length[2];
  if (recv(conn.get(), length, 2, MSG_WAITALL) != 2) return;
  std::vector<uint8_t> query(static_cast<size_t>(length[0] << 8 | length[1]));
  if (recv(conn.get(), query.data(), query.size(), MSG_WAITALL) !=
      static_cast<ssize_t>(query.size())) {
    return;
  }
  ++tcp_queries_;
  bool silent = false;
  std::vector<uint8_t> reply = Answer(query, /*over_tcp=*/true, &silent);
  if (silent) return;
  std::vector<uint8_t> framed = FrameForTcp(reply);
  send(conn.get(), framed.data(), framed.size(), MSG_NOSIGNAL);
}

std::vector<uint8_t> FakeUpstream::Answer(std::span<const uint8_t> message, bool over_tcp,
                                          bool* silent) {
  Result<Query> query = ParseQuery(message);
  if (!query)
    return ErrorReply(message, RcodeFor(query.error().kind())).value_or(std::vector<uint8_t>());
  *silent = query->name == "silent.example";
  std::vector<Record> records = {Record{kTypeA, 30, {192, 0, 2, 53}}};
  if (query->name == "wide.example") records = Addresses(4);
  if (query->name == "big.example") records = Addresses(60);
  size_t limit = over_tcp ? 65535 : kClassicUdpSize;
  if (!over_tcp && (query->name == "wide.example" || query->name == "big.example")) limit = 0;
  std::vector<uint8_t> reply = EncodeReply(*query, Rcode::kNoError, records, limit);
  std::lock_guard lock(mutex_);
  last_reply_ = reply;
  return reply;
}

}  // namespace berth::network::dns::testing
