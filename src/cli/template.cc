#include "cli/template.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "base/strings.h"

namespace berth::cli {

using nlohmann::ordered_json;

struct Pipeline;

// One operand of a command: a field path, a function name, a literal or a sub-pipeline.
struct Operand {
  enum class Kind { kField, kFunction, kLiteral, kPipeline };
  Kind kind = Kind::kLiteral;
  int line = 1;                   // where the operand starts, for errors
  int column = 0;                 // byte offset in its line, as Go counts
  std::vector<std::string> path;  // kField: ".A.B" is {"A", "B"}; "." is {}
  std::string name;               // kFunction
  ordered_json literal;           // kLiteral
  std::shared_ptr<Pipeline> sub;  // kPipeline
};

struct Command {
  std::vector<Operand> operands;
};

struct Pipeline {
  std::vector<Command> commands;
};

struct TemplateNode {
  enum class Kind { kList, kText, kAction, kIf, kRange, kWith };
  Kind kind = Kind::kList;
  std::string text;
  Pipeline pipeline;
  std::vector<TemplateNode> body;
  std::vector<TemplateNode> else_body;
};

namespace {

using Value = ordered_json;
using Function = std::function<Result<Value>(const std::vector<Value>&)>;

Error ParseError(int line, std::string_view message) {
  return Error(ErrorKind::kInvalidArgument,
               fmt::format("template parsing error: template: :{}: {}", line, message));
}

// ExecError words a failure while executing as Go's text/template does (docker prefixes every
// template error with "template parsing error").
Error ExecError(const Operand& op, std::string_view at, std::string_view message) {
  return Error(ErrorKind::kInvalidArgument,
               fmt::format("template parsing error: template: :{}:{}: executing \"\" at <{}>: {}",
                           op.line, op.column, at, message));
}

bool Truth(const Value& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  if (v.is_number_float()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();
}

std::string ToString(const Value& v) {
  return v.is_string() ? v.get<std::string>() : PrintValue(v);
}

Result<int64_t> ToInt(const Value& v, std::string_view function) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) return static_cast<int64_t>(v.get<double>());
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("error calling {}: want a number, got {}", function, PrintValue(v)));
}

Status WantArgs(std::string_view name, const std::vector<Value>& args, size_t n) {
  if (args.size() == n) return Ok();
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("wrong number of args for {}: want {} got {}", name, n, args.size()));
}

// Compare orders two basic values as Go's eq/lt do: numbers with numbers, strings with strings.
Result<int> Compare(const Value& a, const Value& b, std::string_view name) {
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_boolean() && b.is_boolean() && (name == "eq" || name == "ne")) {
    return a.get<bool>() == b.get<bool>() ? 0 : 1;
  }
  if (a.is_null() && b.is_null() && (name == "eq" || name == "ne")) return 0;
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("error calling {}: incompatible types for comparison", name));
}

Function Comparison(std::string name, std::function<bool(int)> accept) {
  return [name, accept](const std::vector<Value>& args) -> Result<Value> {
    if (args.size() < 2) BERTH_TRY(WantArgs(name, args, 2));
    if (name == "eq") {
      // eq a b c is a == b || a == c.
      for (size_t i = 1; i < args.size(); ++i) {
        BERTH_ASSIGN_OR_RETURN(int c, Compare(args[0], args[i], name));
        if (c == 0) return Value(true);
      }
      return Value(false);
    }
    BERTH_TRY(WantArgs(name, args, 2));
    BERTH_ASSIGN_OR_RETURN(int c, Compare(args[0], args[1], name));
    return Value(accept(c));
  };
}

std::string Title(std::string s) {
  bool start = true;
  for (char& c : s) {
    if (start && std::isalpha(static_cast<unsigned char>(c))) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    start = !std::isalnum(static_cast<unsigned char>(c));
  }
  return s;
}

