#include "base/shutdown_signals.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth {
namespace {

// In a child, so that the test process keeps its own signal mask: a blocked SIGTERM sent before
// the wait is taken by it, not delivered, and SIGPIPE no longer kills.
TEST(ShutdownSignalsTest, BlockedSignalIsTakenByTheWaitAndSigpipeIsIgnored) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    BlockShutdownSignals();
    kill(getpid(), SIGTERM);
    if (WaitForShutdownSignal() != SIGTERM) _exit(1);
    kill(getpid(), SIGINT);
    if (WaitForShutdownSignal() != SIGINT) _exit(2);
    int fds[2];
    if (pipe(fds) != 0) _exit(3);
    close(fds[0]);
    if (write(fds[1], "x", 1) != -1 || errno != EPIPE) _exit(4);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace berth
