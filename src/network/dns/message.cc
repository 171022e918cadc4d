#include "network/dns/message.h"

#include <fmt/format.h>

namespace berth::network::dns {
namespace {

// Header flag bits (RFC 1035 4.1.1).
constexpr uint16_t kFlagResponse = 0x8000;
constexpr uint16_t kOpcodeMask = 0x7800;
constexpr uint16_t kFlagAuthoritative = 0x0400;
constexpr uint16_t kFlagTruncated = 0x0200;
constexpr uint16_t kFlagRecursionDesired = 0x0100;
constexpr uint16_t kFlagRecursionAvailable = 0x0080;
// A compression pointer's first byte has its two high bits set (RFC 1035 4.1.4).
constexpr uint8_t kPointerBits = 0xc0;

uint16_t Read16(std::span<const uint8_t> m, size_t at) {
  return static_cast<uint16_t>((m[at] << 8) | m[at + 1]);
}

void Append16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value & 0xff));
}

void Append32(std::vector<uint8_t>& out, uint32_t value) {
  Append16(out, static_cast<uint16_t>(value >> 16));
  Append16(out, static_cast<uint16_t>(value & 0xffff));
}

Error Malformed(std::string_view what) {
  return Error(ErrorKind::kInvalidArgument, fmt::format("malformed dns query: {}", what));
}

void AppendLabelText(std::string& text, std::span<const uint8_t> label) {
  if (!text.empty()) text.push_back('.');
  for (uint8_t c : label) {
    if (c == '.' || c == '\\' || c <= 0x20 || c >= 0x7f) {
      text += fmt::format("\\{:03d}", c);
    } else {
      text.push_back(static_cast<char>(c));
    }
  }
}

// ParsedName is a name read at some offset: its text, its uncompressed wire form and the offset
// just after it in the message.
struct ParsedName {
  std::string text;
  std::vector<uint8_t> wire;
  size_t end = 0;
};

// ParseName follows compression pointers only backwards (each to before the one that led there),
// so every name ends within as many steps as the message has bytes.
Result<ParsedName> ParseName(std::span<const uint8_t> m, size_t at) {
  ParsedName name;
  size_t pos = at;
  size_t limit = m.size();  // a pointer must lead before this
  bool jumped = false;
  while (true) {
    if (pos >= m.size()) return Fail(Malformed("name runs past the end of the message"));
    uint8_t length = m[pos];
    if ((length & kPointerBits) == kPointerBits) {
      if (pos + 1 >= m.size()) return Fail(Malformed("compression pointer cut short"));
      size_t target = Read16(m, pos) & 0x3fff;
      if (target >= pos || target >= limit) {
        return Fail(Malformed("compression pointer does not point backwards"));
      }
      if (!jumped) name.end = pos + 2;
      jumped = true;
      limit = target;
      pos = target;
      continue;
    }
    if ((length & kPointerBits) != 0) return Fail(Malformed("unknown label type"));
    if (name.wire.size() + 1 + length > kMaxNameSize) return Fail(Malformed("name too long"));
    if (pos + 1 + length > m.size()) return Fail(Malformed("label runs past the end"));
    name.wire.insert(name.wire.end(), m.begin() + static_cast<ptrdiff_t>(pos),
                     m.begin() + static_cast<ptrdiff_t>(pos + 1 + length));
    if (length == 0) break;
    AppendLabelText(name.text, m.subspan(pos + 1, length));
    pos += 1 + length;
  }
  if (!jumped) name.end = pos + 1;
  return name;
}

// ReadEdns looks for the OPT record among the additional records that start at `at`, and takes
// the UDP payload size it announces (RFC 6891 6.1.2); more than one is malformed (6.1.1).
Status ReadEdns(std::span<const uint8_t> m, size_t at, uint16_t count, Query& query) {
  for (uint16_t i = 0; i < count; ++i) {
    BERTH_ASSIGN_OR_RETURN(ParsedName owner, ParseName(m, at));
    size_t pos = owner.end;
    if (pos + 10 > m.size()) return Fail(Malformed("additional record cut short"));
    uint16_t type = Read16(m, pos);
    uint16_t klass = Read16(m, pos + 2);
    size_t data_size = Read16(m, pos + 8);
    if (pos + 10 + data_size > m.size()) return Fail(Malformed("record data runs past the end"));
    if (type == kTypeOpt) {
      if (!owner.text.empty()) return Fail(Malformed("OPT record not owned by the root"));
      if (query.edns) return Fail(Malformed("more than one OPT record"));
      query.edns = true;
      query.udp_size = std::max<size_t>(klass, kClassicUdpSize);
    }
    at = pos + 10 + data_size;
  }
  return Ok();
}

}  // namespace

