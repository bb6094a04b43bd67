// The one error tree of omni. Every failure a user can see is one of these.
//
// Adapters map them to outcomes in exactly one place each: ExitCodeFor
// (core/common/exit_code.hpp) to exit codes, daemon/http_errors.cpp to HTTP
// statuses. Messages are lower-case, name the
// input and say what failed; `hint` is an optional full sentence of advice.
// Expected outcomes (a slot taken, nothing found in a search) are return
// values, not exceptions. Thread-safe: these are plain values.
#pragma once

#include <stdexcept>
#include <string>

namespace omni {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, std::string hint = {})
      : std::runtime_error(message), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

// The configuration file or a declared resource (business file) is invalid.
class ConfigError : public Error { using Error::Error; };
// A caller passed something malformed or out of range.
class InvalidInput : public Error { using Error::Error; };
// The named thing does not exist (in the caller's business).
class NotFound : public Error { using Error::Error; };
// The request contradicts current state (duplicate, already taken, wrong state).
class Conflict : public Error { using Error::Error; };
// The business's plan does not allow more of this.
class LimitReached : public Error { using Error::Error; };
// A dependency (database, disk, network) could not be reached.
class Unavailable : public Error { using Error::Error; };
// A remote service answered, but with an error.
class UpstreamError : public Error { using Error::Error; };

}  // namespace omni
