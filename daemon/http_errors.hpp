// The one place where omni errors become HTTP statuses and JSON error
// bodies: {"error":{"code":"not_found","message":"...","hint":"..."}}.
//
//   InvalidInput 400, NotFound 404, Conflict 409, LimitReached 402 (the plan
//   does not allow it), Unavailable 503, UpstreamError 502, ConfigError 500,
//   anything else 500 "internal" (details only in the server log).
// Thread-safe: pure functions.
#pragma once

#include <exception>
#include <string>

#include "daemon/handler.hpp"

namespace omni::omnid {

// A JSON error response; `hint` is left out of the body when empty.
Response ErrorResponse(int status, const std::string& code, const std::string& message,
                       const std::string& hint = {});

// The response for an exception a handler threw.
Response ResponseForException(const std::exception_ptr& error);

// The exception's message, for the server log.
std::string DescribeException(const std::exception_ptr& error);

}  // namespace omni::omnid
