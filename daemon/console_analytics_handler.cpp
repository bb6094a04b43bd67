// The analytics of the caller's business (analytics:read), through the same
// core functions as `omni analytics summary` and `omni analytics trends`
// (core/analytics/analytics.hpp defines every metric).
//
// GET /v1/console/analytics/summary?since=30d | from=YYYY-MM-DD&to=YYYY-MM-DD
//   (local dates of the business, both included; default the last 30 days)
//   200 {"time_zone","range":{"from","to"},"previous_range":{"from","to"},
//   "metrics":{NAME:{"value","previous","change","change_pct" (null when
//   the previous value is 0)}},"usage_by_model":[{"model","calls",
//   "prompt_tokens","completion_tokens","cost_usd"}]}: rates are fractions,
//   durations seconds, money US dollars, as `omni analytics summary -o json`.
// GET /v1/console/analytics/trends?metric=NAME&by=day|week|month&since=...
//   (or from/to; default 30 days, 12 weeks or a year by bucket)
//   200 {"metric","by","time_zone","range","points":[{"bucket" (first
//   local date),"start_utc","value","count"}]}.
// 400 invalid_input for an unknown metric or bucket, or a malformed range.
#include <nlohmann/json.hpp>

#include "core/analytics/analytics.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

using Json = nlohmann::ordered_json;

analytics::RangeRequest RangeQuery(const Request& request) {
  return {request.Query("since").value_or(""), request.Query("from").value_or(""), request.Query("to").value_or("")};
}

Json RangeJson(const analytics::DayRange& range) {
  return {{"from", booking::FormatDate(range.first)}, {"to", booking::FormatDate(range.last)}};
}

asio::awaitable<Response> Summary(Exchange& exchange, ConsoleCall& call) {
  const auto query = RangeQuery(exchange.request());
  auto& pool = exchange.app().pool();
  const auto& principal = call.principal;
  const Json body = co_await RunBlocking(exchange.app().blocking(), [&] {
    const auto now = DefaultClock().Now();
    const auto time_zone = business::Get(pool, principal.business_slug).spec.timezone;
    const auto range = analytics::ResolveRange(query, time_zone, 30, now, "");
    const auto summary = analytics::Summarize(pool, principal.business_id, range, now);
    const auto current = analytics::NamedMetrics(summary.current);
    const auto before = analytics::NamedMetrics(summary.before);
    Json metrics = Json::object();
    for (std::size_t i = 0; i < current.size(); ++i) {
      const auto& [name, value] = current[i];
      const double previous = before[i].second;
      metrics[name] = {{"value", value},
                       {"previous", previous},
                       {"change", value - previous},
                       {"change_pct", previous == 0 ? Json(nullptr) : Json((value - previous) / previous * 100)}};
    }
    Json models = Json::array();
    for (const auto& usage : summary.current.usage_by_model) {
      models.push_back({{"model", usage.model},
                        {"calls", usage.calls},
                        {"prompt_tokens", usage.prompt_tokens},
                        {"completion_tokens", usage.completion_tokens},
                        {"cost_usd", static_cast<double>(usage.cost_micros) / 1e6}});
    }
    return Json{{"time_zone", summary.time_zone},
                {"range", RangeJson(summary.range)},
                {"previous_range", RangeJson(summary.previous)},
                {"metrics", std::move(metrics)},
                {"usage_by_model", std::move(models)}};
  });
  Response response;
  response.body = body.dump();
  response.headers.Set("Content-Type", "application/json");
  co_return response;
}

asio::awaitable<Response> Trends(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  const auto query = RangeQuery(request);
  const std::string metric = request.Query("metric").value_or("");
  if (metric.empty()) throw InvalidInput("metric: required", "GET /v1/console/analytics/trends?metric=conversations");
  const std::string by = request.Query("by").value_or("day");
  auto& pool = exchange.app().pool();
  const auto& principal = call.principal;
  const Json body = co_await RunBlocking(exchange.app().blocking(), [&] {
    const auto now = DefaultClock().Now();
    const auto bucket = analytics::ParseBucket(by);
    const auto time_zone = business::Get(pool, principal.business_slug).spec.timezone;
    const auto range = analytics::ResolveRange(query, time_zone, analytics::DefaultTrendDays(bucket), now, "");
    Json points = Json::array();
    for (const auto& point : analytics::Trend(pool, principal.business_id, metric, bucket, range, now)) {
      points.push_back({{"bucket", booking::FormatDate(point.bucket)},
                        {"start_utc", booking::FormatUtc(point.start)},
                        {"value", point.value},
                        {"count", point.count}});
    }
    return Json{{"metric", metric},
                {"by", by},
                {"time_zone", time_zone},
                {"range", RangeJson(range)},
                {"points", std::move(points)}};
  });
  Response response;
  response.body = body.dump();
  response.headers.Set("Content-Type", "application/json");
  co_return response;
}

}  // namespace

asio::awaitable<Response> HandleConsoleAnalyticsSummary(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAnalyticsRead, &Summary);
}

asio::awaitable<Response> HandleConsoleAnalyticsTrends(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAnalyticsRead, &Trends);
}

}  // namespace omni::omnid
