// Responder answers the queries of one network namespace from its Lookup: the names of the
// containers on its networks (docker's container names, network aliases, compose service names)
// and the reverse (PTR) names of their addresses. Names it does not know are left to be
// forwarded. Pure apart from the Lookup it calls; one Responder per namespace, used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "network/dns/address.h"
#include "network/dns/message.h"

namespace berth::network::dns {

// The TTL of local answers, docker's.
constexpr uint32_t kLocalTtlSeconds = 600;

// Lookup is what one namespace can resolve; the daemon answers from the container's networks.
// Both are called on the server's thread and must not block.
struct Lookup {
  // The addresses of a name (ASCII lowercase, no trailing dot), of both families; empty when the
  // networks do not know the name.
  std::function<std::vector<IpAddress>(std::string_view name)> addresses;
  // The name of an address for PTR queries, "" when unknown. May be left empty (no PTR answers).
  std::function<std::string(const IpAddress& address)> name;
};

// NameMatches says whether the name a Lookup is asked (lowercase) is name, in whatever case the
// networks keep it: DNS names ignore ASCII case.
bool NameMatches(std::string_view asked, std::string_view name);

// What to do with one received message.
struct Answer {
  enum class Action { kReply, kForward, kDrop };
  Action action = Action::kDrop;
  std::vector<uint8_t> reply;  // kReply: the reply
  Query query;                 // kForward: the query, for a SERVFAIL when no upstream answers
};

class Responder {
 public:
  // search_domains: the search domains of the namespace's resolv.conf, stripped from names.
  Responder(Lookup lookup, std::vector<std::string> search_domains);

  // Respond decides on one message. over_tcp: the reply may be as large as TCP allows; otherwise
  // it is cut to the client's UDP size (and marked truncated).
  Answer Respond(std::span<const uint8_t> message, bool over_tcp);

 private:
  std::vector<Record> AddressRecords(const Query& query, bool* known);
  std::vector<Record> PointerRecords(const Query& query);
  void Rotate(const std::string& name, std::vector<Record>& records);

  Lookup lookup_;
  std::vector<std::string> search_domains_;
  // Round robin: how often each name with several addresses has been answered.
  std::unordered_map<std::string, uint32_t> rotation_;
};

// ReverseName parses an in-addr.arpa or ip6.arpa name (RFC 1035 3.5, RFC 3596 2.5), lowercase and
// without trailing dot, into the address it names.
std::optional<IpAddress> ReverseName(std::string_view name);

}  // namespace berth::network::dns