Result<Query> ParseQuery(std::span<const uint8_t> m) {
  if (m.size() < kHeaderSize) {
    return Fail(ErrorKind::kFailedPrecondition, "dns message shorter than its header");
  }
  uint16_t flags = Read16(m, 2);
  if (flags & kFlagResponse) return Fail(ErrorKind::kFailedPrecondition, "dns message is a reply");
  if (flags & kOpcodeMask) {
    return Fail(ErrorKind::kNotImplemented,
                fmt::format("dns opcode {} not implemented", (flags & kOpcodeMask) >> 11));
  }
  uint16_t questions = Read16(m, 4);
  if (questions != 1) return Fail(Malformed(fmt::format("{} questions, want 1", questions)));
  Query query;
  query.id = Read16(m, 0);
  query.recursion_desired = flags & kFlagRecursionDesired;
  BERTH_ASSIGN_OR_RETURN(ParsedName name, ParseName(m, kHeaderSize));
  if (name.end + 4 > m.size()) return Fail(Malformed("question cut short"));
  query.name = std::move(name.text);
  query.type = Read16(m, name.end);
  query.klass = Read16(m, name.end + 2);
  query.question = std::move(name.wire);
  query.question.insert(query.question.end(), m.begin() + static_cast<ptrdiff_t>(name.end),
                        m.begin() + static_cast<ptrdiff_t>(name.end + 4));
  // Answer and authority records have no place in a stub resolver's query; then the additional
  // section is not looked at.
  if (Read16(m, 6) == 0 && Read16(m, 8) == 0) {
    BERTH_TRY(ReadEdns(m, name.end + 4, Read16(m, 10), query));
  }
  return query;
}

Rcode RcodeFor(ErrorKind kind) {
  return kind == ErrorKind::kNotImplemented ? Rcode::kNotImp : Rcode::kFormErr;
}

std::vector<uint8_t> EncodeReply(const Query& query, Rcode rcode, std::span<const Record> answers,
                                 size_t max_size) {
  std::vector<uint8_t> out;
  uint16_t flags =
      kFlagResponse | kFlagAuthoritative | kFlagRecursionAvailable | static_cast<uint16_t>(rcode);
  if (query.recursion_desired) flags |= kFlagRecursionDesired;
  Append16(out, query.id);
  Append16(out, flags);
  Append16(out, 1);
  Append16(out, 0);  // answer count, set below
  Append16(out, 0);
  Append16(out, 0);
  out.insert(out.end(), query.question.begin(), query.question.end());
  // The OPT record: the root's name, type, payload size, extended rcode and flags, no data.
  constexpr size_t kOptSize = 11;
  size_t reserved = query.edns ? kOptSize : 0;
  uint16_t count = 0;
  for (const Record& record : answers) {
    // The owner is a pointer to the question's name, right after the header.
    size_t size = 2 + 10 + record.data.size();
    if (out.size() + size + reserved > max_size) {
      out[2] |= kFlagTruncated >> 8;
      break;
    }
    Append16(out, static_cast<uint16_t>(kPointerBits << 8 | kHeaderSize));
    Append16(out, record.type);
    Append16(out, kClassIn);
    Append32(out, record.ttl);
    Append16(out, static_cast<uint16_t>(record.data.size()));
    out.insert(out.end(), record.data.begin(), record.data.end());
    ++count;
  }
  out[6] = static_cast<uint8_t>(count >> 8);
  out[7] = static_cast<uint8_t>(count & 0xff);
  if (query.edns) {
    out.push_back(0);
    Append16(out, kTypeOpt);
    Append16(out, kServerUdpSize);
    Append32(out, 0);
    Append16(out, 0);
    out[11] = 1;
  }
  return out;
}

std::optional<std::vector<uint8_t>> ErrorReply(std::span<const uint8_t> m, Rcode rcode) {
  if (m.size() < kHeaderSize || IsResponse(m)) return std::nullopt;
  uint16_t flags = Read16(m, 2);
  flags = kFlagResponse | (flags & (kOpcodeMask | kFlagRecursionDesired)) |
          kFlagRecursionAvailable | static_cast<uint16_t>(rcode);
  std::vector<uint8_t> out;
  Append16(out, MessageId(m));
  Append16(out, flags);
  out.resize(kHeaderSize, 0);
  return out;
}

Result<std::vector<uint8_t>> EncodeName(std::string_view whole) {
  std::string_view name = whole;
  if (name.ends_with('.')) name.remove_suffix(1);
  std::vector<uint8_t> out;
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabelSize) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("encode dns name \"{}\": empty or too long label", whole));
    }
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out.push_back(0);
  if (out.size() > kMaxNameSize) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("encode dns name \"{}\": longer than 255 bytes", whole));
  }
  return out;
}

std::vector<uint8_t> FrameForTcp(std::span<const uint8_t> message) {
  std::vector<uint8_t> out;
  out.reserve(message.size() + 2);
  Append16(out, static_cast<uint16_t>(message.size()));
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

std::optional<std::vector<uint8_t>> TakeFramedMessage(std::vector<uint8_t>& stream) {
  if (stream.size() < 2) return std::nullopt;
  auto end = stream.begin() + 2 + Read16(stream, 0);
  if (stream.end() < end) return std::nullopt;
  std::vector<uint8_t> message(stream.begin() + 2, end);
  stream.erase(stream.begin(), end);
  return message;
}

uint16_t MessageId(std::span<const uint8_t> m) { return Read16(m, 0); }

void SetMessageId(std::span<uint8_t> m, uint16_t id) {
  m[0] = static_cast<uint8_t>(id >> 8);
  m[1] = static_cast<uint8_t>(id & 0xff);
}

bool IsTruncated(std::span<const uint8_t> m) { return Read16(m, 2) & kFlagTruncated; }

bool IsResponse(std::span<const uint8_t> m) { return Read16(m, 2) & kFlagResponse; }

}  // namespace berth::network::dns
