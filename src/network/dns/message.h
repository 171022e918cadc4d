// DNS messages (RFC 1035 section 4) as the embedded server reads and writes them: queries from
// stub resolvers (one question, and an EDNS0 OPT record, RFC 6891, for the client's UDP size) and
// the answers to them. Replies of upstream servers are relayed as bytes and only their header is
// touched. Pure functions over byte spans; thread-safe; never trust the input.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::network::dns {

// Record types and the one class the server answers (RFC 1035 3.2.2, RFC 3596, RFC 6891).
constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypePtr = 12;
constexpr uint16_t kTypeAaaa = 28;
constexpr uint16_t kTypeOpt = 41;
constexpr uint16_t kClassIn = 1;

enum class Rcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};

constexpr size_t kHeaderSize = 12;
// The largest UDP message a client without EDNS0 accepts (RFC 1035 4.2.1).
constexpr size_t kClassicUdpSize = 512;
// A name is at most 255 bytes in wire form, a label at most 63 (RFC 1035 2.3.4).
constexpr size_t kMaxNameSize = 255;
constexpr size_t kMaxLabelSize = 63;

struct Query {
  uint16_t id = 0;
  bool recursion_desired = false;
  // The question's name as text: labels joined by '.', no trailing dot, "" for the root; a '.',
  // '\' or a byte outside printable ASCII inside a label is written \DDD (RFC 1035 5.1).
  std::string name;
  uint16_t type = 0;
  uint16_t klass = 0;
  // The question as it came (the name uncompressed, then type and class), echoed in replies.
  std::vector<uint8_t> question;
  // The largest UDP reply the client takes: its EDNS0 payload size, never below 512.
  size_t udp_size = kClassicUdpSize;
  // The query had an OPT record: the reply has one too (RFC 6891 7).
  bool edns = false;
};

// The UDP payload size the server's own replies announce (RFC 6891 6.2.5).
constexpr uint16_t kServerUdpSize = 1232;

// ParseQuery reads a query. Errors: kFailedPrecondition when the message is no query at all (no
// whole header, or a response), which is dropped; kNotImplemented for an opcode other than QUERY
// (answer NOTIMP); kInvalidArgument for anything malformed (answer FORMERR).
Result<Query> ParseQuery(std::span<const uint8_t> message);

// RcodeFor is the rcode that answers a ParseQuery error of this kind.
Rcode RcodeFor(ErrorKind kind);

// One answer record; its owner is the question's name.
struct Record {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> data;
};

// EncodeReply answers query (authoritative, recursion available) with rcode and as many of answers
// as fit in max_size bytes; when some do not fit, the reply says it is truncated (TC). An EDNS0
// query gets an OPT record after the answers.
std::vector<uint8_t> EncodeReply(const Query& query, Rcode rcode, std::span<const Record> answers,
                                 size_t max_size);

// ErrorReply answers a message ParseQuery refused: its header with rcode, no sections. nullopt when
// the message has no whole header or is itself a response.
std::optional<std::vector<uint8_t>> ErrorReply(std::span<const uint8_t> message, Rcode rcode);

// EncodeName writes a name given as dot-separated labels (a trailing dot allowed) in wire form,
// for PTR data. kInvalidArgument for an empty or too long label, or a name over 255 bytes.
Result<std::vector<uint8_t>> EncodeName(std::string_view name);

// Over TCP each message follows its length in two bytes (RFC 1035 4.2.2). FrameForTcp prefixes
// the length; TakeFramedMessage removes the first whole message from the bytes a stream has
// brought so far, if they hold one.
std::vector<uint8_t> FrameForTcp(std::span<const uint8_t> message);
std::optional<std::vector<uint8_t>> TakeFramedMessage(std::vector<uint8_t>& stream);

// The header fields a relay reads and rewrites. Both need message.size() >= kHeaderSize.
uint16_t MessageId(std::span<const uint8_t> message);
void SetMessageId(std::span<uint8_t> message, uint16_t id);
bool IsTruncated(std::span<const uint8_t> message);
bool IsResponse(std::span<const uint8_t> message);

}  // namespace berth::network::dns
