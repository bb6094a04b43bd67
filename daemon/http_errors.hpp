// The one place where omni errors become HTTP statuses and JSON error
// bodies: {"error":{"code":"not_found","message":"...","hint":"..."}}.
//
//   InvalidInput 400, NotFound 404, Conflict 409, LimitReached 402 (the plan
//   does not allow it), Unavailable 503, UpstreamError 502, ConfigError 500,
//   anything else 500 "internal".
// A 5xx body says only what kind of failure it was, with the request's id:
// its message may name a host, a port, a socket or the database, which the
// public never sees. The full message goes to the server log under that id.
// Thread-safe: pure functions, apart from the log line.
#pragma once

#include <exception>
#include <string>

#include "daemon/handler.hpp"

namespace omni::omnid {

// A JSON error response; `hint` is left out of the body when empty.
Response ErrorResponse(int status, const std::string& code, const std::string& message,
                       const std::string& hint = {});

// The response for an exception a handler threw while answering `request`.
// Logs a 5xx with the request's id and route (warn for 502 and 503, error
// for 500).
Response ResponseForException(const std::exception_ptr& error, const Request& request);

// The exception's message, for the server log.
std::string DescribeException(const std::exception_ptr& error);

}  // namespace omni::omnid
