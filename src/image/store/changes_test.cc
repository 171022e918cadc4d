#include "image/store/changes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::image::store {
namespace {

using oci::ContainerConfig;
using Strings = std::vector<std::string>;

ContainerConfig Apply(const Strings& changes, ContainerConfig base = {}) {
  Result<ContainerConfig> out = ApplyChanges(std::move(base), changes);
  EXPECT_TRUE(out) << out.error().message();
  return out ? *out : ContainerConfig{};
}

std::string ApplyError(const Strings& changes, ContainerConfig base = {}) {
  Result<ContainerConfig> out = ApplyChanges(std::move(base), changes);
  EXPECT_FALSE(out);
  if (out) return "";
  EXPECT_EQ(out.error().kind(), ErrorKind::kInvalidArgument);
  return out.error().message();
}

TEST(ChangesTest, NoChangesKeepTheConfig) {
  ContainerConfig base;
  base.cmd = Strings{"sh"};
  base.env = {"A=1"};
  EXPECT_EQ(Apply({}, base), base);
  EXPECT_EQ(ApplyError({""}), "apply changes: file with no instructions");
  EXPECT_EQ(ApplyError({"# only a comment"}), "apply changes: file with no instructions");
}

TEST(ChangesTest, CmdShellAndExecForms) {
  EXPECT_EQ(Apply({"CMD echo hi  there"}).cmd, (Strings{"/bin/sh", "-c", "echo hi  there"}));
  EXPECT_EQ(Apply({"cmd [\"/bin/echo\", \"a b\"]"}).cmd, (Strings{"/bin/echo", "a b"}));
  EXPECT_EQ(Apply({"CMD [abc"}).cmd, (Strings{"/bin/sh", "-c", "[abc"}));
  EXPECT_EQ(Apply({"CMD []"}).cmd, Strings{});
  EXPECT_EQ(Apply({"CMD"}).cmd, (Strings{"/bin/sh", "-c"}));
  ContainerConfig with_shell;
  with_shell.shell = {"/bin/bash", "-ec"};
  EXPECT_EQ(Apply({"CMD make"}, with_shell).cmd, (Strings{"/bin/bash", "-ec", "make"}));
  EXPECT_EQ(ApplyError({"CMD [\"a\", 1]"}),
            "apply change \"CMD [\"a\", 1]\": when using JSON array syntax, arrays must be "
            "comprised of strings only");
}

TEST(ChangesTest, EntrypointResetsCmdUnlessACmdCameFirst) {
  ContainerConfig base;
  base.cmd = Strings{"--help"};
  ContainerConfig out = Apply({"ENTRYPOINT [\"/app\"]"}, base);
  EXPECT_EQ(out.entrypoint, Strings{"/app"});
  EXPECT_FALSE(out.cmd.has_value());

  out = Apply({"CMD [\"-v\"]", "ENTRYPOINT /app run"}, base);
  EXPECT_EQ(out.entrypoint, (Strings{"/bin/sh", "-c", "/app run"}));
  EXPECT_EQ(out.cmd, Strings{"-v"});

  base.entrypoint = Strings{"/old"};
  out = Apply({"ENTRYPOINT []"}, base);
  EXPECT_FALSE(out.entrypoint.has_value());
  EXPECT_FALSE(out.cmd.has_value());
}

TEST(ChangesTest, EnvFormsReplaceInPlaceAndExpandFromTheEnvBefore) {
  ContainerConfig base;
  base.env = {"PATH=/bin", "A=1"};
  ContainerConfig out = Apply(
      {"ENV A=2 B=$A C=\"two words\" D=${PATH}:/x", "ENV E hello   \"big\" world", "ENV F=$B"},
      base);
  EXPECT_EQ(out.env, (Strings{"PATH=/bin", "A=2", "B=1", "C=two words", "D=/bin:/x",
                              "E=hello   big world", "F=1"}));
  EXPECT_EQ(ApplyError({"ENV"}), "apply change \"ENV\": ENV requires at least one argument");
  EXPECT_EQ(ApplyError({"ENV A"}), "apply change \"ENV A\": ENV must have two arguments");
  EXPECT_EQ(ApplyError({"ENV A=1 B"}),
            "apply change \"ENV A=1 B\": Syntax error - can't find = in \"B\". Must be of the "
            "form: name=value");
  EXPECT_EQ(ApplyError({"ENV =1"}), "apply change \"ENV =1\": ENV names can not be blank");
}

TEST(ChangesTest, Labels) {
  ContainerConfig base;
  base.labels = {{"keep", "me"}, {"version", "0.9"}};
  base.env = {"V=1.0"};
  ContainerConfig out = Apply(
      {"LABEL \"com.example.vendor\"=\"ACME Incorporated\" version=$V", "LABEL legacy a b"}, base);
  EXPECT_EQ(out.labels,
            (std::map<std::string, std::string>{{"com.example.vendor", "ACME Incorporated"},
                                                {"keep", "me"},
                                                {"legacy", "a b"},
                                                {"version", "1.0"}}));
}

TEST(ChangesTest, ExposeSpecsRangesAndVariables) {
  ContainerConfig base;
  base.env = {"PORTS=9000 9001/udp"};
  ContainerConfig out = Apply({"EXPOSE 80 443/UDP 8000-8002/tcp $PORTS 127.0.0.1:7000:70"}, base);
  EXPECT_EQ(out.exposed_ports,
            (std::set<std::string>{"443/udp", "70/tcp", "80/tcp", "8000/tcp", "8001/tcp",
                                   "8002/tcp", "9000/tcp", "9001/udp"}));
  EXPECT_EQ(ApplyError({"EXPOSE 80/xyz"}), "apply change \"EXPOSE 80/xyz\": invalid proto: xyz");
  EXPECT_EQ(ApplyError({"EXPOSE 99999"}),
            "apply change \"EXPOSE 99999\": invalid containerPort: 99999");
  EXPECT_EQ(ApplyError({"EXPOSE /tcp"}),
            "apply change \"EXPOSE /tcp\": no port specified: /tcp<empty>");
  EXPECT_EQ(ApplyError({"EXPOSE"}),
            "apply change \"EXPOSE\": EXPOSE requires at least one argument");
  EXPECT_EQ(ApplyError({"EXPOSE --proto=udp 80"}),
            "apply change \"EXPOSE --proto=udp 80\": unknown flag: proto");
}

TEST(ChangesTest, VolumesUserWorkdirStopSignal) {
  ContainerConfig base;
  base.env = {"HOME=/home/app", "U=app"};
  base.working_dir = "/srv";
  ContainerConfig out =
      Apply({"VOLUME [\"/data\", \"$HOME/cache\"]", "VOLUME /logs /tmp/x", "USER \"$U\":staff",
             "WORKDIR web", "WORKDIR ../lib//./x", "STOPSIGNAL sigusr1"},
            base);
  EXPECT_EQ(out.volumes, (std::set<std::string>{"/data", "/home/app/cache", "/logs", "/tmp/x"}));
  EXPECT_EQ(out.user, "app:staff");
  EXPECT_EQ(out.working_dir, "/srv/lib/x");
  EXPECT_EQ(out.stop_signal, "sigusr1");
  EXPECT_EQ(Apply({"WORKDIR /a/b/../c/"}).working_dir, "/a/c");
  EXPECT_EQ(Apply({"STOPSIGNAL 9"}).stop_signal, "9");
  EXPECT_EQ(Apply({"STOPSIGNAL RTMIN+3"}).stop_signal, "RTMIN+3");
  EXPECT_EQ(ApplyError({"STOPSIGNAL SIGFOO"}),
            "apply change \"STOPSIGNAL SIGFOO\": invalid signal: SIGFOO");
  EXPECT_EQ(ApplyError({"USER"}), "apply change \"USER\": USER requires exactly one argument");
  EXPECT_EQ(ApplyError({"VOLUME [\"\"]"}),
            "apply change \"VOLUME [\"\"]\": VOLUME specified can not be an empty string");
  EXPECT_EQ(ApplyError({"WORKDIR $NOTHING"}),
            "apply change \"WORKDIR $NOTHING\": cannot normalize nothing");
}

TEST(ChangesTest, Onbuild) {
  ContainerConfig out = Apply({"ONBUILD RUN make  install", "onbuild   COPY . /src"});
  EXPECT_EQ(out.on_build, (Strings{"RUN make  install", "COPY . /src"}));
  EXPECT_EQ(ApplyError({"ONBUILD ONBUILD RUN x"}),
            "apply change \"ONBUILD ONBUILD RUN x\": Chaining ONBUILD via `ONBUILD ONBUILD` isn't "
            "allowed");
  EXPECT_EQ(ApplyError({"ONBUILD from x"}),
            "apply change \"ONBUILD from x\": FROM isn't allowed as an ONBUILD trigger");
}

TEST(ChangesTest, Healthcheck) {
  ContainerConfig out =
      Apply({"HEALTHCHECK --interval=5s --timeout=1m30s --retries=3 CMD curl -f http://x/"});
  ASSERT_TRUE(out.healthcheck);
  EXPECT_EQ(out.healthcheck->test, (Strings{"CMD-SHELL", "curl -f http://x/"}));
  EXPECT_EQ(out.healthcheck->interval_ns, 5'000'000'000);
  EXPECT_EQ(out.healthcheck->timeout_ns, 90'000'000'000);
  EXPECT_EQ(out.healthcheck->retries, 3);
  out = Apply({"HEALTHCHECK cmd [\"/check\", \"-q\"]"});
  EXPECT_EQ(out.healthcheck->test, (Strings{"CMD", "/check", "-q"}));
  out = Apply({"HEALTHCHECK NONE"});
  EXPECT_EQ(out.healthcheck->test, Strings{"NONE"});
  EXPECT_EQ(ApplyError({"HEALTHCHECK --interval=10us CMD x"}),
            "apply change \"HEALTHCHECK --interval=10us CMD x\": Interval \"interval\" cannot be "
            "less than 1ms");
  EXPECT_EQ(ApplyError({"HEALTHCHECK --every=1s CMD x"}),
            "apply change \"HEALTHCHECK --every=1s CMD x\": unknown flag: every");
  EXPECT_EQ(ApplyError({"HEALTHCHECK --retries=-1 CMD x"}),
            "apply change \"HEALTHCHECK --retries=-1 CMD x\": --retries cannot be negative (-1)");
  EXPECT_EQ(ApplyError({"HEALTHCHECK CMD"}),
            "apply change \"HEALTHCHECK CMD\": Missing command after HEALTHCHECK CMD");
  EXPECT_EQ(ApplyError({"HEALTHCHECK PING x"}),
            "apply change \"HEALTHCHECK PING x\": Unknown type \"PING\" in HEALTHCHECK (try CMD)");
  EXPECT_EQ(ApplyError({"HEALTHCHECK NONE x"}),
            "apply change \"HEALTHCHECK NONE x\": HEALTHCHECK NONE takes no arguments");
}

TEST(ChangesTest, OtherInstructionsAreRefusedAsDockerDoes) {
  EXPECT_EQ(ApplyError({"RUN make"}),
            "apply change \"RUN make\": RUN is not a valid change command");
  EXPECT_EQ(ApplyError({"CMD x", "copy . /"}),
            "apply change \"copy . /\": copy is not a valid change command");
  EXPECT_EQ(ApplyError({"FROM scratch"}),
            "apply change \"FROM scratch\": FROM is not a valid change command");
}

TEST(ChangesTest, ChangesAreOneDockerfile) {
  ContainerConfig out = Apply(
      {"# a comment", "ENV A=1 \\", "  # inside", "", "    B=2", "  LABEL x=y", "USER nobody"});
  EXPECT_EQ(out.env, (Strings{"A=1", "B=2"}));
  EXPECT_EQ(out.labels.at("x"), "y");
  EXPECT_EQ(out.user, "nobody");
}

}  // namespace
}  // namespace berth::image::store
