#include "image/store/changes_lexer.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

namespace berth::image::store {
namespace {

constexpr char kEscape = '\\';

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
// The shell's special parameters ($@, $#, ...): a name of one character.
bool IsSpecialParam(char c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
         c == '0';
}

// WordSplitter collects the words of a processed string: literal spaces end a word, quoted and
// escaped characters never do.
class WordSplitter {
 public:
  void AddChar(char c) {
    if (!IsSpace(c)) {
      AddRawChar(c);
    } else if (in_word_ && !buffer_.empty()) {
      words_.push_back(std::move(buffer_));
      buffer_.clear();
      in_word_ = false;
    }
  }
  void AddRawChar(char c) {
    buffer_.push_back(c);
    in_word_ = true;
  }
  void AddString(std::string_view s) {
    for (char c : s) AddChar(c);
  }
  void AddRawString(std::string_view s) {
    buffer_.append(s);
    in_word_ = true;
  }
  std::vector<std::string> Finish() {
    if (!buffer_.empty()) words_.push_back(std::move(buffer_));
    return std::move(words_);
  }

 private:
  std::string buffer_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

// A pattern of ${NAME#pattern} and its kin: "*" is any run of characters, "?" one character, a
// backslash makes "*", "?" or "\" literal ("\}" and "\/" are "}" and "/"). Neither wildcard
// matches a newline, as in docker, whose patterns become regular expressions.
class Pattern {
 public:
  static Result<Pattern> Compile(std::string_view text) {
    Pattern p;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '*' || c == '?') {
        p.tokens_.push_back({c, true});
        continue;
      }
      if (c == kEscape) {
        if (i + 1 < text.size() && (text[i + 1] == '}' || text[i + 1] == '/')) continue;
        if (i + 1 >= text.size() ||
            (text[i + 1] != '*' && text[i + 1] != '?' && text[i + 1] != kEscape)) {
          std::string_view next = i + 1 < text.size() ? text.substr(i + 1, 1) : "";
          return Fail(ErrorKind::kInvalidArgument,
                      fmt::format("invalid pattern ({}) in substitution: invalid escape '\\{}'",
                                  text, next));
        }
        c = text[++i];
      }
      p.tokens_.push_back({c, false});
    }
    return p;
  }

  bool Matches(std::string_view s) const { return MatchFrom(0, s); }

 private:
  struct Token {
    char c;
    bool wildcard;  // c is '*' or '?'
  };

  bool MatchFrom(size_t t, std::string_view s) const {
    for (; t < tokens_.size(); ++t) {
      const Token& token = tokens_[t];
      if (token.wildcard && token.c == '*') {
        for (size_t n = 0;; ++n) {
          if (MatchFrom(t + 1, s.substr(n))) return true;
          if (n >= s.size() || s[n] == '\n') return false;
        }
      }
      if (s.empty()) return false;
      if (token.wildcard ? s.front() == '\n' : s.front() != token.c) return false;
      s.remove_prefix(1);
    }
    return s.empty();
  }

  std::vector<Token> tokens_;
};

// Scanner processes one word: the state of docker's shell lexer over it.
class Scanner {
 public:
  Scanner(std::string_view input, const std::map<std::string, std::string, std::less<>>& env)
      : input_(input), env_(env) {}

  // StopOn processes up to stop (consumed), or to the end when stop is unset.
  Result<std::string> StopOn(std::optional<char> stop, bool raw_escapes, WordSplitter* words) {
    bool saved = std::exchange(raw_escapes_, raw_escapes);
    Result<std::string> out = StopOnInner(stop, words);
    raw_escapes_ = saved;
    return out;
  }

  bool AtEnd() const { return pos_ >= input_.size(); }

 private:
  char Peek() const { return input_[pos_]; }
  char Next() { return input_[pos_++]; }