Result<Value> Index(const std::vector<Value>& args) {
  if (args.empty()) BERTH_TRY(WantArgs("index", args, 2));
  Value v = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    const Value& key = args[i];
    if (v.is_object()) {
      if (!key.is_string()) {
        return Fail(ErrorKind::kInvalidArgument, "error calling index: map key is not a string");
      }
      auto it = v.find(key.get<std::string>());
      v = it == v.end() ? Value() : *it;
    } else if (v.is_array() || v.is_string()) {
      BERTH_ASSIGN_OR_RETURN(int64_t n, ToInt(key, "index"));
      size_t size = v.is_array() ? v.size() : v.get_ref<const std::string&>().size();
      if (n < 0 || static_cast<size_t>(n) >= size) {
        return Fail(ErrorKind::kInvalidArgument,
                    fmt::format("error calling index: index out of range: {}", n));
      }
      v = v.is_array() ? v[static_cast<size_t>(n)]
                       : Value(static_cast<int64_t>(static_cast<unsigned char>(
                             v.get_ref<const std::string&>()[static_cast<size_t>(n)])));
    } else if (v.is_null()) {
      return Fail(ErrorKind::kInvalidArgument, "error calling index: index of untyped nil");
    } else {
      return Fail(ErrorKind::kInvalidArgument,
                  "error calling index: can't index item of type " + std::string(v.type_name()));
    }
  }
  return v;
}

// Sprint joins operands as Go's fmt.Sprint: a space between two operands when neither is a string.
std::string Sprint(const std::vector<Value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0 && !args[i].is_string() && !args[i - 1].is_string()) out += ' ';
    out += ToString(args[i]);
  }
  return out;
}

