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
// GET /v1/console/analytics/chart?metric=NAME&by=...&since=... (as trends)
//   200 image/svg+xml: the trend drawn (core/analytics/chart.hpp), for the
//   console's dashboard to show through <img>.
// 400 invalid_input for an unknown metric or bucket, or a malformed range.
#include <cctype>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/analytics/analytics.hpp"
#include "core/analytics/chart.hpp"
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

struct TrendRequest {
  analytics::RangeRequest range;
  std::string metric;
  std::string by;
};

TrendRequest ParseTrendRequest(const Request& request) {
  TrendRequest out{RangeQuery(request), request.Query("metric").value_or(""), request.Query("by").value_or("day")};
  if (out.metric.empty()) throw InvalidInput("metric: required", "GET /v1/console/analytics/trends?metric=conversations");
  return out;
}

struct TrendResult {
  std::string time_zone;
  analytics::DayRange range;
  std::vector<analytics::TrendPoint> points;
};

TrendResult ReadTrend(db::Pool& pool, const operators::Principal& principal, const TrendRequest& request) {
  const auto now = DefaultClock().Now();
  const auto bucket = analytics::ParseBucket(request.by);
  TrendResult result;
  result.time_zone = business::Get(pool, principal.business_slug).spec.timezone;
  result.range = analytics::ResolveRange(request.range, result.time_zone, analytics::DefaultTrendDays(bucket), now, "");
  result.points = analytics::Trend(pool, principal.business_id, request.metric, bucket, result.range, now);
  return result;
}

asio::awaitable<Response> Trends(Exchange& exchange, ConsoleCall& call) {
  const auto request = ParseTrendRequest(exchange.request());
  auto& pool = exchange.app().pool();
  const auto trend = co_await RunBlocking(exchange.app().blocking(), [&] { return ReadTrend(pool, call.principal, request); });
  Json points = Json::array();
  for (const auto& point : trend.points) {
    points.push_back({{"bucket", booking::FormatDate(point.bucket)},
                      {"start_utc", booking::FormatUtc(point.start)},
                      {"value", point.value},
                      {"count", point.count}});
  }
  const Json body = {{"metric", request.metric},
                     {"by", request.by},
                     {"time_zone", trend.time_zone},
                     {"range", RangeJson(trend.range)},
                     {"points", std::move(points)}};
  Response response;
  response.body = body.dump();
  response.headers.Set("Content-Type", "application/json");
  co_return response;
}

asio::awaitable<Response> Chart(Exchange& exchange, ConsoleCall& call) {
  const auto request = ParseTrendRequest(exchange.request());
  auto& pool = exchange.app().pool();
  const auto trend = co_await RunBlocking(exchange.app().blocking(), [&] { return ReadTrend(pool, call.principal, request); });
  std::string title = request.metric;
  for (char& c : title) c = c == '_' ? ' ' : c;
  title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
  title += " per " + request.by;
  auto response = Response::Text(
      200, analytics::TrendSvg(trend.points, title, analytics::FormatOfMetric(request.metric)), "image/svg+xml");
  // A drawing only: nothing in it may load or run.
  response.headers.Set("Content-Security-Policy", "default-src 'none'");
  response.headers.Set("X-Content-Type-Options", "nosniff");
  co_return response;
}

}  // namespace

asio::awaitable<Response> HandleConsoleAnalyticsSummary(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAnalyticsRead, &Summary);
}

asio::awaitable<Response> HandleConsoleAnalyticsTrends(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAnalyticsRead, &Trends);
}

asio::awaitable<Response> HandleConsoleAnalyticsChart(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAnalyticsRead, &Chart);
}

}  // namespace omni::omnid
