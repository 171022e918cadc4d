#include "sys/unix_socket.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace berth::sys {
namespace {

TEST(SendWithFd, DeliversDataAndDescriptor) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  ASSERT_EQ(SendWithFd(pair[0], "hi", 2, pipe_fds[1]), 0);
  char buf[8] = {};
  iovec iov{buf, sizeof(buf)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ASSERT_EQ(recvmsg(pair[1], &msg, MSG_CMSG_CLOEXEC), 2);
  EXPECT_STREQ(buf, "hi");
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  ASSERT_NE(cmsg, nullptr);
  ASSERT_EQ(cmsg->cmsg_type, SCM_RIGHTS);
  int received;
  std::memcpy(&received, CMSG_DATA(cmsg), sizeof(int));
  // The received descriptor is the pipe's write end: what goes in arrives at the read end.
  ASSERT_EQ(write(received, "x", 1), 1);
  char c = 0;
  ASSERT_EQ(read(pipe_fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'x');
  for (int fd : {received, pipe_fds[0], pipe_fds[1], pair[0], pair[1]}) close(fd);
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
