// SIGINT: exit 130 at once, or set a flag for commands that stop gracefully.
#include "cmd/interrupt.hpp"

#include <unistd.h>

#include <csignal>

#include "core/common/exit_code.hpp"

namespace omni::cli {
namespace {

std::atomic<bool> interrupted{false};
std::atomic<bool> graceful{false};

extern "C" void OnSigint(int) {
  if (!graceful.load() || interrupted.exchange(true)) _exit(kExitInterrupted);
}

}  // namespace

void InstallInterruptHandler() {
  struct sigaction action {};
  action.sa_handler = OnSigint;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

void EnableGracefulInterrupt() { graceful.store(true); }

const std::atomic<bool>& InterruptFlag() { return interrupted; }

void ThrowIfInterrupted() {
  if (interrupted.load()) throw Interrupted();
}

}  // namespace omni::cli