const std::map<std::string, Function, std::less<>>& Functions() {
  static const auto* functions = new std::map<std::string, Function, std::less<>>{
      {"json",
       [](const std::vector<Value>& a) -> Result<Value> {
         BERTH_TRY(WantArgs("json", a, 1));
         return Value(JsonValue(a[0]));
       }},
      {"join",
       [](const std::vector<Value>& a) -> Result<Value> {
         BERTH_TRY(WantArgs("join", a, 2));
         if (a[0].is_null()) return Value("");
         if (!a[0].is_array()) {
           return Fail(ErrorKind::kInvalidArgument, "error calling join: want a list");
         }
         std::vector<std::string> parts;
         for (const Value& v : a[0]) parts.push_back(ToString(v));
         return Value(Join(parts, ToString(a[1])));
       }},
      {"split",
       [](const std::vector<Value>& a) -> Result<Value> {
         BERTH_TRY(WantArgs("split", a, 2));
         Value out = Value::array();
         const std::string s = ToString(a[0]), sep = ToString(a[1]);
         if (sep.empty()) {
           for (char c : s) out.push_back(std::string(1, c));
           return out;
         }
         size_t start = 0;
         while (true) {
           size_t at = s.find(sep, start);
           out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
           if (at == std::string::npos) return out;
           start = at + sep.size();
         }
       }},
      {"lower",
       [](const std::vector<Value>& a) -> Result<Value> {
         BERTH_TRY(WantArgs("lower", a, 1));
         std::string s = ToString(a[0]);
         std::transform(s.begin(), s.end(), s.begin(),
                        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
         return Value(s);
       }},
      {"upper",
       [](const std::vector<Value>& a) -> Result<Value> {
         BERTH_TRY(WantArgs("upper", a, 1));
         std::string s = ToString(a[0]);
         std::transform(s.begin(), s.end(), s.begin(),
                        [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
         return Value(s);
       }},
      {"title",
       [](const std::vector<Value>& a) -> Result<Value> {
         BERTH_TRY(WantArgs("title", a, 1));
         return Value(Title(ToString(a[0])));
       }},
      {"pad",
       [](const std::vector<Value>& a) -> Result<Value> {
         BERTH_TRY(WantArgs("pad", a, 3));
         BERTH_ASSIGN_OR_RETURN(int64_t before, ToInt(a[1], "pad"));
         BERTH_ASSIGN_OR_RETURN(int64_t after, ToInt(a[2], "pad"));
         std::string s = ToString(a[0]);
         if (s.empty()) return Value(s);
         return Value(std::string(static_cast<size_t>(std::max<int64_t>(before, 0)), ' ') + s +
                      std::string(static_cast<size_t>(std::max<int64_t>(after, 0)), ' '));
       }},
      {"truncate",
       [](const std::vector<Value>& a) -> Result<Value> {
         BERTH_TRY(WantArgs("truncate", a, 2));
         BERTH_ASSIGN_OR_RETURN(int64_t n, ToInt(a[1], "truncate"));
         std::string s = ToString(a[0]);
         if (n >= 0 && static_cast<size_t>(n) < s.size()) s.resize(static_cast<size_t>(n));
         return Value(s);
       }},
      {"index", Index},
      {"len",
       [](const std::vector<Value>& a) -> Result<Value> {
         BERTH_TRY(WantArgs("len", a, 1));
         if (a[0].is_string()) return Value(a[0].get_ref<const std::string&>().size());
         if (a[0].is_array() || a[0].is_object()) return Value(a[0].size());
         return Fail(ErrorKind::kInvalidArgument,
                     "error calling len: len of type " + std::string(a[0].type_name()));
       }},
      {"eq", Comparison("eq", [](int c) { return c == 0; })},
      {"ne", Comparison("ne", [](int c) { return c != 0; })},
      {"lt", Comparison("lt", [](int c) { return c < 0; })},
      {"le", Comparison("le", [](int c) { return c <= 0; })},
      {"gt", Comparison("gt", [](int c) { return c > 0; })},
      {"ge", Comparison("ge", [](int c) { return c >= 0; })},
      {"not",
       [](const std::vector<Value>& a) -> Result<Value> {
         BERTH_TRY(WantArgs("not", a, 1));
         return Value(!Truth(a[0]));
       }},
      {"and",
       [](const std::vector<Value>& a) -> Result<Value> {
         if (a.empty()) BERTH_TRY(WantArgs("and", a, 1));
         for (const Value& v : a) {
           if (!Truth(v)) return v;
         }
         return a.back();
       }},
      {"or",
       [](const std::vector<Value>& a) -> Result<Value> {
         if (a.empty()) BERTH_TRY(WantArgs("or", a, 1));
         for (const Value& v : a) {
           if (Truth(v)) return v;
         }
         return a.back();
       }},
      {"print", [](const std::vector<Value>& a) -> Result<Value> { return Value(Sprint(a)); }},
      {"println",
       [](const std::vector<Value>& a) -> Result<Value> {
         std::vector<std::string> parts;
         for (const Value& v : a) parts.push_back(ToString(v));
         return Value(Join(parts, " ") + "\n");
       }},
  };
  return *functions;
}

// FindIgnoringCase finds a key as encoding/json matches a struct field to a JSON key: a field
// named APIVersion is filled from "ApiVersion", so docker's templates may name either.
Value::const_iterator FindIgnoringCase(const Value& object, std::string_view name) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return it;
    }
  }
  return object.end();
}

