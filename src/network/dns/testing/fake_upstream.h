// FakeUpstream: an upstream DNS server for the tests on 127.0.0.1, UDP and TCP on one ephemeral
// port, served by a thread of its own. Every A query gets 192.0.2.53 (TTL 30) except:
// "wide.example" is truncated over UDP and has 4 addresses over TCP, "big.example" is truncated
// over UDP and has 60 addresses over TCP (more than 512 bytes), "silent.example" gets no answer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::network::dns::testing {

class FakeUpstream {
 public:
  static Result<std::unique_ptr<FakeUpstream>> Start();
  ~FakeUpstream();

  uint16_t port() const { return port_; }
  int udp_queries() const { return udp_queries_; }
  int tcp_queries() const { return tcp_queries_; }
  // The last reply sent, as sent.
  std::vector<uint8_t> last_reply();

 private:
  FakeUpstream() = default;
  void Run();
  void ServeUdp();
  void ServeTcp();
  std::vector<uint8_t> Answer(std::span<const uint8_t> query, bool over_tcp, bool* silent);

  UniqueFd udp_;
  UniqueFd tcp_;
  UniqueFd stop_;
  uint16_t port_ = 0;
  std::atomic<int> udp_queries_{0};
  std::atomic<int> tcp_queries_{0};
  std::mutex mutex_;
  std::vector<uint8_t> last_reply_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace berth::network::dns::testing
