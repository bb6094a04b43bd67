// Ctrl-C handling. By default SIGINT exits at once with 130. A long command
// that can stop at a safe point (ingest between files) calls
// EnableGracefulInterrupt: then the first SIGINT only sets a flag that it
// polls (it throws Interrupted, exit 130) and a second one exits at once.
#pragma once

#include <atomic>

#include "core/common/error.hpp"

namespace omni::cli {

class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted") {}
};

void InstallInterruptHandler();
void EnableGracefulInterrupt();
// The flag that core work polls to stop early (e.g. ingest between files).
const std::atomic<bool>& InterruptFlag();
// Throws Interrupted when Ctrl-C was pressed.
void ThrowIfInterrupted();

}  // namespace omni::cli
