// A DNS client for the tests: builds queries, exchanges them over UDP or TCP (with a timeout, so
// a server that never answers fails the test instead of hanging it) and reads replies.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "network/dns/address.h"
#include "network/dns/message.h"

namespace berth::network::dns::testing {

std::vector<uint8_t> MakeQuery(uint16_t id, std::string_view name, uint16_t type);

struct ReplyRecord {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> data;
};

struct Reply {
  uint16_t id = 0;
  Rcode rcode = Rcode::kNoError;
  bool truncated = false;
  bool authoritative = false;
  uint16_t questions = 0;
  std::vector<ReplyRecord> answers;
};

Result<Reply> ParseReply(std::span<const uint8_t> message);

// The A and AAAA answers of a reply as text, in order.
std::vector<std::string> AnswerAddresses(const Reply& reply);

constexpr int kExchangeTimeoutMs = 5000;

Result<std::vector<uint8_t>> ExchangeUdp(const IpAddress& server, uint16_t port,
                                         std::span<const uint8_t> query);
Result<std::vector<uint8_t>> ExchangeTcp(const IpAddress& server, uint16_t port,
                                         std::span<const uint8_t> query);

}  // namespace berth::network::dns::testing
