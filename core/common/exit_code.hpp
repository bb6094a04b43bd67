// The exit codes of omni and omnid, the same for both (their man pages list
// them), and the one mapping from the error tree to them.
#pragma once

#include <exception>

namespace omni {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,        // any other error
  kExitUsage = 2,          // bad arguments or input (InvalidInput)
  kExitConfigInvalid = 3,  // ConfigError
  kExitUnavailable = 4,    // Unavailable: the database, the network
  kExitNotFound = 5,       // NotFound
  kExitConflict = 6,       // Conflict
  kExitLimitReached = 7,   // LimitReached: the plan allows no more
  kExitInterrupted = 130,  // SIGINT, as shells report it
};

// The exit code for `error`: by its class in the omni error tree, else
// kExitFailure.
ExitCode ExitCodeFor(const std::exception& error);

}  // namespace omni