// ---- parsing ----

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<TemplateNode> ParseAll() {
    TemplateNode root;
    BERTH_ASSIGN_OR_RETURN(std::string end, ParseList(&root.body));
    if (!end.empty()) return Fail(ParseError(line_, "unexpected {{" + end + "}}"));
    return root;
  }

 private:
  // ParseList reads nodes into out up to the end of input ("") or an {{end}} / {{else}}, whose
  // keyword it returns.
  Result<std::string> ParseList(std::vector<TemplateNode>* out) {
    while (pos_ < text_.size()) {
      size_t open = text_.find("{{", pos_);
      std::string_view text =
          text_.substr(pos_, open == std::string_view::npos ? open : open - pos_);
      bool trim_left = open != std::string_view::npos && open + 2 < text_.size() &&
                       text_[open + 2] == '-' && open + 3 < text_.size() &&
                       std::isspace(static_cast<unsigned char>(text_[open + 3]));
      if (trim_left) {
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
          text.remove_suffix(1);
        }
      }
      if (!text.empty())
        out->push_back({.kind = TemplateNode::Kind::kText, .text = std::string(text)});
      CountLines(pos_, open == std::string_view::npos ? text_.size() : open);
      if (open == std::string_view::npos) {
        pos_ = text_.size();
        break;
      }
      pos_ = open + (trim_left ? 3 : 2);
      BERTH_ASSIGN_OR_RETURN(std::vector<Token> tokens, LexAction());
      if (tokens.empty()) return Fail(ParseError(line_, "missing value for command"));
      if (tokens[0].kind == TokKind::kIdent) {
        const std::string& word = tokens[0].text;
        if (word == "end" || word == "else") {
          if (tokens.size() != 1) return Fail(ParseError(line_, "unexpected token in " + word));
          return word;
        }
        if (word == "if" || word == "range" || word == "with") {
          TemplateNode node;
          node.kind = word == "if"      ? TemplateNode::Kind::kIf
                      : word == "range" ? TemplateNode::Kind::kRange
                                        : TemplateNode::Kind::kWith;
          tokens.erase(tokens.begin());
          if (tokens.empty()) return Fail(ParseError(line_, "missing value for " + word));
          size_t at = 0;
          BERTH_ASSIGN_OR_RETURN(node.pipeline, ParsePipeline(tokens, &at, false));
          BERTH_ASSIGN_OR_RETURN(std::string end, ParseList(&node.body));
          if (end == "else") {
            BERTH_ASSIGN_OR_RETURN(end, ParseList(&node.else_body));
          }
          if (end != "end") return Fail(ParseError(line_, "unexpected EOF"));
          out->push_back(std::move(node));
          continue;
        }
      }
      TemplateNode node{.kind = TemplateNode::Kind::kAction};
      size_t at = 0;
      BERTH_ASSIGN_OR_RETURN(node.pipeline, ParsePipeline(tokens, &at, false));
      out->push_back(std::move(node));
    }
    return std::string();
  }

  enum class TokKind { kField, kIdent, kString, kNumber, kLeft, kRight, kPipe };
  struct Token {
    TokKind kind;
    std::string text;
    int line = 1;
    int column = 0;
  };

  void CountLines(size_t from, size_t to) {
    line_ += static_cast<int>(std::count(text_.begin() + static_cast<ptrdiff_t>(from),
                                         text_.begin() + static_cast<ptrdiff_t>(to), '\n'));
  }

  // LexAction reads the tokens of one action up to "}}" (or " -}}", which trims the space after).
  Result<std::vector<Token>> LexAction() {
    std::vector<Token> tokens;
    auto position = [&](size_t at) {
      size_t newline = text_.rfind('\n', at == 0 ? 0 : at - 1);
      return static_cast<int>(newline == std::string_view::npos || at == 0 ? at : at - newline - 1);
    };
    size_t first = tokens.size();
    auto stamp = [&](size_t start) {
      for (size_t i = first; i < tokens.size(); ++i) {
        tokens[i].line = line_;
        tokens[i].column = position(start);
      }
      first = tokens.size();
    };
    while (true) {
      if (pos_ >= text_.size()) return Fail(ParseError(line_, "unclosed action"));
      char c = text_[pos_];
      if (text_.substr(pos_).starts_with("}}")) {
        pos_ += 2;
        return tokens;
      }
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (c == '\n') ++line_;
        ++pos_;
        if (text_.substr(pos_).starts_with("-}}")) {
          pos_ += 3;
          while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) {
            if (text_[pos_] == '\n') ++line_;
            ++pos_;
          }
          return tokens;
        }
        continue;
      }
      if (c == '(' || c == ')' || c == '|') {
        tokens.push_back({c == '('   ? TokKind::kLeft
                          : c == ')' ? TokKind::kRight
                                     : TokKind::kPipe,
                          std::string(1, c)});
        stamp(pos_);
        ++pos_;
        continue;
      }
      if (c == '"' || c == '`') {
        size_t start = pos_;
        BERTH_ASSIGN_OR_RETURN(std::string s, LexString(c));
        tokens.push_back({TokKind::kString, std::move(s)});
        stamp(start);
        continue;
      }
      size_t start = pos_;
      const bool identifier = std::isalpha(static_cast<unsigned char>(c)) || c == '_';
      while (pos_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[pos_])) &&
             text_[pos_] != '(' && text_[pos_] != ')' && text_[pos_] != '|' &&
             !(identifier && text_[pos_] == '.') && !text_.substr(pos_).starts_with("}}")) {
        ++pos_;
      }
      std::string word(text_.substr(start, pos_ - start));
      if (word[0] == '.') {
        tokens.push_back({TokKind::kField, word});
      } else if (std::isdigit(static_cast<unsigned char>(word[0])) || word[0] == '-' ||
                 word[0] == '+') {
        tokens.push_back({TokKind::kNumber, word});
      } else if (std::isalpha(static_cast<unsigned char>(word[0])) || word[0] == '_') {
        tokens.push_back({TokKind::kIdent, word});
      } else {
        return Fail(ParseError(line_, "unexpected \"" + word + "\" in command"));
      }
      stamp(start);
    }
  }

  Result<std::string> LexString(char quote) {
    std::string s;
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (quote == '"' && c == '\\' && pos_ < text_.size()) {
        char e = text_[pos_++];
        switch (e) {
          case 'n':
            s += '\n';
            break;
          case 't':
            s += '\t';
            break;
          case '\\':
          case '"':
            s += e;
            break;
          default:
            return Fail(ParseError(line_, std::string("unknown escape sequence \\") + e));
        }
        continue;
      }
      if (quote == '"' && c == '\n') return Fail(ParseError(line_, "unterminated quoted string"));
      s += c;
    }
    if (pos_ >= text_.size()) return Fail(ParseError(line_, "unterminated quoted string"));
    ++pos_;
    return s;
  }

  Result<Operand> ParseOperand(const std::vector<Token>& tokens, size_t* at) {
    const Token& t = tokens[*at];
    Operand op;
    op.line = t.line;
    op.column = t.column;
    switch (t.kind) {
      case TokKind::kField: {
        op.kind = Operand::Kind::kField;
        if (t.text != ".") {
          for (const std::string& part : Split(std::string_view(t.text).substr(1), '.')) {
            if (part.empty()) return Fail(ParseError(line_, "bad field " + t.text));
            op.path.push_back(part);
          }
        }
        break;
      }
      case TokKind::kIdent:
        if (t.text == "true" || t.text == "false") {
          op.literal = t.text == "true";
        } else if (t.text == "nil") {
          op.literal = nullptr;
        } else if (Functions().count(t.text) == 0) {
          return Fail(ParseError(line_, "function \"" + t.text + "\" not defined"));
        } else {
          op.kind = Operand::Kind::kFunction;
          op.name = t.text;
        }
        break;
      case TokKind::kString:
        op.literal = t.text;
        break;
      case TokKind::kNumber: {
        if (auto i = ParseInt64(t.text[0] == '+' ? t.text.substr(1) : t.text)) {
          op.literal = *i;
        } else {
          char* end = nullptr;
          double d = std::strtod(t.text.c_str(), &end);
          if (end == nullptr || *end != '\0') {
            return Fail(ParseError(line_, "bad number syntax: \"" + t.text + "\""));
          }
          op.literal = d;
        }
        break;
      }
      case TokKind::kLeft: {
        ++*at;
        op.kind = Operand::Kind::kPipeline;
        BERTH_ASSIGN_OR_RETURN(Pipeline sub, ParsePipeline(tokens, at, true));
        op.sub = std::make_shared<Pipeline>(std::move(sub));
        return op;  // ParsePipeline stopped after ')'
      }
      default:
        return Fail(ParseError(line_, "unexpected \"" + t.text + "\" in operand"));
    }
    ++*at;
    return op;
  }

  Result<Pipeline> ParsePipeline(const std::vector<Token>& tokens, size_t* at, bool nested) {
    Pipeline pipeline;
    Command command;
    while (true) {
      if (*at >= tokens.size()) {
        if (nested) return Fail(ParseError(line_, "unclosed left paren"));
        break;
      }
      const Token& t = tokens[*at];
      if (t.kind == TokKind::kRight) {
        if (!nested) return Fail(ParseError(line_, "unexpected right paren"));
        ++*at;
        break;
      }
      if (t.kind == TokKind::kPipe) {
        if (command.operands.empty()) return Fail(ParseError(line_, "missing command"));
        pipeline.commands.push_back(std::move(command));
        command = {};
        ++*at;
        continue;
      }
      BERTH_ASSIGN_OR_RETURN(Operand op, ParseOperand(tokens, at));
      command.operands.push_back(std::move(op));
    }
    if (command.operands.empty()) return Fail(ParseError(line_, "missing value for command"));
    pipeline.commands.push_back(std::move(command));
    for (size_t i = 1; i < pipeline.commands.size(); ++i) {
      if (pipeline.commands[i].operands[0].kind != Operand::Kind::kFunction) {
        return Fail(
            ParseError(line_, "non executable command in pipeline stage " + std::to_string(i + 1)));
      }
    }
    return pipeline;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

// ---- execution ----

class Executor {
 public:
  explicit Executor(bool strict) : strict_(strict) {}

  Status Run(const std::vector<TemplateNode>& nodes, const Value& dot, std::string* out) {
    for (const TemplateNode& node : nodes) BERTH_TRY(RunNode(node, dot, out));
    return Ok();
  }

 private:
  Status RunNode(const TemplateNode& node, const Value& dot, std::string* out) {
    switch (node.kind) {
      case TemplateNode::Kind::kText:
        *out += node.text;
        return Ok();
      case TemplateNode::Kind::kAction: {
        BERTH_ASSIGN_OR_RETURN(Value v, EvalPipeline(node.pipeline, dot));
        *out += v.is_string() ? v.get<std::string>() : PrintValue(v);
        return Ok();
      }
      case TemplateNode::Kind::kIf:
      case TemplateNode::Kind::kWith: {
        BERTH_ASSIGN_OR_RETURN(Value v, EvalPipeline(node.pipeline, dot));
        if (Truth(v)) return Run(node.body, node.kind == TemplateNode::Kind::kWith ? v : dot, out);
        return Run(node.else_body, dot, out);
      }
      case TemplateNode::Kind::kRange: {
        BERTH_ASSIGN_OR_RETURN(Value v, EvalPipeline(node.pipeline, dot));
        if (!v.is_null() && !v.is_array() && !v.is_object()) {
          return Fail(ExecError(node.pipeline.commands[0].operands[0], "range",
                                "range can't iterate over " + PrintValue(v)));
        }
        if (!Truth(v)) return Run(node.else_body, dot, out);
        if (v.is_object()) {
          // Go ranges over a map in sorted key order.
          std::vector<std::string> keys;
          for (const auto& item : v.items()) keys.push_back(item.key());
          std::sort(keys.begin(), keys.end());
          for (const std::string& key : keys) BERTH_TRY(Run(node.body, v[key], out));
          return Ok();
        }
        for (const Value& item : v) BERTH_TRY(Run(node.body, item, out));
        return Ok();
      }
      case TemplateNode::Kind::kList:
        return Run(node.body, dot, out);
    }
    return Ok();
  }

  Result<Value> EvalPipeline(const Pipeline& pipeline, const Value& dot) {
    std::optional<Value> piped;
    for (const Command& command : pipeline.commands) {
      BERTH_ASSIGN_OR_RETURN(Value v, EvalCommand(command, dot, piped));
      piped = std::move(v);
    }
    return *piped;
  }

  Result<Value> EvalCommand(const Command& command, const Value& dot,
                            const std::optional<Value>& piped) {
    const Operand& head = command.operands[0];
    if (head.kind != Operand::Kind::kFunction) {
      if (command.operands.size() > 1 || piped) {
        return Fail(ExecError(head, Describe(head), "can't give argument to non-function"));
      }
      return EvalOperand(head, dot);
    }
    std::vector<Value> args;
    for (size_t i = 1; i < command.operands.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(Value v, EvalOperand(command.operands[i], dot));
      args.push_back(std::move(v));
    }
    if (piped) args.push_back(*piped);
    Result<Value> result = Functions().find(head.name)->second(args);
    if (!result) return Fail(ExecError(head, head.name, result.error().message()));
    // A row of a typed context (images, ps) marshals itself with encoding/json's defaults, which
    // escape <, > and & (its json shows "\u003cnone\u003e"); plain values are not escaped.
    if (strict_ && head.name == "json" && args.size() == 1 && args[0].is_object()) {
      return Value(EscapeHtml(result->get_ref<const std::string&>()));
    }
    return result;
  }

  Result<Value> EvalOperand(const Operand& op, const Value& dot) {
    switch (op.kind) {
      case Operand::Kind::kLiteral:
        return op.literal;
      case Operand::Kind::kPipeline:
        return EvalPipeline(*op.sub, dot);
      case Operand::Kind::kFunction: {
        Result<Value> result = Functions().find(op.name)->second({});
        if (!result) return Fail(ExecError(op, op.name, result.error().message()));
        return result;
      }
      case Operand::Kind::kField:
        break;
    }
    Value v = dot;
    for (const std::string& name : op.path) {
      if (v.is_object()) {
        Value::const_iterator it = v.find(name);
        if (it == v.cend()) it = FindIgnoringCase(v, name);
        if (it != v.cend()) {
          v = *it;
          continue;
        }
        if (strict_) return Fail(ExecError(op, Describe(op), "can't evaluate field " + name));
        v = Value();
      } else if (v.is_null()) {
        if (strict_) return Fail(ExecError(op, Describe(op), "nil pointer evaluating " + name));
        v = Value();
      } else {
        return Fail(
            ExecError(op, Describe(op),
                      "can't evaluate field " + name + " in type " + std::string(v.type_name())));
      }
    }
    return v;
  }

  static std::string Describe(const Operand& op) {
    if (op.kind == Operand::Kind::kField) return op.path.empty() ? "." : "." + Join(op.path, ".");
    if (op.kind == Operand::Kind::kFunction) return op.name;
    return PrintValue(op.literal);
  }

  bool strict_;
};

std::string PrintNumber(const Value& v) {
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  double d = v.get<double>();
  // Go's %v for float64 is %g with the shortest precision, exponent beyond 1e21.
  if (d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 1e21) {
    return fmt::format("{}", static_cast<int64_t>(d));
  }
  return fmt::format("{}", d);
}

}  // namespace

