#include "sys/unix_socket.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace berth::sys {
namespace {

TEST(SendWithFd, RecvWithFdGetsTheDataAndTheDescriptor) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  ASSERT_EQ(SendWithFd(pair[0], "hi", 2, pipe_fds[1]), 0);
  char buf[8] = {};
  UniqueFd received;
  ASSERT_EQ(RecvWithFd(pair[1], buf, sizeof(buf), &received), 2);
  EXPECT_STREQ(buf, "hi");
  ASSERT_TRUE(received);
  // The received descriptor is the pipe's write end: what goes in arrives at the read end.
  ASSERT_EQ(write(received.get(), "x", 1), 1);
  char c = 0;
  ASSERT_EQ(read(pipe_fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'x');
  for (int fd : {pipe_fds[0], pipe_fds[1], pair[0], pair[1]}) close(fd);
}

TEST(SendWithFd, ReportsAClosedPeer) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  close(pair[1]);
  EXPECT_EQ(SendWithFd(pair[0], "x", 1, -1), -EPIPE);
  close(pair[0]);
}

}  // namespace
}  // namespace berth::sys
