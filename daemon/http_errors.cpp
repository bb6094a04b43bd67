// Error-to-HTTP mapping; see http_errors.hpp.
#include "daemon/http_errors.hpp"

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"

namespace omni::omnid {

Response ErrorResponse(int status, const std::string& code, const std::string& message, const std::string& hint) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!hint.empty()) error["hint"] = hint;
  auto response = Response::Json(status, {{"error", std::move(error)}});
  response.headers.Set("Cache-Control", "no-store");
  return response;
}

Response ResponseForException(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const InvalidInput& e) {
    return ErrorResponse(400, "invalid_input", e.what(), e.hint());
  } catch (const NotFound& e) {
    return ErrorResponse(404, "not_found", e.what(), e.hint());
  } catch (const Conflict& e) {
    return ErrorResponse(409, "conflict", e.what(), e.hint());
  } catch (const LimitReached& e) {
    return ErrorResponse(402, "limit_reached", e.what(), e.hint());
  } catch (const Unavailable& e) {
    auto response = ErrorResponse(503, "unavailable", e.what(), e.hint());
    response.headers.Set("Retry-After", "5");
    return response;
  } catch (const UpstreamError& e) {
    return ErrorResponse(502, "upstream_error", e.what(), e.hint());
  } catch (const ConfigError& e) {
    return ErrorResponse(500, "config_error", e.what(), e.hint());
  } catch (...) {
    return ErrorResponse(500, "internal", "internal error",
                         "The server log has the details under this request's X-Request-Id.");
  }
}

std::string DescribeException(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace omni::omnid