  Result<std::string> StopOnInner(std::optional<char> stop, WordSplitter* words) {
    std::string result;
    while (!AtEnd()) {
      char c = Peek();
      if (stop && c == *stop) {
        ++pos_;
        return result;
      }
      if (c == '$' || c == '\'' || c == '"') {
        BERTH_ASSIGN_OR_RETURN(std::string part, c == '$'    ? Dollar()
                                                 : c == '\'' ? SingleQuote()
                                                             : DoubleQuote());
        result += part;
        if (c == '$') {
          words->AddString(part);
        } else {
          words->AddRawString(part);
        }
        continue;
      }
      c = Next();
      if (c == kEscape) {
        if (raw_escapes_) {
          words->AddRawChar(c);
          result.push_back(c);
        }
        if (AtEnd()) break;
        c = Next();
        words->AddRawChar(c);
      } else {
        words->AddChar(c);
      }
      result.push_back(c);
    }
    if (stop) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("unexpected end of statement while looking for matching {}", *stop));
    }
    return result;
  }

  Result<std::string> SingleQuote() {
    ++pos_;
    std::string result;
    while (!AtEnd()) {
      char c = Next();
      if (c == '\'') return result;
      result.push_back(c);
    }
    return Fail(ErrorKind::kInvalidArgument,
                "unexpected end of statement while looking for matching single-quote");
  }

  Result<std::string> DoubleQuote() {
    ++pos_;
    std::string result;
    while (!AtEnd()) {
      char c = Peek();
      if (c == '"') {
        ++pos_;
        return result;
      }
      if (c == '$') {
        BERTH_ASSIGN_OR_RETURN(std::string value, Dollar());
        result += value;
        continue;
      }
      c = Next();
      if (c == kEscape) {
        if (raw_escapes_) result.push_back(c);
        if (AtEnd()) break;
        if (Peek() == '"' || Peek() == '$' || Peek() == kEscape) c = Next();
      }
      result.push_back(c);
    }
    return Fail(ErrorKind::kInvalidArgument,
                "unexpected end of statement while looking for matching double-quote");
  }

  std::string Name() {
    std::string name;
    if (!AtEnd() && IsDigit(Peek())) {
      while (!AtEnd() && IsDigit(Peek())) name.push_back(Next());
      return name;
    }
    if (!AtEnd() && IsSpecialParam(Peek())) return std::string(1, Next());
    while (!AtEnd() && IsNameChar(Peek())) name.push_back(Next());
    return name;
  }

  std::optional<std::string> Lookup(std::string_view name) const {
    auto it = env_.find(name);
    if (it == env_.end()) return std::nullopt;
    return it->second;
  }

  Result<std::string> Dollar() {
    ++pos_;
    if (AtEnd() || Peek() != '{') {
      std::string name = Name();
      if (name.empty()) return std::string("$");
      return Lookup(name).value_or("");
    }
    ++pos_;
    if (AtEnd()) return Fail(ErrorKind::kInvalidArgument, "syntax error: missing '}'");
    if (Peek() == '{' || Peek() == '}' || Peek() == ':') {
      return Fail(ErrorKind::kInvalidArgument, "syntax error: bad substitution");
    }
    std::string name = Name();
    if (AtEnd()) return Fail(ErrorKind::kInvalidArgument, "syntax error: missing '}'");
    char c = Next();
    if (c == '}') return Lookup(name).value_or("");
    if (c == '/') return Replace(name);
    std::string modifier(1, c);
    bool null_is_unset = false;
    if (c == ':') {
      if (AtEnd()) return Fail(ErrorKind::kInvalidArgument, "syntax error: missing '}'");
      null_is_unset = true;
      c = Next();
      modifier.push_back(c);
    }
    bool pattern = c == '#' || c == '%';
    if ((c != '+' && c != '-' && c != '?' && !pattern) || (null_is_unset && pattern)) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("unsupported modifier ({}) in substitution", modifier));
    }
    BERTH_ASSIGN_OR_RETURN(std::string word, Delimited('}', pattern, "syntax error: missing '}'"));
    return Modify(name, c, null_is_unset, std::move(word));
  }

  // Delimited processes up to stop; running out of input is the error missing.
  Result<std::string> Delimited(char stop, bool raw_escapes, std::string_view missing) {
    WordSplitter ignored;
    Result<std::string> word = StopOn(stop, raw_escapes, &ignored);
    if (!word && AtEnd()) return Fail(ErrorKind::kInvalidArgument, std::string(missing));
    return word;
  }

  Result<std::string> Modify(const std::string& name, char op, bool null_is_unset,
                             std::string word) {
    std::optional<std::string> value = Lookup(name);
    bool unset = !value || (null_is_unset && value->empty());
    switch (op) {
      case '-':
        return unset ? word : *value;
      case '+':
        return unset ? std::string() : word;
      case '?':
        if (!value || (null_is_unset && value->empty())) {
          std::string message = !word.empty() ? word
                                : !value      ? "is not allowed to be unset"
                                              : "is not allowed to be empty";
          return Fail(ErrorKind::kInvalidArgument, fmt::format("{}: {}", name, message));
        }
        return *value;
      default: {
        bool greedy = !word.empty() && word.front() == op;
        if (greedy) word.erase(0, 1);
        BERTH_ASSIGN_OR_RETURN(Pattern p, Pattern::Compile(word));
        return op == '#' ? TrimPrefix(p, value.value_or(""), greedy)
                         : TrimSuffix(p, value.value_or(""), greedy);
      }
    }
  }

  // TrimPrefix removes the shortest (greedy: longest) prefix of value that p matches.
  static std::string TrimPrefix(const Pattern& p, const std::string& value, bool greedy) {
    for (size_t k = 0; k <= value.size(); ++k) {
      size_t n = greedy ? value.size() - k : k;
      if (p.Matches(std::string_view(value).substr(0, n))) return value.substr(n);
    }
    return value;
  }

  static std::string TrimSuffix(const Pattern& p, const std::string& value, bool greedy) {
    for (size_t k = 0; k <= value.size(); ++k) {
      size_t n = greedy ? value.size() - k : k;
      if (p.Matches(std::string_view(value).substr(value.size() - n))) {
        return value.substr(0, value.size() - n);
      }
    }
    return value;
  }

  // Replace handles ${NAME/pattern/text} (first match) and ${NAME//pattern/text} (every match),
  // each match the longest at the leftmost position where one starts.
  Result<std::string> Replace(const std::string& name) {
    bool all = !AtEnd() && Peek() == '/';
    if (all) ++pos_;
    BERTH_ASSIGN_OR_RETURN(std::string pattern,
                           Delimited('/', true, "syntax error: missing '/' in ${}"));
    BERTH_ASSIGN_OR_RETURN(std::string text, Delimited('}', true, "syntax error: missing '}'"));
    BERTH_ASSIGN_OR_RETURN(Pattern p, Pattern::Compile(pattern));
    const std::string value = Lookup(name).value_or("");
    std::string out;
    size_t start = 0;
    bool replaced = false;
    std::optional<size_t> last_end;  // an empty match right after a match does not count
    while (start <= value.size()) {
      std::optional<size_t> end;
      if (!replaced || all) {
        for (size_t e = value.size() + 1; e-- > start;) {
          if (p.Matches(std::string_view(value).substr(start, e - start))) {
            end = e;
            break;
          }
        }
      }
      if (end && *end == start && last_end == start) end.reset();
      if (end) {
        out += text;
        replaced = true;
        last_end = end;
      }
      if (end && *end > start) {
        start = *end;
        continue;
      }
      if (start < value.size()) out.push_back(value[start]);
      ++start;
    }
    return out;
  }

  std::string_view input_;
  size_t pos_ = 0;
  bool raw_escapes_ = false;
  const std::map<std::string, std::string, std::less<>>& env_;
};

}  // namespace

ChangesLexer::ChangesLexer(const std::vector<std::string>& env) {
  for (const std::string& entry : env) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      env_[entry] = "";
    } else {
      env_[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
}

Result<std::string> ChangesLexer::Word(std::string_view word) const {
  Scanner scanner(word, env_);
  WordSplitter ignored;
  return Annotate(scanner.StopOn(std::nullopt, false, &ignored),
                  fmt::format("failed to process \"{}\"", word));
}

Result<std::vector<std::string>> ChangesLexer::Words(std::string_view word) const {
  Scanner scanner(word, env_);
  WordSplitter words;
  BERTH_TRY(Annotate(scanner.StopOn(std::nullopt, false, &words),
                     fmt::format("failed to process \"{}\"", word)));
  return words.Finish();
}

}  // namespace berth::image::store
