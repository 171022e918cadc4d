// The attached session over a real socketpair and pipes: what the "daemon" end sends comes out on
// the right local descriptor, local input reaches the daemon end and is half-closed at its end,
// and the detach keys end a tty session.
#include "cli/attach.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "base/unique_fd.h"
#include "client/stdcopy.h"

namespace berth::cli {
namespace {

struct Pipe {
  UniqueFd read, write;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read = UniqueFd(fds[0]);
    write = UniqueFd(fds[1]);
  }
};

std::string ReadAll(int fd) {
  std::string out;
  char data[4096];
  ssize_t n;
  while ((n = ::read(fd, data, sizeof(data))) > 0) out.append(data, static_cast<size_t>(n));
  return out;
}

std::string Frame(client::StdStream stream, std::string_view payload) {
  return client::FrameHeader(stream, static_cast<uint32_t>(payload.size())) + std::string(payload);
}

struct Session {
  UniqueFd daemon_end;
  client::Hijacked hijacked;
  Pipe in, out, err;
  Session() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    daemon_end = UniqueFd(fds[0]);
    hijacked.fd = UniqueFd(fds[1]);
  }
  AttachOptions Options(bool stdin, bool tty) {
    AttachOptions options;
    options.in_fd = in.read.get();
    options.out_fd = out.write.get();
    options.err_fd = err.write.get();
    options.stdin = stdin;
    options.tty = tty;
    return options;
  }
};

TEST(AttachTest, DemultiplexesOutputAndForwardsInput) {
  Session s;
  // Bytes that arrived with the response head come first.
  s.hijacked.already_read = Frame(client::StdStream::kStdout, "early ");
  std::string received;
  std::thread daemon([&] {
    std::string wire =
        Frame(client::StdStream::kStdout, "out\n") + Frame(client::StdStream::kStderr, "err\n");
    ASSERT_EQ(write(s.daemon_end.get(), wire.data(), wire.size()),
              static_cast<ssize_t>(wire.size()));
    // What the client sends until it half-closes, then the daemon ends the stream.
    received = ReadAll(s.daemon_end.get());
    s.daemon_end.Reset();
  });
  ASSERT_EQ(write(s.in.write.get(), "typed", 5), 5);
  s.in.write.Reset();
  Result<AttachEnd> end = Pump(s.hijacked, s.Options(/*stdin=*/true, /*tty=*/false));
  daemon.join();
  ASSERT_TRUE(end) << end.error().message();
  EXPECT_EQ(*end, AttachEnd::kOutputEnded);
  EXPECT_EQ(received, "typed");
  s.out.write.Reset();
  s.err.write.Reset();
  EXPECT_EQ(ReadAll(s.out.read.get()), "early out\n");
  EXPECT_EQ(ReadAll(s.err.read.get()), "err\n");
}

TEST(AttachTest, TtyOutputIsRawAndDetachKeysEndTheSession) {
  Session s;
  std::string tty_bytes = "\x1b[1mraw\r\n";
  ASSERT_EQ(write(s.daemon_end.get(), tty_bytes.data(), tty_bytes.size()),
            static_cast<ssize_t>(tty_bytes.size()));
  // Ctrl-P alone is passed on once the next byte is not Ctrl-Q; Ctrl-P Ctrl-Q detaches.
  std::string typed = "ls\x10x\x10\x11ignored";
  ASSERT_EQ(write(s.in.write.get(), typed.data(), typed.size()),
            static_cast<ssize_t>(typed.size()));
  Result<AttachEnd> end = Pump(s.hijacked, s.Options(/*stdin=*/true, /*tty=*/true));
  ASSERT_TRUE(end) << end.error().message();
  EXPECT_EQ(*end, AttachEnd::kDetached);
  s.hijacked.fd.Reset();
  EXPECT_EQ(ReadAll(s.daemon_end.get()), "ls\x10x");
  s.out.write.Reset();
  EXPECT_EQ(ReadAll(s.out.read.get()), tty_bytes);
}

TEST(AttachTest, ADaemonErrorFrameIsAnError) {
  Session s;
  std::string wire = Frame(client::StdStream::kSystemErr, "exec failed");
  ASSERT_EQ(write(s.daemon_end.get(), wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  s.daemon_end.Reset();
  Result<AttachEnd> end = Pump(s.hijacked, s.Options(false, false));
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().message(), "exec failed");
}

TEST(AttachTest, DetachKeys) {
  EXPECT_EQ(*ParseDetachKeys("ctrl-p,ctrl-q"), "\x10\x11");
  EXPECT_EQ(*ParseDetachKeys("a,ctrl-@,ctrl-["), std::string("a\0\x1b", 3));
  EXPECT_EQ(ParseDetachKeys("ctrl-1").error().message(), "Unknown character: 'ctrl-1'");
  EXPECT_FALSE(ParseDetachKeys("shift-a"));
}

}  // namespace
}  // namespace berth::cli
