#include "base/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "base/file.h"

namespace berth {
namespace {

TEST(ChildProcess, ReportsExitCode) {
  auto child = ChildProcess::Spawn({.argv = {"sh", "-c", "exit 7"}});
  ASSERT_TRUE(child) << child.error().message();
  auto status = child->Wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 7);
  EXPECT_EQ(status->ShellCode(), 7);
}

TEST(ChildProcess, RunForOutputReadsUntilEveryWriterIsDone) {
  // The program's background child writes after the program itself has exited.
  Result<ProgramOutput> out =
      RunForOutput({.argv = {"sh", "-c", "(sleep 0.1; echo late) & echo early; exit 4"}});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->out, "early\nlate\n");
  EXPECT_EQ(out->status.exit_code, 4);
  Result<ProgramOutput> missing = RunForOutput({.argv = {"/nonexistent/program"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status.ShellCode(), 127);  // the exec failed in the child
  EXPECT_EQ(missing->out, "");
}

TEST(ChildProcess, ReportsSignalAndTimesOut) {
  auto child = ChildProcess::Spawn({.argv = {"sleep", "10"}});
  ASSERT_TRUE(child);
  auto early = child->Wait(10);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().kind(), ErrorKind::kDeadlineExceeded);
  ASSERT_TRUE(child->Signal(SIGTERM));
  auto status = child->Wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->signal, SIGTERM);
  EXPECT_EQ(status->ShellCode(), 128 + SIGTERM);
}

TEST(ChildProcess, PassesEnvironmentAndStdio) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  auto child = ChildProcess::Spawn({.argv = {"sh", "-c", "echo \"$GREETING\""},
                                    .env = std::vector<std::string>{"GREETING=hi"},
                                    .stdout_fd = fds[1]});
  close(fds[1]);
  ASSERT_TRUE(child);
  char buf[16] = {};
  ASSERT_EQ(read(fds[0], buf, sizeof(buf)), 3);
  close(fds[0]);
  EXPECT_STREQ(buf, "hi\n");
  EXPECT_TRUE(child->Wait()->Success());
}

TEST(ChildProcess, MissingProgramExits127) {
  auto child = ChildProcess::Spawn({.argv = {"/nonexistent/program"}});
  ASSERT_TRUE(child);
  EXPECT_EQ(child->Wait()->exit_code, 127);
}

TEST(ChildProcess, DestructorKillsAndReaps) {
  pid_t pid;
  {
    auto child = ChildProcess::Spawn({.argv = {"sleep", "10"}});
    ASSERT_TRUE(child);
    pid = child->pid();
  }
  EXPECT_EQ(kill(pid, 0), -1);
}

}  // namespace
}  // namespace berth