std::string PrintValue(const Value& v) {
  switch (v.type()) {
    case Value::value_t::null:
      return "<no value>";
    case Value::value_t::string:
      return v.get<std::string>();
    case Value::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case Value::value_t::number_integer:
    case Value::value_t::number_unsigned:
    case Value::value_t::number_float:
      return PrintNumber(v);
    case Value::value_t::array: {
      std::vector<std::string> parts;
      for (const Value& item : v) parts.push_back(item.is_null() ? "<nil>" : PrintValue(item));
      return "[" + Join(parts, " ") + "]";
    }
    case Value::value_t::object: {
      std::vector<std::pair<std::string, std::string>> items;
      for (const auto& item : v.items()) {
        items.emplace_back(item.key(), item.value().is_null() ? "<nil>" : PrintValue(item.value()));
      }
      std::sort(items.begin(), items.end());
      std::vector<std::string> parts;
      for (const auto& [key, value] : items) parts.push_back(key + ":" + value);
      return "map[" + Join(parts, " ") + "]";
    }
    default:
      return v.dump();
  }
}

std::string JsonValue(const Value& v) {
  return v.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string EscapeHtml(std::string_view json) {
  std::string out;
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

Result<Template> Template::Parse(std::string_view text) {
  Parser parser(text);
  BERTH_ASSIGN_OR_RETURN(TemplateNode root, parser.ParseAll());
  return Template(std::make_shared<const TemplateNode>(std::move(root)));
}

Result<std::string> Template::Execute(const nlohmann::ordered_json& data,
                                      bool strict_fields) const {
  std::string out;
  Executor executor(strict_fields);
  BERTH_TRY(executor.Run(root_->body, data, &out));
  return out;
}

}  // namespace berth::cli
