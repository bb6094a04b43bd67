// `omni analytics summary|trends|conversations`: conversation metrics of a
// business, in its time zone. The definitions live in core/analytics.
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/analytics/analytics.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/common/error.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct RangeOptions {
  std::string since;
  std::string from;
  std::string to;
};

struct SummaryOptions {
  RangeOptions range;
};

struct TrendsOptions {
  RangeOptions range;
  std::string metric;
  std::string by = "day";
  std::string model;
};

struct ConversationsOptions {
  RangeOptions range;
};

struct Tenant {
  std::string id;
  std::string time_zone;
};

Tenant RequireTenant(Context& ctx) {
  const auto business = business::FindTenant(ctx.Database(), ctx.RequireBusiness());
  return {business.id, business.time_zone};
}

analytics::DayRange RangeOf(const RangeOptions& opts, const std::string& time_zone, int default_days) {
  return analytics::ResolveRange({opts.since, opts.from, opts.to}, time_zone, default_days, DefaultClock().Now());
}

std::vector<Option> RangeFlags(RangeOptions& o) {
  return {{"--since", "the last N days, weeks or months up to today: 30d, 12w, 6m", &o.since},
          {"--from", "first local date, YYYY-MM-DD", &o.from},
          {"--to", "last local date, YYYY-MM-DD (included)", &o.to}};
}

Json RangeJson(const analytics::DayRange& range) {
  return {{"from", booking::FormatDate(range.first)}, {"to", booking::FormatDate(range.last)}};
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// How a metric reads on a terminal: rates as percentages, durations as
// h/m/s, money in dollars; json and csv keep the plain numbers.
std::string Display(const std::string& name, double value) {
  const auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with("_rate")) return Fixed(value * 100, 1) + "%";
  if (ends_with("_usd")) return "$" + Fixed(value, 4);
  if (ends_with("_s")) {
    const auto total = static_cast<long long>(std::llround(value));
    const long long h = total / 3600, m = total % 3600 / 60, s = total % 60;
    if (h > 0) return std::to_string(h) + "h " + std::to_string(m) + "m";
    if (m > 0) return std::to_string(m) + "m " + std::to_string(s) + "s";
    return std::to_string(s) + "s";
  }
  if (name == "csat_score") return Fixed(value, 2);
  return Fixed(value, std::floor(value) == value ? 0 : 2);
}

int RunSummary(Context& ctx, const SummaryOptions& opts) {
  const auto tenant = RequireTenant(ctx);
  const auto range = RangeOf(opts.range, tenant.time_zone, 30);
  const auto summary = analytics::Summarize(ctx.Database(), tenant.id, range, DefaultClock().Now());
  const auto current = analytics::NamedMetrics(summary.current);
  const auto before = analytics::NamedMetrics(summary.before);
  const bool table = ctx.out().format() == Format::kTable;
  Json rows = Json::array();
  for (std::size_t i = 0; i < current.size(); ++i) {
    const auto& [name, value] = current[i];
    const double previous = before[i].second;
    Json row = {{"metric", name}, {"value", value}, {"previous", previous}, {"change", value - previous},
                {"change_pct", previous == 0 ? Json(nullptr) : Json((value - previous) / previous * 100)}};
    if (table) {
      const double change = value - previous;
      row["value"] = Display(name, value);
      row["previous"] = Display(name, previous);
      row["change"] = (change > 0 ? "+" : change < 0 ? "-" : "") + Display(name, std::fabs(change)) +
                      (previous == 0 ? "" : " (" + Fixed((value - previous) / previous * 100, 1) + "%)");
    }
    rows.push_back(row);
  }
  Json models = Json::array();
  for (const auto& usage : summary.current.usage_by_model) {
    models.push_back({{"model", usage.model},
                      {"calls", usage.calls},
                      {"prompt_tokens", usage.prompt_tokens},
                      {"completion_tokens", usage.completion_tokens},
                      {"cost_usd", static_cast<double>(usage.cost_micros) / 1e6}});
  }
  if (ctx.out().format() == Format::kJson) {
    Json metrics = Json::object();
    for (const auto& row : rows) {
      metrics[row["metric"].get<std::string>()] = {{"value", row["value"]},
                                                   {"previous", row["previous"]},
                                                   {"change", row["change"]},
                                                   {"change_pct", row["change_pct"]}};
    }
    ctx.out().Json({{"business", ctx.RequireBusiness()},
                    {"time_zone", summary.time_zone},
                    {"range", RangeJson(summary.range)},
                    {"previous_range", RangeJson(summary.previous)},
                    {"metrics", metrics},
                    {"usage_by_model", models}});
    return 0;
  }
  ctx.out().Status("analytics of " + ctx.RequireBusiness() + " from " + booking::FormatDate(range.first) + " to " +
                   booking::FormatDate(range.last) + " (" + summary.time_zone + "), against " +
                   booking::FormatDate(summary.previous.first) + " to " + booking::FormatDate(summary.previous.last));
  std::vector<Column> columns = {{"metric", "METRIC"}, {"value", "VALUE"}, {"previous", "PREVIOUS"}, {"change", "CHANGE"}};
  // A table shows the percentage inside CHANGE.
  if (!table) columns.push_back({"change_pct", "CHANGE %"});
  ctx.out().List(columns, rows);
  if (table && !models.empty()) {
    ctx.out().Gap();
    ctx.out().List({{"model", "MODEL"}, {"calls", "CALLS"}, {"prompt_tokens", "PROMPT TOKENS"},
                    {"completion_tokens", "COMPLETION TOKENS"}, {"cost_usd", "COST USD"}},
                   models);
  }
  return 0;
}

