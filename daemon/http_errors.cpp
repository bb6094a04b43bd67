// Error-to-HTTP mapping; see http_errors.hpp.
#include "daemon/http_errors.hpp"

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/log.hpp"

namespace omni::omnid {
namespace {

// What the public learns of a failure on the server's side.
Response ServerFailure(int status, const std::string& code, const std::string& message, const Request& request) {
  nlohmann::json error = {{"code", code},
                          {"message", message},
                          {"hint", "The server log has the details under this request_id."},
                          {"request_id", request.request_id}};
  auto response = Response::Json(status, {{"error", std::move(error)}});
  response.headers.Set("Cache-Control", "no-store");
  return response;
}

}  // namespace

Response ErrorResponse(int status, const std::string& code, const std::string& message, const std::string& hint) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!hint.empty()) error["hint"] = hint;
  auto response = Response::Json(status, {{"error", std::move(error)}});
  response.headers.Set("Cache-Control", "no-store");
  return response;
}

Response ResponseForException(const std::exception_ptr& error, const Request& request) {
  Response response;
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
  } catch (const ClientGone& e) {
    // Nobody reads this answer; the visitor closing the tab is no fault.
    log::Info("client left", {{"request_id", request.request_id}, {"route", request.route}, {"detail", e.what()}});
    return ServerFailure(503, "unavailable", "service unavailable", request);
  } catch (const Unavailable&) {
    response = ServerFailure(503, "unavailable", "service unavailable", request);
    response.headers.Set("Retry-After", "5");
  } catch (const UpstreamError&) {
    response = ServerFailure(502, "upstream_error", "an upstream service failed", request);
  } catch (const ConfigError&) {
    response = ServerFailure(500, "config_error", "internal error", request);
  } catch (...) {
    response = ServerFailure(500, "internal", "internal error", request);
  }
  // A bug or a broken config is an error; a dependency being down (502,
  // 503) is expected now and then.
  log::Write(response.status == 500 ? log::Level::kError : log::Level::kWarn, "request failed",
             {{"request_id", request.request_id}, {"route", request.route}, {"error", DescribeException(error)}});
  return response;
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
