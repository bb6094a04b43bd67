// See exit_code.hpp.
#include "core/common/exit_code.hpp"

#include "core/common/error.hpp"

namespace omni {

ExitCode ExitCodeFor(const std::exception& error) {
  if (dynamic_cast<const InvalidInput*>(&error)) return kExitUsage;
  if (dynamic_cast<const ConfigError*>(&error)) return kExitConfigInvalid;
  if (dynamic_cast<const Unavailable*>(&error)) return kExitUnavailable;
  if (dynamic_cast<const NotFound*>(&error)) return kExitNotFound;
  if (dynamic_cast<const Conflict*>(&error)) return kExitConflict;
  if (dynamic_cast<const LimitReached*>(&error)) return kExitLimitReached;
  return kExitFailure;
}

}  // namespace omni