int RunTrends(Context& ctx, const TrendsOptions& opts) {
  const auto tenant = RequireTenant(ctx);
  const auto bucket = analytics::ParseBucket(opts.by);
  const auto range = RangeOf(opts.range, tenant.time_zone, analytics::DefaultTrendDays(bucket));
  const auto points = analytics::Trend(ctx.Database(), tenant.id, opts.metric, bucket, range, DefaultClock().Now(),
                                       opts.model);
  const bool table = ctx.out().format() == Format::kTable;
  Json rows = Json::array();
  for (const auto& point : points) {
    rows.push_back({{"bucket", booking::FormatDate(point.bucket)},
                    {"start_utc", booking::FormatUtc(point.start)},
                    {"value", table ? Json(Display(opts.metric.find("time") != std::string::npos ? opts.metric + "_s"
                                                                                              : opts.metric,
                                                   point.value))
                                    : Json(point.value)},
                    {"count", point.count}});
  }
  ctx.out().List({{"bucket", "BUCKET"}, {"start_utc", "START (UTC)"}, {"value", "VALUE"}, {"count", "COUNT"}}, rows);
  return 0;
}

const std::vector<Column> kExportColumns = {
    {"id", "ID"},
    {"channel", "CHANNEL"},
    {"customer_id", "CUSTOMER ID"},
    {"customer_name", "CUSTOMER"},
    {"started_at", "STARTED"},
    {"ended_at", "ENDED"},
    {"status", "STATUS"},
    {"messages_in", "IN"},
    {"messages_out", "OUT"},
    {"first_response_s", "FIRST RESPONSE S"},
    {"first_response_business_s", "BUSINESS HOURS S"},
    {"handoff_reason", "HANDOFF"},
    {"handoff_at", "HANDOFF AT"},
    {"first_human_reply_at", "FIRST HUMAN REPLY"},
    {"resolved_by", "RESOLVED BY"},
    {"resolution_s", "RESOLUTION S"},
    {"bookings", "BOOKINGS"},
    {"appointment_ids", "APPOINTMENTS"},
    {"prompt_tokens", "PROMPT TOKENS"},
    {"completion_tokens", "COMPLETION TOKENS"},
    {"cost_usd", "COST USD"},
    {"csat_score", "CSAT"},
    {"csat_comment", "CSAT COMMENT"},
    {"tags", "TAGS"},
};

