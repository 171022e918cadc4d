#include "network/dns/responder.h"

#include <algorithm>
#include <charconv>

namespace berth::network::dns {
namespace {

constexpr size_t kMaxTcpSize = 65535;
// Past this many names the round-robin counters start again, so hostile lookups of many names
// cannot grow them without bound.
constexpr size_t kMaxRotatedNames = 4096;

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return out;
}

std::optional<IpAddress> ReverseV4(std::string_view labels) {
  IpAddress address;
  for (int i = 3; i >= 0; --i) {
    size_t dot = labels.find('.');
    std::string_view label = labels.substr(0, dot);
    unsigned value = 256;
    auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), value);
    if (ec != std::errc() || end != label.data() + label.size() || value > 255 || label.empty() ||
        (label.size() > 1 && label[0] == '0')) {
      return std::nullopt;
    }
    address.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(value);
    if ((dot == std::string_view::npos) != (i == 0)) return std::nullopt;
    labels = i == 0 ? std::string_view() : labels.substr(dot + 1);
  }
  return address;
}

std::optional<IpAddress> ReverseV6(std::string_view labels) {
  // 32 nibbles, least significant first, each one hex digit followed by a dot but the last.
  if (labels.size() != 63) return std::nullopt;
  IpAddress address;
  address.v6 = true;
  for (size_t i = 0; i < 32; ++i) {
    char c = labels[2 * i];
    if (i < 31 && labels[2 * i + 1] != '.') return std::nullopt;
    int nibble = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (nibble < 0) return std::nullopt;
    size_t byte = 15 - i / 2;
    address.bytes[byte] |= static_cast<uint8_t>(i % 2 == 0 ? nibble : nibble << 4);
  }
  return address;
}

}  // namespace

bool NameMatches(std::string_view asked, std::string_view name) { return asked == Lowercase(name); }

std::optional<IpAddress> ReverseName(std::string_view name) {
  constexpr std::string_view kV4Suffix = ".in-addr.arpa";
  constexpr std::string_view kV6Suffix = ".ip6.arpa";
  if (name.ends_with(kV4Suffix)) return ReverseV4(name.substr(0, name.size() - kV4Suffix.size()));
  if (name.ends_with(kV6Suffix)) return ReverseV6(name.substr(0, name.size() - kV6Suffix.size()));
  return std::nullopt;
}

Responder::Responder(Lookup lookup, std::vector<std::string> search_domains)
    : lookup_(std::move(lookup)) {
  for (const std::string& domain : search_domains) {
    std::string_view trimmed = domain;
    if (trimmed.ends_with('.')) trimmed.remove_suffix(1);
    if (!trimmed.empty()) search_domains_.push_back(Lowercase(trimmed));
  }
}

Answer Responder::Respond(std::span<const uint8_t> message, bool over_tcp) {
  Answer answer;
  Result<Query> query = ParseQuery(message);
  if (!query) {
    if (std::optional<std::vector<uint8_t>> reply =
            ErrorReply(message, RcodeFor(query.error().kind()))) {
      answer.action = Answer::Action::kReply;
      answer.reply = std::move(*reply);
    }
    return answer;
  }
  size_t max_size = over_tcp ? kMaxTcpSize : query->udp_size;
  bool known = false;
  std::vector<Record> records;
  if (query->klass == kClassIn) {
    records = query->type == kTypePtr ? PointerRecords(*query) : AddressRecords(*query, &known);
  }
  if (records.empty() && !known) {
    answer.action = Answer::Action::kForward;
    answer.query = std::move(*query);
    return answer;
  }
  answer.action = Answer::Action::kReply;
  answer.reply = EncodeReply(*query, Rcode::kNoError, records, max_size);
  return answer;
}

// AddressRecords answers A and AAAA queries. A name the networks know that has no address of the
// type asked (or is asked for another type) gets an empty NOERROR answer, so that clients do not
// wait for the upstream servers to deny a name they cannot know.
std::vector<Record> Responder::AddressRecords(const Query& query, bool* known) {
  if (!lookup_.addresses || query.name.find('\\') != std::string::npos) return {};
  const std::string asked = Lowercase(query.name);
  std::string name = asked;
  std::vector<IpAddress> addresses = lookup_.addresses(name);
  for (size_t i = 0; addresses.empty() && i < search_domains_.size(); ++i) {
    const std::string& domain = search_domains_[i];
    if (asked.size() > domain.size() + 1 && asked.ends_with(domain) &&
        asked[asked.size() - domain.size() - 1] == '.') {
      name = asked.substr(0, asked.size() - domain.size() - 1);
      addresses = lookup_.addresses(name);
    }
  }
  *known = !addresses.empty();
  std::vector<Record> records;
  bool want_v6 = query.type == kTypeAaaa;
  if (query.type != kTypeA && !want_v6) return records;
  for (const IpAddress& address : addresses) {
    if (address.v6 != want_v6) continue;
    records.push_back(Record{
        query.type, kLocalTtlSeconds,
        std::vector<uint8_t>(address.bytes.begin(),
                             address.bytes.begin() + static_cast<ptrdiff_t>(address.size()))});
  }
  Rotate(name, records);
  return records;
}

std::vector<Record> Responder::PointerRecords(const Query& query) {
  if (!lookup_.name) return {};
  std::optional<IpAddress> address = ReverseName(Lowercase(query.name));
  if (!address) return {};
  std::string name = lookup_.name(*address);
  if (name.empty()) return {};
  Result<std::vector<uint8_t>> data = EncodeName(name);
  if (!data) return {};
  return {Record{kTypePtr, kLocalTtlSeconds, std::move(*data)}};
}

void Responder::Rotate(const std::string& name, std::vector<Record>& records) {
  if (records.size() < 2) return;
  if (rotation_.size() >= kMaxRotatedNames && !rotation_.contains(name)) rotation_.clear();
  uint32_t turn = rotation_[name]++;
  std::rotate(records.begin(), records.begin() + static_cast<ptrdiff_t>(turn % records.size()),
              records.end());
}

}  // namespace berth::network::dns
