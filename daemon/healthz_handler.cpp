// GET /healthz: liveness. Answers as long as the process serves HTTP; it
// deliberately checks nothing else, so that an orchestrator restarts omnid
// only when omnid itself is stuck (readiness is /readyz).
#include <nlohmann/json.hpp>

#include "daemon/handlers.hpp"

namespace omni::omnid {

asio::awaitable<Response> HandleHealthz(Exchange&) { co_return Response::Json(200, {{"status", "ok"}}); }

}  // namespace omni::omnid