int RunConversations(Context& ctx, const ConversationsOptions& opts) {
  const auto tenant = RequireTenant(ctx);
  const auto range = RangeOf(opts.range, tenant.time_zone, 30);
  auto& out = ctx.out();
  out.StreamBegin(kExportColumns);
  const auto written = analytics::ExportConversations(ctx.Database(), tenant.id, range,
                                                     [&](const analytics::ConversationRow& c) {
                                                       out.StreamRow(kExportColumns, analytics::ConversationRowJson(c));
                                                     });
  out.StreamEnd();
  out.Status(std::to_string(written) + " conversations from " + booking::FormatDate(range.first) + " to " +
             booking::FormatDate(range.last) + " (" + tenant.time_zone + ")");
  return 0;
}

std::string MetricList() {
  std::string names;
  for (const auto& name : analytics::TrendMetrics()) names += (names.empty() ? "" : ", ") + name;
  return names;
}

}  // namespace

Command MakeAnalyticsCommand() {
  return MakeGroup(
      "analytics", "conversation metrics, trends and the per-conversation export",
      "Metrics of the business chosen with -b, over whole local days in its time zone. Each metric is recorded as "
      "the conversation happens, and each is defined once in the ANALYTICS section of omni(1). A conversation "
      "counts in the range in which it started; bookings and model usage count on the day they happened.",
      {
          MakeCommand<SummaryOptions>(
              "summary", "every metric for a range, with the period before it",
              "Shows every metric for the range (default: the last 30 days, today included) and for the period of "
              "the same length just before it, with the change. Durations are in seconds in json and csv; "
              "rates are fractions from 0 to 1.",
              {"$ omni analytics summary -b demo-salon", "$ omni analytics summary -b demo-salon --since 7d -o json",
               "$ omni analytics summary -b demo-salon --from 2026-11-01 --to 2026-11-30"},
              [](SummaryOptions& o) { return RangeFlags(o.range); }, RunSummary),
          MakeCommand<TrendsOptions>(
              "trends", "one metric per day, week or month",
              "Gives one row per bucket in the business's time zone, buckets with no activity included as 0. A "
              "bucket is made of whole local days, so it stays right across daylight-saving changes; weeks start "
              "on Monday. COUNT is what the value rests on (conversations, ratings, model calls). A *_time metric is "
              "the mean in seconds over the bucket's conversations that have one; first_response_business_time and "
              "resolution_business_time count only time inside the opening hours (see ANALYTICS in omni(1)). "
              "Default range: 30 days by day, 12 weeks by week, 12 months by month. Metrics: " + MetricList() + ".",
              {"$ omni analytics trends -b demo-salon --metric conversations",
               "$ omni analytics trends -b demo-salon --metric first_response_time --by week --since 12w",
               "$ omni analytics trends -b demo-salon --metric resolution_business_time --by month",
               "$ omni analytics trends -b demo-salon --metric cost_usd --by month -o csv",
               "$ omni analytics trends -b demo-salon --metric tokens --model openai/gpt-4o-mini --since 7d"},
              [](TrendsOptions& o) {
                auto flags = RangeFlags(o.range);
                flags.push_back({"--metric", "the metric to follow", &o.metric, true, analytics::TrendMetrics()});
                flags.push_back({"--by", "bucket size", &o.by, false, {"day", "week", "month"}});
                flags.push_back({"--model", "one model's usage only (tokens, cost_usd, model_calls)", &o.model});
                return flags;
              },
              RunTrends),
          MakeCommand<ConversationsOptions>(
              "conversations", "one row per conversation, for spreadsheets and BI tools",
              "Streams one row per conversation started in the range (default: the last 30 days), oldest first, "
              "in constant memory: id, channel, customer, start and end, messages in and out, first response "
              "(wall-clock and business hours), handoff reason and time, first human reply, resolved by and "
              "resolution time, bookings made with their appointment ids, tokens and cost, CSAT and the "
              "customer's tags. Times are UTC.",
              {"$ omni analytics conversations -b demo-salon -o csv > conversations.csv",
               "$ omni analytics conversations -b demo-salon --from 2026-11-01 --to 2026-11-30 -o json"},
              [](ConversationsOptions& o) { return RangeFlags(o.range); }, RunConversations),
      });
}

}  // namespace omni::cli
