// How a server process is asked to stop: SIGINT or SIGTERM, taken by one thread with sigwait.
// BlockShutdownSignals, called first in main (before any thread starts), blocks both in every
// thread started later and ignores SIGPIPE, so that a peer closing a pipe or socket does not kill
// the process; WaitForShutdownSignal then waits for one of them on the calling thread, logs it and
// returns it.
#pragma once

namespace berth {

void BlockShutdownSignals();
int WaitForShutdownSignal();

}  // namespace berth
