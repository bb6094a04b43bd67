// `omni usage`: what each business used of its plan's limits in a billing
// period, its plan and why, warnings, overage and meter events.
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/billing/usage.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/common/error.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct UsageOptions {
  std::string period = "current";
};

Json OptionalTime(const std::optional<TimePoint>& time) {
  return time ? Json(booking::FormatUtc(*time)) : Json(nullptr);
}

int MonthsBackOf(db::Pool& pool, const std::string& business_id, const std::string& period) {
  if (period == "current") return 0;
  if (period == "previous") return 1;
  return billing::MonthsBack(billing::LoadSubscriptionState(pool, business_id), DefaultClock().Now(), period);
}

Json ReportJson(const billing::UsageReport& report) {
  const auto& plan = report.entitlement;
  Json limits = Json::array();
  std::int64_t overage = 0;
  std::int64_t overage_cents = 0;
  for (const auto& limit : report.limits) {
    limits.push_back({{"metric", billing::MetricName(limit.metric)},
                      {"used", limit.used},
                      {"limit", limit.limit < 0 ? Json(nullptr) : Json(limit.limit)},
                      {"percent", limit.percent ? Json(*limit.percent) : Json(nullptr)}});
    overage += limit.overage;
    overage_cents += limit.overage_cents;
  }
  Json warnings = Json::array();
  for (const auto& warning : report.warnings) {
    warnings.push_back({{"metric", billing::MetricName(warning.metric)},
                        {"threshold_percent", warning.threshold_percent},
                        {"plan", billing::PlanTierName(warning.tier)},
                        {"used", warning.used},
                        {"limit", warning.limit},
                        {"recorded_at", booking::FormatUtc(warning.recorded_at)}});
  }
  return {{"business", report.slug},
          {"plan", billing::PlanTierName(plan.tier)},
          {"plan_source", billing::PlanSourceName(plan.source)},
          {"subscription_status", report.subscription_status},
          {"trial_ends_at", OptionalTime(plan.trial_ends_at)},
          {"grace_ends_at", OptionalTime(plan.grace_ends_at)},
          {"period", {{"start", booking::FormatUtc(report.period.start)},
                      {"end", booking::FormatUtc(report.period.end)},
                      {"kind", report.period.subscription ? "subscription" : "calendar_month"}}},
          {"limits", limits},
          {"overage", {{"interactions", overage}, {"cents", overage_cents}}},
          {"warnings", warnings},
          {"meter_events", {{"pending", report.meter_events.pending},
                            {"sent", report.meter_events.sent},
                            {"failed", report.meter_events.failed}}}};
}

// One flat row per business: a table cell per limit ("12/100 12%"), and for
// csv a number per column.
Json ReportRow(const billing::UsageReport& report, Format format, const std::string& time_zone) {
  const auto& plan = report.entitlement;
  Json row = {{"business", report.slug},
              {"plan", std::string(billing::PlanTierName(plan.tier)) + " (" + billing::PlanSourceName(plan.source) + ")"},
              {"status", report.subscription_status},
              {"trial_ends", plan.trial_ends_at ? booking::FormatLocal(*plan.trial_ends_at, time_zone) : ""},
              {"period", booking::FormatLocal(report.period.start, time_zone) + " to " +
                             booking::FormatLocal(report.period.end, time_zone)}};
  std::int64_t overage_cents = 0;
  for (const auto& limit : report.limits) {
    const std::string metric = billing::MetricName(limit.metric);
    overage_cents += limit.overage_cents;
    if (format == Format::kCsv) {
      row[metric + "_used"] = limit.used;
      row[metric + "_limit"] = limit.limit < 0 ? Json(nullptr) : Json(limit.limit);
      row[metric + "_percent"] = limit.percent ? Json(*limit.percent) : Json(nullptr);
    } else {
      row[metric] = std::to_string(limit.used) + "/" + billing::LimitText(limit.limit) +
                    (limit.percent ? " " + std::to_string(*limit.percent) + "%" : "");
    }
  }
  row["overage_cents"] = overage_cents;
  std::string warnings;
  for (const auto& warning : report.warnings) {
    warnings += (warnings.empty() ? "" : ", ") + std::string(billing::MetricName(warning.metric)) + " " +
                std::to_string(warning.threshold_percent) + "%";
  }
  row["warnings"] = warnings;
  row["meter_pending"] = report.meter_events.pending;
  row["meter_sent"] = report.meter_events.sent;
  row["meter_failed"] = report.meter_events.failed;
  return row;
}

