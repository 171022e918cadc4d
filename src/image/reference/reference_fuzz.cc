// libFuzzer target for image reference parsing: each input (any bytes) is parsed with
// ParseNormalizedNamed and ParseReference. A refusal must be a kInvalidArgument error; a reference
// that parses must keep the limits of the grammar, its String() must parse again to the same
// value, and ParseReference must agree with ParseNormalizedNamed (adding only the default tag).
// The target aborts on any other outcome. Corpus: reference_fuzz_corpus/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "image/reference/reference.h"

namespace {

namespace image = berth::image;

[[noreturn]] void Abort(std::string_view input, const std::string& what) {
  std::fprintf(stderr, "reference fuzz: \"%.*s\": %s\n", static_cast<int>(input.size()),
               input.data(), what.c_str());
  std::abort();
}

bool Accepted(std::string_view input, const berth::Result<image::Reference>& result) {
  if (result) return true;
  if (result.error().kind() != berth::ErrorKind::kInvalidArgument) {
    Abort(input, "refused with a kind other than invalid argument: " + result.error().message());
  }
  return false;
}

void CheckReparses(std::string_view input, const image::Reference& ref,
                   berth::Result<image::Reference> (*parse)(std::string_view)) {
  std::string text = ref.String();
  berth::Result<image::Reference> again = parse(text);
  if (!again) Abort(input, "String() \"" + text + "\" is refused: " + again.error().message());
  if (!(*again == ref)) Abort(input, "String() \"" + text + "\" parses to " + again->String());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  berth::Result<image::Reference> named = image::ParseNormalizedNamed(input);
  berth::Result<image::Reference> full = image::ParseReference(input);
  if (Accepted(input, named) != Accepted(input, full)) {
    Abort(input, "ParseNormalizedNamed and ParseReference disagree on accepting it");
  }
  if (!named) return 0;
  if (named->domain.empty() || named->path.empty()) Abort(input, "empty domain or path");
  if (named->Name().size() > image::kNameTotalLengthMax) Abort(input, "name too long");
  image::Reference with_default = *named;
  if (with_default.tag.empty() && !with_default.digest) {
    with_default.tag = std::string(image::kDefaultTag);
  }
  if (!(*full == with_default)) Abort(input, "ParseReference gives " + full->String());
  CheckReparses(input, *named, image::ParseNormalizedNamed);
  CheckReparses(input, *full, image::ParseReference);
  return 0;
}
