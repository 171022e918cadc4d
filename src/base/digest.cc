#include "base/digest.h"

namespace berth {

Result<Digest> Digest::Parse(std::string_view s) {
  size_t colon = s.find(':');
  auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid digest \"" + std::string(s) + "\": " + std::string(why));
  };
  if (colon == std::string_view::npos) return invalid("missing algorithm");
  std::string_view algorithm = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  size_t want = 0;
  if (algorithm == "sha256") {
    want = 64;
  } else if (algorithm == "sha512") {
    want = 128;
  } else {
    return invalid("unsupported algorithm");
  }
  if (hex.size() != want) return invalid("wrong length");
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return invalid("not lowercase hex");
  }
  return Digest{std::string(algorithm), std::string(hex)};
}

}  // namespace berth
