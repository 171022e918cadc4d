// libFuzzer target for what the embedded DNS server reads from containers: each input is one
// message as received over UDP. ParseQuery must refuse it with one of its documented kinds or
// return a query whose question is no longer than a name allows; a Responder (over a small fixed
// Lookup) must reply, forward or drop, and a reply must be a response with the query's id that fits
// the size the client allows. Corpus: fuzz_corpus/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "network/dns/message.h"
#include "network/dns/responder.h"

namespace {

namespace dns = berth::network::dns;
using berth::ErrorKind;

[[noreturn]] void Abort(const std::string& what) {
  std::fprintf(stderr, "dns message fuzz: %s\n", what.c_str());
  std::abort();
}

dns::Lookup FixedLookup() {
  dns::Lookup lookup;
  lookup.addresses = [](std::string_view name) -> std::vector<dns::IpAddress> {
    if (name == "web") return {dns::IpAddress::V4(10, 0, 0, 2), dns::IpAddress::V4(10, 0, 0, 3)};
    return {};
  };
  lookup.name = [](const dns::IpAddress& address) -> std::string {
    return address == dns::IpAddress::V4(10, 0, 0, 2) ? "web.net" : "";
  };
  return lookup;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> message(data, size);
  berth::Result<dns::Query> query = dns::ParseQuery(message);
  if (!query) {
    ErrorKind kind = query.error().kind();
    if (kind != ErrorKind::kInvalidArgument && kind != ErrorKind::kNotImplemented &&
        kind != ErrorKind::kFailedPrecondition) {
      Abort("ParseQuery failed with an undocumented kind");
    }
  } else if (query->question.size() > dns::kMaxNameSize + 4) {
    // Compression can make the name longer than the input, never longer than a name can be.
    Abort("question larger than a name can be");
  }
  static dns::Responder responder(FixedLookup(), {"corp.example"});
  dns::Answer answer = responder.Respond(message, /*over_tcp=*/false);
  if (answer.action == dns::Answer::Action::kReply) {
    if (answer.reply.size() < dns::kHeaderSize || !dns::IsResponse(answer.reply) ||
        dns::MessageId(answer.reply) != dns::MessageId(message)) {
      Abort("reply without a response header of the query's id");
    }
    if (query && answer.reply.size() > query->udp_size) Abort("reply larger than the client takes");
  } else if (answer.action == dns::Answer::Action::kForward && !query) {
    Abort("forwarding a message that is no query");
  }
  return 0;
}
