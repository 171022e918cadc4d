// The word processing of Dockerfile arguments, as docker's builder (buildkit's shell lexer) does
// it: quotes removed ('...' literal; "..." expands $ and lets a backslash escape only '"', '$' and
// itself), a backslash escaping the next character elsewhere, and $NAME, ${NAME} and the ${NAME...}
// modifiers (:- - :+ + :? ? # ## % %% / //) expanded from an environment. Pure; a ChangesLexer is
// immutable after construction and may be shared by threads.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::image::store {

class ChangesLexer {
 public:
  // env holds "KEY=value" entries (a later entry of a key wins; "KEY" alone is KEY="").
  explicit ChangesLexer(const std::vector<std::string>& env);

  // Word processes word into one string, keeping the spaces inside it. kInvalidArgument
  // `failed to process "${x": syntax error: missing '}'`.
  Result<std::string> Word(std::string_view word) const;
  // Words processes word and splits the result at unquoted spaces, the spaces that expansions
  // produce included (EXPOSE $PORTS with PORTS="80 443" is two ports).
  Result<std::vector<std::string>> Words(std::string_view word) const;

 private:
  std::map<std::string, std::string, std::less<>> env_;
};

}  // namespace berth::image::store
