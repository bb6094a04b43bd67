// GET /readyz: readiness. omnid is ready when its database answers and the
// schema holds every migration this build knows, with matching checksums; a
// load balancer should send it traffic only then. Answers 503 with the
// reason otherwise: {"status":"unavailable","database":"down",...} while the
// database is unreachable (how it is reached is only in the log), or the
// migrations that are pending or differ.
#include <nlohmann/json.hpp>
#include <optional>

#include "core/common/error.hpp"
#include "core/db/migrations.hpp"
#include "daemon/app.hpp"
#include "daemon/handlers.hpp"
#include "daemon/http_errors.hpp"

namespace omni::omnid {

asio::awaitable<Response> HandleReadyz(Exchange& exchange) {
  const App& app = exchange.app();
  std::optional<db::MigrationStatus> status;
  std::exception_ptr unreachable;
  try {
    db::Pool& pool = app.pool();  // Unavailable until the database was reached
    status = co_await RunBlocking(app.blocking(), [&pool] { return db::GetMigrationStatus(pool); });
  } catch (const Unavailable&) {
    unreachable = std::current_exception();
  }
  if (unreachable) {
    auto response = ResponseForException(unreachable, exchange.request());
    auto body = nlohmann::json::parse(response.body);
    body["status"] = "unavailable";
    body["database"] = "down";
    response.body = body.dump() + "\n";
    co_return response;
  }
  for (const auto& migration : status->migrations) {
    if (migration.applied && !migration.checksum_ok) {
      co_return ErrorResponse(503, "schema_mismatch",
                              "migration " + std::to_string(migration.version) + " (" + migration.name +
                                  ") differs from the one this build applied",
                              "Never edit a shipped migration; run the omni version that matches the database.");
    }
  }
  if (!status->up_to_date()) {
    co_return ErrorResponse(503, "migrations_pending",
                            std::to_string(status->pending) + " database migration(s) pending (schema at version " +
                                std::to_string(status->current_version) + " of " +
                                std::to_string(status->latest_version) + ")",
                            "Run `omni db migrate`, or restart omnid, which applies them at start.");
  }
  co_return Response::Json(200, {{"status", "ready"}, {"schema_version", status->current_version}});
}

}  // namespace omni::omnid
