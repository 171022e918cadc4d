#include "image/store/changes_lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::image::store {
namespace {

const ChangesLexer& Lexer() {
  static const ChangesLexer lexer(
      {"PWD=/home", "EMPTY=", "PATH=/usr/local/bin:/usr/bin", "PORTS=80 443", "BARE", "PWD=/root"});
  return lexer;
}

std::string Word(std::string_view word) {
  Result<std::string> out = Lexer().Word(word);
  EXPECT_TRUE(out) << word << ": " << out.error().message();
  return out ? *out : "<error>";
}

std::string WordError(std::string_view word) {
  Result<std::string> out = Lexer().Word(word);
  EXPECT_FALSE(out) << word << " gave " << *out;
  if (out) return "";
  EXPECT_EQ(out.error().kind(), ErrorKind::kInvalidArgument);
  return out.error().message();
}

TEST(ChangesLexerTest, QuotesAndEscapes) {
  EXPECT_EQ(Word("hello"), "hello");
  EXPECT_EQ(Word("he'l'\"l\"o"), "hello");
  EXPECT_EQ(Word("'$PWD \\x'"), "$PWD \\x");
  EXPECT_EQ(Word("\"a\\\"b\\$c\\\\d\\ne\""), "a\"b$c\\d\\ne");
  EXPECT_EQ(Word("a\\ b\\'c"), "a b'c");
  EXPECT_EQ(Word("trailing\\"), "trailing");
  EXPECT_EQ(Word("  spaces  kept "), "  spaces  kept ");
}

TEST(ChangesLexerTest, Variables) {
  EXPECT_EQ(Word("$PWD/x"), "/root/x");  // the later entry of a name wins
  EXPECT_EQ(Word("${PWD}x"), "/rootx");
  EXPECT_EQ(Word("\"$PWD\""), "/root");
  EXPECT_EQ(Word("\\$PWD"), "$PWD");
  EXPECT_EQ(Word("$UNSET."), ".");
  EXPECT_EQ(Word("$BARE."), ".");
  EXPECT_EQ(Word("cost: $"), "cost: $");
  EXPECT_EQ(Word("$1x"), "x");
}

TEST(ChangesLexerTest, Modifiers) {
  EXPECT_EQ(Word("${UNSET:-def}"), "def");
  EXPECT_EQ(Word("${EMPTY:-def}"), "def");
  EXPECT_EQ(Word("${EMPTY-def}"), "");
  EXPECT_EQ(Word("${UNSET-$PWD}"), "/root");
  EXPECT_EQ(Word("${PWD:+alt}"), "alt");
  EXPECT_EQ(Word("${EMPTY+alt}"), "alt");
  EXPECT_EQ(Word("${EMPTY:+alt}"), "");
  EXPECT_EQ(Word("${UNSET+alt}"), "");
  EXPECT_EQ(Word("${PWD:?}"), "/root");
  EXPECT_EQ(Word("${EMPTY?}"), "");
}

TEST(ChangesLexerTest, Patterns) {
  EXPECT_EQ(Word("${PATH#*/}"), "usr/local/bin:/usr/bin");
  EXPECT_EQ(Word("${PATH##*/}"), "bin");
  EXPECT_EQ(Word("${PATH%:*}"), "/usr/local/bin");
  EXPECT_EQ(Word("${PATH%%/*}"), "");
  EXPECT_EQ(Word("${PATH%b?n}"), "/usr/local/bin:/usr/");
  EXPECT_EQ(Word("${PATH#nomatch}"), "/usr/local/bin:/usr/bin");
  EXPECT_EQ(Word("${PATH/usr/opt}"), "/opt/local/bin:/usr/bin");
  EXPECT_EQ(Word("${PATH//usr/opt}"), "/opt/local/bin:/opt/bin");
  EXPECT_EQ(Word("${PATH//\\//|}"), "|usr|local|bin:|usr|bin");
  EXPECT_EQ(Word("${PWD/#/x}"), "/root");  // "#" is a literal character here
}

TEST(ChangesLexerTest, Errors) {
  EXPECT_EQ(WordError("${UNSET:?must be set}"),
            "failed to process \"${UNSET:?must be set}\": UNSET: must be set");
  EXPECT_EQ(WordError("${UNSET?}"),
            "failed to process \"${UNSET?}\": UNSET: is not allowed to be unset");
  EXPECT_EQ(WordError("${EMPTY:?}"),
            "failed to process \"${EMPTY:?}\": EMPTY: is not allowed to be empty");
  EXPECT_EQ(WordError("${PWD"), "failed to process \"${PWD\": syntax error: missing '}'");
  EXPECT_EQ(WordError("${PWD:-x"), "failed to process \"${PWD:-x\": syntax error: missing '}'");
  EXPECT_EQ(WordError("${:}"), "failed to process \"${:}\": syntax error: bad substitution");
  EXPECT_EQ(WordError("${PWD:#x}"),
            "failed to process \"${PWD:#x}\": unsupported modifier (:#) in substitution");
  EXPECT_EQ(WordError("${PWD^}"),
            "failed to process \"${PWD^}\": unsupported modifier (^) in substitution");
  EXPECT_EQ(WordError("'open"),
            "failed to process \"'open\": unexpected end of statement while looking for matching "
            "single-quote");
  EXPECT_EQ(WordError("\"open"),
            "failed to process \"\"open\": unexpected end of statement while looking for matching "
            "double-quote");
  EXPECT_NE(WordError("${PATH#\\x}").find("invalid escape '\\x'"), std::string::npos);
}

TEST(ChangesLexerTest, WordsSplitAfterExpansion) {
  Result<std::vector<std::string>> words = Lexer().Words("$PORTS \"a b\" c\\ d 8080");
  ASSERT_TRUE(words) << words.error().message();
  EXPECT_EQ(*words, (std::vector<std::string>{"80", "443", "a b", "c d", "8080"}));
  words = Lexer().Words("\"$PORTS\"");
  ASSERT_TRUE(words);
  EXPECT_EQ(*words, (std::vector<std::string>{"80 443"}));
  words = Lexer().Words("$UNSET");
  ASSERT_TRUE(words);
  EXPECT_TRUE(words->empty());
}

}  // namespace
}  // namespace berth::image::store