std::vector<Column> RowColumns(Format format) {
  std::vector<Column> columns = {{"business", "BUSINESS"}, {"plan", "PLAN"}, {"status", "STATUS"},
                                 {"trial_ends", "TRIAL ENDS"}, {"period", "PERIOD"}};
  const std::pair<const char*, const char*> metrics[] = {{"interactions", "INTERACTIONS"},
                                                         {"conversations", "CONVERSATIONS"},
                                                         {"documents", "DOCUMENTS"},
                                                         {"services", "SERVICES"},
                                                         {"operators", "OPERATORS"}};
  for (const auto& [metric, header] : metrics) {
    const std::string name = metric;
    if (format == Format::kCsv) {
      for (const char* part : {"_used", "_limit", "_percent"}) columns.push_back({name + part, name + part});
    } else {
      columns.push_back({name, header});
    }
  }
  columns.insert(columns.end(), {{"overage_cents", "OVERAGE CENTS"},
                                 {"warnings", "WARNINGS"},
                                 {"meter_pending", "METER PENDING"},
                                 {"meter_sent", "METER SENT"},
                                 {"meter_failed", "METER FAILED"}});
  return columns;
}

int RunUsage(Context& ctx, const UsageOptions& opts) {
  db::Pool& pool = ctx.Database();
  const auto settings = billing::ResolveBillingSettings(ctx.Config());
  std::vector<business::Business> businesses;
  if (ctx.global().business.empty()) {
    businesses = business::List(pool);
  } else {
    businesses.push_back(business::Get(pool, ctx.global().business));
  }
  Json documents = Json::array();
  Json rows = Json::array();
  for (const auto& b : businesses) {
    const auto report =
        billing::Usage(pool, b.id, settings, DefaultClock().Now(), MonthsBackOf(pool, b.id, opts.period));
    documents.push_back(ReportJson(report));
    rows.push_back(ReportRow(report, ctx.out().format(), b.spec.timezone));
  }
  if (ctx.out().format() == Format::kJson) {
    ctx.out().Json(documents);
  } else {
    ctx.out().List(RowColumns(ctx.out().format()), rows);
  }
  if (businesses.empty()) ctx.out().Status("no businesses yet");
  return 0;
}

}  // namespace

Command MakeUsageCommand() {
  return MakeCommand<UsageOptions>(
      "usage", "show each business's plan, usage of its limits, warnings and meter events",
      "For the business chosen with -b, or every business without it: the plan in force and why (trial, "
      "subscription, grace of a past-due subscription, assigned by the business file, or free), the "
      "subscription status, the end of the trial, the billing period (the subscription's current period, else "
      "the calendar month in the business's time zone), and for each limit what was used, the limit and the "
      "percentage. Interactions and conversations are those of the period; documents, services and operators "
      "are counted now, and every limit is the plan's now. Also: overage (interactions past a limit that "
      "allows it, and its price), the 80% and 100% warnings recorded in the period, and Stripe meter events "
      "pending, sent and failed. --period previous is the period before the current one; --period YYYY-MM the "
      "one that started in that month. Times in the table are the business's local time; -o json gives UTC. "
      "Exit codes: 0 ok, 2 usage, 3 config invalid, 4 database unavailable, 5 unknown business.",
      {"$ omni usage", "$ omni usage -b demo-salon", "$ omni usage -b demo-salon --period previous -o json",
       "$ omni usage --period 2026-11 -o csv"},
      [](UsageOptions& o) {
        return std::vector<Option>{
            {"--period", "current, previous or a month YYYY-MM (default: current)", &o.period}};
      },
      RunUsage);
}

}  // namespace omni::cli
