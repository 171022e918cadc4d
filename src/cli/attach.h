// The local end of an attached container or exec session: the hijacked connection's output to
// stdout/stderr (demultiplexed unless a tty is used), stdin to the connection (half-closed at
// its end), the local terminal in raw mode with a tty, window size changes sent as resizes, the
// detach key sequence (default Ctrl-P Ctrl-Q) ending the session, and signals proxied to the
// container. One poll loop on the calling thread, signals read from a signalfd.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "client/client.h"

namespace berth::cli {

struct AttachOptions {
  // The local ends: the terminal's, or pipes in tests.
  int in_fd = 0;
  int out_fd = 1;
  int err_fd = 2;
  bool stdin = false;  // send in_fd's bytes
  bool tty = false;    // raw stream; local terminal in raw mode when stdin is one
  std::string detach_keys = "ctrl-p,ctrl-q";
  // Resize is called with (height, width) at start and on SIGWINCH when a tty is used.
  std::function<void(int height, int width)> resize;
  // Signal is called with each signal received when proxying (nullptr: signals act locally).
  std::function<void(int signal)> signal;
};

enum class AttachEnd { kOutputEnded, kDetached };

// ParseDetachKeys reads docker's key sequence ("ctrl-p,ctrl-q", "a", "ctrl-@"); a bad sequence
// is kInvalidArgument.
Result<std::string> ParseDetachKeys(const std::string& spec);

// Pump runs the session until the output ends or the user detaches.
Result<AttachEnd> Pump(client::Hijacked& stream, const AttachOptions& options);

}  // namespace berth::cli
