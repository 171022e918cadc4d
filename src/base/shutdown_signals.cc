#include "base/shutdown_signals.h"

#include <pthread.h>
#include <signal.h>

#include "base/log.h"

namespace berth {
namespace {

sigset_t ShutdownSet() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

}  // namespace

void BlockShutdownSignals() {
  const sigset_t signals = ShutdownSet();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int WaitForShutdownSignal() {
  const sigset_t signals = ShutdownSet();
  int signal = 0;
  while (sigwait(&signals, &signal) != 0) {
  }
  log::Info("received {}, shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
  return signal;
}

}  // namespace berth
