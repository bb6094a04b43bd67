// GET /readyz: readiness. omnid is ready when its database answers and the
// schema holds every migration this build knows, with matching checksums; a
// load balancer should send it traffic only then. Answers 503 with the
// reason otherwise (the database is unreachable, or migrations are pending).
#include <nlohmann/json.hpp>

#include "core/db/migrations.hpp"
#include "daemon/app.hpp"
#include "daemon/handlers.hpp"
#include "daemon/http_errors.hpp"

namespace omni::omnid {

asio::awaitable<Response> HandleReadyz(Exchange& exchange) {
  const App& app = exchange.app();
  db::Pool& pool = app.pool();  // Unavailable (503) until the database was reached
  const db::MigrationStatus status =
      co_await RunBlocking(app.blocking(), [&pool] { return db::GetMigrationStatus(pool); });
  for (const auto& migration : status.migrations) {
    if (migration.applied && !migration.checksum_ok) {
      co_return ErrorResponse(503, "schema_mismatch",
                              "migration " + std::to_string(migration.version) + " (" + migration.name +
                                  ") differs from the one this build applied",
                              "Never edit a shipped migration; run the omni version that matches the database.");
    }
  }
  if (!status.up_to_date()) {
    co_return ErrorResponse(503, "migrations_pending",
                            std::to_string(status.pending) + " database migration(s) pending (schema at version " +
                                std::to_string(status.current_version) + " of " +
                                std::to_string(status.latest_version) + ")",
                            "Run `omni db migrate`, or restart omnid, which applies them at start.");
  }
  co_return Response::Json(200, {{"status", "ready"}, {"schema_version", status.current_version}});
}

}  // namespace omni::omnid
