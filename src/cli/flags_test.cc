#include "cli/flags.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

struct Fixture {
  bool detach = false, interactive = false, tty = false, rm = false;
  std::string name;
  std::vector<std::string> env;
  int64_t count = 0;
  FlagSet flags;
  Fixture() {
    flags.Bool(&detach, "d,detach", "");
    flags.Bool(&interactive, "i,interactive", "");
    flags.Bool(&tty, "t,tty", "");
    flags.Bool(&rm, "rm", "");
    flags.String(&name, "name", "");
    flags.Strings(&env, "e,env", "");
    flags.Int(&count, "n,last", "");
  }
};

TEST(FlagsTest, PflagForms) {
  Fixture f;
  auto rest = f.flags.Parse({"-it", "--rm", "--name=web", "-e", "A=1", "-eB=2", "-e=C=3", "--env",
                             "D=4", "-n5", "image", "cmd"});
  ASSERT_TRUE(rest) << rest.error().message();
  EXPECT_TRUE(f.interactive && f.tty && f.rm);
  EXPECT_FALSE(f.detach);
  EXPECT_EQ(f.name, "web");
  EXPECT_EQ(f.env, (std::vector<std::string>{"A=1", "B=2", "C=3", "D=4"}));
  EXPECT_EQ(f.count, 5);
  EXPECT_TRUE(f.flags.Changed("name"));
  EXPECT_FALSE(f.flags.Changed("detach"));
  EXPECT_EQ(*rest, (std::vector<std::string>{"image", "cmd"}));
}

TEST(FlagsTest, NotInterspersedStopsAtTheFirstPositional) {
  Fixture f;
  auto rest = f.flags.Parse({"-d", "busybox", "ls", "-l", "--rm"}, /*interspersed=*/false);
  ASSERT_TRUE(rest);
  EXPECT_TRUE(f.detach);
  EXPECT_FALSE(f.rm);
  EXPECT_EQ(*rest, (std::vector<std::string>{"busybox", "ls", "-l", "--rm"}));
}

TEST(FlagsTest, InterspersedTakesFlagsAfterPositionals) {
  Fixture f;
  auto rest = f.flags.Parse({"a", "--rm", "b", "--", "-d"});
  ASSERT_TRUE(rest);
  EXPECT_TRUE(f.rm);
  EXPECT_FALSE(f.detach);
  EXPECT_EQ(*rest, (std::vector<std::string>{"a", "b", "-d"}));
}

TEST(FlagsTest, BoolsTakeExplicitValues) {
  Fixture f;
  f.detach = true;
  ASSERT_TRUE(f.flags.Parse({"--detach=false"}));
  EXPECT_FALSE(f.detach);
}

TEST(FlagsTest, ErrorsInPflagWords) {
  Fixture f;
  EXPECT_EQ(f.flags.Parse({"--foo"}).error().message(), "unknown flag: --foo");
  EXPECT_EQ(f.flags.Parse({"-x"}).error().message(), "unknown shorthand flag: 'x' in -x");
  EXPECT_EQ(f.flags.Parse({"--name"}).error().message(), "flag needs an argument: --name");
  EXPECT_EQ(f.flags.Parse({"-e"}).error().message(), "flag needs an argument: 'e' in -e");
  EXPECT_EQ(f.flags.Parse({"-n", "x"}).error().message(),
            "invalid argument \"x\" for \"-n, --last\" flag: strconv.ParseInt: parsing \"x\": "
            "invalid syntax");
  EXPECT_EQ(f.flags.Parse({"--rm=maybe"}).error().message(),
            "invalid argument \"maybe\" for \"--rm\" flag: strconv.ParseBool: parsing \"maybe\": "
            "invalid syntax");
}

TEST(FlagsTest, Help) {
  Fixture f;
  ASSERT_TRUE(f.flags.Parse({"--help"}));
  EXPECT_TRUE(f.flags.help());
  EXPECT_NE(f.flags.Usage().find("  -d, --detach"), std::string::npos);
  EXPECT_NE(f.flags.Usage().find("      --name string"), std::string::npos);
}

}  // namespace
}  // namespace berth::cli
