// GET /metrics: the Prometheus scrape endpoint.
#include "daemon/app.hpp"
#include "daemon/handlers.hpp"

namespace omni::omnid {

asio::awaitable<Response> HandleMetrics(Exchange& exchange) {
  const App& app = exchange.app();
  std::optional<db::PoolStats> pool_stats;
  // Stats() only reads counters under a mutex: fine on the I/O thread.
  if (const auto* pool = app.pool_if_ready()) pool_stats = pool->Stats();
  co_return Response::Text(200, app.metrics().Render(pool_stats), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace omni::omnid
