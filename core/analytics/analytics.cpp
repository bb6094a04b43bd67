// Conversation analytics. See analytics.hpp for the metric definitions;
// each is written once, in the SQL below, over the reporting columns.
#include "core/analytics/analytics.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <array>
#include <cctype>

#include "core/booking/availability.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business_tx.hpp"
#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"

namespace omni::analytics {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// date_part gives a double: extract() gives a numeric since PostgreSQL 14,
// many times slower over thousands of rows. A double's step at today's epoch
// is a quarter of a microsecond, so rounding to microseconds is exact.
#define OMNI_EPOCH_US(col) "(date_part('epoch', " col ") * 1000000)::int8"

constexpr std::array<const char*, 5> kHandoffReasons = {"HUMAN_REQUESTED", "MODEL_FAILURE", "PLAN_LIMIT",
                                                         "TOOL_OR_POLICY", "OPERATOR"};
// Rows per page of the export: large enough to amortise a round trip,
// small enough that memory does not grow with the range.
constexpr int kExportPage = 1000;
constexpr int kMaxBuckets = 1000;

std::string SqlTime(TimePoint t) { return date::format("%Y-%m-%dT%H:%M:%SZ", std::chrono::floor<std::chrono::microseconds>(t)); }
std::string SqlDate(year_month_day d) { return booking::FormatDate(d); }
TimePoint FromMicros(long long micros) { return TimePoint{std::chrono::microseconds{micros}}; }
std::optional<TimePoint> OptionalTime(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return FromMicros(field.as<long long>());
}
year_month_day NextDay(year_month_day d) { return year_month_day{sys_days{d} + days{1}}; }

// The instants [from, to) of a range of local dates.
struct Instants {
  TimePoint from;
  TimePoint to;
};
Instants InstantsOf(const DayRange& range, const std::string& tz) {
  return {booking::LocalMidnight(range.first, tz), booking::LocalMidnight(NextDay(range.last), tz)};
}

std::string TimeZoneOf(pqxx::work& tx, const std::string& business_id) {
  const auto rows = tx.exec_params("SELECT timezone FROM businesses WHERE id = $1::uuid", business_id);
  if (rows.empty()) throw NotFound("business " + business_id + " not found");
  return rows[0][0].as<std::string>();
}

booking::AvailabilityRules HoursOf(pqxx::work& tx, const std::string& business_id) {
  const auto schedule = business::LoadSchedule(tx, business_id);
  booking::AvailabilityRules rules;
  rules.time_zone = schedule.timezone;
  rules.weekly = schedule.weekly;
  rules.overrides = schedule.overrides;
  return rules;
}

DurationStats Stats(std::vector<double> seconds) {
  DurationStats stats;
  stats.count = static_cast<std::int64_t>(seconds.size());
  if (seconds.empty()) return stats;
  double sum = 0;
  for (double s : seconds) sum += s;
  stats.mean_s = sum / static_cast<double>(seconds.size());
  std::sort(seconds.begin(), seconds.end());
  const std::size_t n = seconds.size();
  stats.median_s = n % 2 == 1 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2;
  return stats;
}

double Ratio(std::int64_t part, std::int64_t whole) {
  return whole == 0 ? 0 : static_cast<double>(part) / static_cast<double>(whole);
}

// Per-conversation values every metric of a conversation rests on; the
// metrics themselves are written once, in MetricsOf and kTrendMetrics.
const std::string kCohort =
    "SELECT c.*,"
    " date_part('epoch', c.first_response_at - c.first_message_at) AS fr,"
    " date_part('epoch', c.first_human_reply_at - c.handoff_at) AS th,"
    " CASE WHEN c.status = 'RESOLVED' THEN date_part('epoch', c.resolved_at - c.created_at) END AS rt,"
    " (c.handoff_at IS NULL AND c.human_messages = 0 AND (c.status = 'RESOLVED'"
    "   OR coalesce(c.last_message_at, c.created_at) <= $4::timestamptz - interval '24 hours')) AS ai_resolved,"
    " c.bookings_made > 0 AS booked,"
    " (c.status = 'RESOLVED' OR c.closed_at IS NOT NULL) AS csat_offered,"
    " c.csat_score AS csat"
    " FROM conversations c"
    " WHERE c.business_id = $1::uuid AND c.created_at >= $2::timestamptz AND c.created_at < $3::timestamptz";

// One conversation's durations in seconds, wall-clock and in business
// hours, each unset when there is nothing to measure.
struct Measured {
  TimePoint created_at;
  std::optional<double> response, response_business, to_human, resolution, resolution_business;
};

// Calls `each` for every conversation of kCohort in `at` with a duration to
// measure. The one place business-hours durations are worked out, for the
// summary and the trends alike; `hours` must cover `at` and what came after.
void MeasureConversations(pqxx::work& tx, const std::string& business_id, const Instants& at, TimePoint now,
                          const booking::OpenTime& hours, const std::function<void(const Measured&)>& each) {
  const auto seconds = [](std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1e6; };
  for (const auto& row : db::ExecPrepared(
           tx, "omni_analytics_durations",
           "SELECT " OMNI_EPOCH_US("created_at") ", " OMNI_EPOCH_US("first_message_at") ", " OMNI_EPOCH_US(
               "first_response_at") ", " OMNI_EPOCH_US("CASE WHEN status = 'RESOLVED' THEN resolved_at END") ","
               " (th * 1000000)::int8 FROM (" +
               kCohort + ") x WHERE first_response_at IS NOT NULL OR status = 'RESOLVED' OR th IS NOT NULL",
           business_id, SqlTime(at.from), SqlTime(at.to), SqlTime(now))) {
    // One field walks the row: row[i] would copy the result's shared
    // pointers for every value, which shows over tens of thousands of rows.
    auto field = row.begin();
    const auto take = [&field] {
      std::optional<std::chrono::microseconds> value;
      if (!field->is_null()) value = std::chrono::microseconds{field->as<long long>()};
      ++field;
      return value;
    };
    Measured m;
    m.created_at = TimePoint{*take()};
    const auto first = take();
    const auto reply = take();
    const auto resolved = take();
    const auto to_human = take();
    if (first && reply) {
      const TimePoint from{*first}, to{*reply};
      m.response = seconds(*reply - *first);
      m.response_business = seconds(hours.Between(from, to));
    }
    if (to_human) m.to_human = seconds(*to_human);
    if (resolved) {
      const TimePoint end{*resolved};
      m.resolution = seconds(std::chrono::duration_cast<std::chrono::microseconds>(end - m.created_at));
      m.resolution_business = seconds(hours.Between(m.created_at, end));
    }
    each(m);
  }
}

// The per-conversation durations of the previous period ([0]) and the
// current one ([1]), wall-clock and in business hours: medians and
// business hours need every one.
struct Durations {
  std::vector<double> response, response_business, to_human, resolution, resolution_business;
};

std::array<Durations, 2> DurationsOf(pqxx::work& tx, const std::string& business_id, const Instants& previous,
                                     const Instants& current, TimePoint now, const booking::OpenTime& hours) {
  std::array<Durations, 2> durations;
  MeasureConversations(tx, business_id, {previous.from, current.to}, now, hours, [&](const Measured& m) {
    Durations& out = durations.at(m.created_at >= current.from ? 1 : 0);
    const auto add = [](std::vector<double>& to, const std::optional<double>& value) {
      if (value) to.push_back(*value);
    };
    add(out.response, m.response);
    add(out.response_business, m.response_business);
    add(out.to_human, m.to_human);
    add(out.resolution, m.resolution);
    add(out.resolution_business, m.resolution_business);
  });
  return durations;
}

// The counts of the previous period ([0]) and the current one ([1]), each
// query reading both at once: `current.from` splits them.
std::array<Metrics, 2> CountsOf(pqxx::work& tx, const std::string& business_id, const Summary& summary,
                                const Instants& previous, const Instants& current, TimePoint now) {
  std::array<Metrics, 2> both;
  std::string sql =
      "SELECT (created_at >= $5::timestamptz)::int, count(*), coalesce(sum(messages_in), 0)::int8,"
      " coalesce(sum(messages_out), 0)::int8,"
      " count(handoff_at), count(*) FILTER (WHERE handoff_at IS NOT NULL AND first_human_reply_at IS NULL),"
      " count(*) FILTER (WHERE status = 'RESOLVED'),"
      " count(*) FILTER (WHERE status = 'RESOLVED' AND resolved_by = 'AI'),"
      " count(*) FILTER (WHERE status = 'RESOLVED' AND resolved_by = 'HUMAN'),"
      " count(*) FILTER (WHERE ai_resolved), count(*) FILTER (WHERE booked),"
      " count(*) FILTER (WHERE csat_offered), count(csat) FILTER (WHERE csat_offered),"
      " coalesce(avg(csat) FILTER (WHERE csat_offered), 0)::float8";
  for (const char* reason : kHandoffReasons) sql += std::string(", count(*) FILTER (WHERE handoff_reason = '") + reason + "')";
  sql += " FROM (" + kCohort + ") x GROUP BY 1";
  const auto from = SqlTime(previous.from), to = SqlTime(current.to), split = SqlTime(current.from);
  for (const auto& row : db::ExecPrepared(tx, "omni_analytics_summary", sql, business_id, from, to, SqlTime(now), split)) {
    Metrics& m = both.at(row[0].as<int>());
    m.conversations = row[1].as<std::int64_t>();
    m.messages_in = row[2].as<std::int64_t>();
    m.messages_out = row[3].as<std::int64_t>();
    m.handoffs = row[4].as<std::int64_t>();
    m.unattended_handoffs = row[5].as<std::int64_t>();
    m.resolved = row[6].as<std::int64_t>();
    m.resolved_by_ai = row[7].as<std::int64_t>();
    m.resolved_by_human = row[8].as<std::int64_t>();
    m.ai_resolved = row[9].as<std::int64_t>();
    m.converted = row[10].as<std::int64_t>();
    m.csat_offered = row[11].as<std::int64_t>();
    m.csat_responses = row[12].as<std::int64_t>();
    m.csat_score = row[13].as<double>();
    for (std::size_t i = 0; i < kHandoffReasons.size(); ++i) {
      m.handoffs_by_reason[kHandoffReasons[i]] = row[static_cast<int>(14 + i)].as<std::int64_t>();
    }
  }

  for (const auto& b : db::ExecPrepared(
           tx, "omni_analytics_bookings",
           "SELECT (at >= $4::timestamptz)::int, count(*) FILTER (WHERE action = 'BOOKED'),"
           " count(*) FILTER (WHERE action = 'RESCHEDULED'), count(*) FILTER (WHERE action = 'CANCELED')"
           " FROM appointment_events WHERE business_id = $1::uuid AND conversation_id IS NOT NULL"
           " AND at >= $2::timestamptz AND at < $3::timestamptz GROUP BY 1",
           business_id, from, to, split)) {
    Metrics& m = both.at(b[0].as<int>());
    m.bookings_made = b[1].as<std::int64_t>();
    m.bookings_rescheduled = b[2].as<std::int64_t>();
    m.bookings_canceled = b[3].as<std::int64_t>();
  }

  for (const auto& u : db::ExecPrepared(
           tx, "omni_analytics_usage",
           "SELECT (day >= $4::date)::int, model, sum(calls)::int8, sum(prompt_tokens)::int8,"
           " sum(completion_tokens)::int8, sum(cost_micros)::int8 FROM llm_usage_daily WHERE business_id = $1::uuid"
           " AND day BETWEEN $2::date AND $3::date GROUP BY 1, 2 ORDER BY 2",
           business_id, SqlDate(summary.previous.first), SqlDate(summary.range.last), SqlDate(summary.range.first))) {
    Metrics& m = both.at(u[0].as<int>());
    ModelUsage usage{u[1].as<std::string>(), u[2].as<std::int64_t>(), u[3].as<std::int64_t>(),
                     u[4].as<std::int64_t>(), u[5].as<std::int64_t>()};
    m.prompt_tokens += usage.prompt_tokens;
    m.completion_tokens += usage.completion_tokens;
    m.cost_micros += usage.cost_micros;
    m.usage_by_model.push_back(std::move(usage));
  }
  return both;
}

// The rates and duration statistics of one period, from its counts and
// durations.
void Complete(Metrics& m, Durations& d) {
  for (const char* reason : kHandoffReasons) m.handoffs_by_reason.emplace(reason, 0);
  m.handoff_rate = Ratio(m.handoffs, m.conversations);
  m.ai_resolution_rate = Ratio(m.ai_resolved, m.conversations);
  m.booking_conversion_rate = Ratio(m.converted, m.conversations);
  m.csat_response_rate = Ratio(m.csat_responses, m.csat_offered);
  m.first_response = Stats(std::move(d.response));
  m.first_response_business = Stats(std::move(d.response_business));
  m.time_to_human = Stats(std::move(d.to_human));
  m.resolution = Stats(std::move(d.resolution));
  m.resolution_business = Stats(std::move(d.resolution_business));
}

void CheckRange(const DayRange& range) {
  if (sys_days{range.last} < sys_days{range.first}) {
    throw InvalidInput("invalid range: --to " + SqlDate(range.last) + " is before --from " + SqlDate(range.first));
  }
  if (sys_days{range.last} - sys_days{range.first} >= days{3660}) {
    throw InvalidInput("invalid range: more than 3660 days", "Ask for ten years or less.");
  }
}

// A trend metric: where it is read from and its value and count per bucket.
// A business-hours duration is no SQL aggregate: its value is the mean of
// `duration` over the bucket's conversations that have one, and its count
// how many have one, as MeasureConversations works them out.
struct TrendMetric {
  const char* name;
  enum Source { kConversations, kBookings, kUsage, kBusinessHours } source;
  const char* value;  // SQL aggregate over the source's rows
  const char* count;
  std::optional<double> Measured::*duration = nullptr;
};

// Conversation metrics aggregate kCohort's columns; bookings and usage count
// when they happened.
const std::vector<TrendMetric> kTrendMetrics = {
    {"conversations", TrendMetric::kConversations, "count(*)", "count(*)"},
    {"messages_in", TrendMetric::kConversations, "sum(messages_in)", "count(*)"},
    {"messages_out", TrendMetric::kConversations, "sum(messages_out)", "count(*)"},
    {"first_response_time", TrendMetric::kConversations, "avg(fr)", "count(fr)"},
    {"first_response_business_time", TrendMetric::kBusinessHours, "", "", &Measured::response_business},
    {"handoffs", TrendMetric::kConversations, "count(handoff_at)", "count(*)"},
    {"handoff_rate", TrendMetric::kConversations, "count(handoff_at)::float8 / count(*)", "count(*)"},
    {"time_to_human", TrendMetric::kConversations, "avg(th)", "count(th)"},
    {"unattended_handoffs", TrendMetric::kConversations,
     "count(*) FILTER (WHERE handoff_at IS NOT NULL AND first_human_reply_at IS NULL)", "count(handoff_at)"},
    {"resolved", TrendMetric::kConversations, "count(rt)", "count(*)"},
    {"resolution_time", TrendMetric::kConversations, "avg(rt)", "count(rt)"},
    {"resolution_business_time", TrendMetric::kBusinessHours, "", "", &Measured::resolution_business},
    {"ai_resolution_rate", TrendMetric::kConversations, "count(*) FILTER (WHERE ai_resolved)::float8 / count(*)",
     "count(*)"},
    {"booking_conversion_rate", TrendMetric::kConversations, "count(*) FILTER (WHERE booked)::float8 / count(*)",
     "count(*)"},
    {"csat_score", TrendMetric::kConversations, "avg(csat) FILTER (WHERE csat_offered)",
     "count(csat) FILTER (WHERE csat_offered)"},
    {"csat_response_rate", TrendMetric::kConversations,
     "count(csat) FILTER (WHERE csat_offered)::float8 / nullif(count(*) FILTER (WHERE csat_offered), 0)",
     "count(*) FILTER (WHERE csat_offered)"},
    {"bookings_made", TrendMetric::kBookings, "count(*) FILTER (WHERE action = 'BOOKED')",
     "count(*) FILTER (WHERE action = 'BOOKED')"},
    {"bookings_rescheduled", TrendMetric::kBookings, "count(*) FILTER (WHERE action = 'RESCHEDULED')",
     "count(*) FILTER (WHERE action = 'RESCHEDULED')"},
    {"bookings_canceled", TrendMetric::kBookings, "count(*) FILTER (WHERE action = 'CANCELED')",
     "count(*) FILTER (WHERE action = 'CANCELED')"},
    {"tokens", TrendMetric::kUsage, "sum(prompt_tokens + completion_tokens)", "sum(calls)"},
    {"cost_usd", TrendMetric::kUsage, "sum(cost_micros) / 1e6", "sum(calls)"},
    {"model_calls", TrendMetric::kUsage, "sum(calls)", "sum(calls)"},
};

// The first local date of the bucket holding `day`.
year_month_day BucketStart(year_month_day day, Bucket bucket) {
  switch (bucket) {
    case Bucket::kDay: return day;
    case Bucket::kWeek: {
      const std::chrono::weekday weekday{sys_days{day}};
      return year_month_day{sys_days{day} - days{(weekday.iso_encoding() - 1)}};
    }
    case Bucket::kMonth: return day.year() / day.month() / 1;
  }
  return day;
}

year_month_day NextBucket(year_month_day start, Bucket bucket) {
  switch (bucket) {
    case Bucket::kDay: return NextDay(start);
    case Bucket::kWeek: return year_month_day{sys_days{start} + days{7}};
    case Bucket::kMonth: return year_month_day{(start.year() / start.month() / 1) + std::chrono::months{1}};
  }
  return start;
}

// A business-hours trend: each conversation measured goes to the bucket
// of the local date it started on, as the SQL trends put theirs.
std::vector<TrendPoint> BusinessHoursTrend(pqxx::work& tx, const std::string& business_id,
                                           std::optional<double> Measured::*duration, Bucket bucket,
                                           const std::vector<year_month_day>& starts, year_month_day end,
                                           TimePoint now) {
  const auto rules = HoursOf(tx, business_id);
  const Instants at{booking::LocalMidnight(starts.front(), rules.time_zone),
                    booking::LocalMidnight(end, rules.time_zone)};
  // Replies and resolutions may come after the range, up to now.
  const booking::OpenTime hours(rules, at.from, std::max(at.to, now) + days{1});
  std::vector<TrendPoint> points;
  std::vector<double> sums(starts.size(), 0);
  for (const auto start : starts) {
    TrendPoint point;
    point.bucket = start;
    point.start = booking::LocalMidnight(start, rules.time_zone);
    points.push_back(point);
  }
  MeasureConversations(tx, business_id, at, now, hours, [&](const Measured& m) {
    const auto& value = m.*duration;
    if (!value) return;
    const auto start = BucketStart(booking::LocalDate(m.created_at, rules.time_zone), bucket);
    const auto i = static_cast<std::size_t>(
        std::lower_bound(starts.begin(), starts.end(), start,
                         [](year_month_day a, year_month_day b) { return sys_days{a} < sys_days{b}; }) -
        starts.begin());
    sums.at(i) += *value;
    ++points.at(i).count;
  });
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].count > 0) points[i].value = sums[i] / static_cast<double>(points[i].count);
  }
  return points;
}

std::optional<double> OptionalSeconds(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<double>();
}

std::vector<std::string> SplitWords(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

}  // namespace

DayRange LastDays(int days_count, const std::string& time_zone, TimePoint now) {
  if (days_count < 1 || days_count > 3660) {
    throw InvalidInput("invalid --since: " + std::to_string(days_count) + " days, expected 1 to 3660");
  }
  const auto today = booking::LocalDate(now, time_zone);
  return {year_month_day{sys_days{today} - days{days_count - 1}}, today};
}

int ParseSince(const std::string& text) {
  const auto invalid = [&] {
    return InvalidInput("invalid --since \"" + text + "\": expected a number of days, weeks or months",
                        "Examples: --since 30d, --since 12w, --since 6m.");
  };
  if (text.size() < 2 || text.size() > 6) throw invalid();
  const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
  const std::string digits = text.substr(0, text.size() - 1);
  if (!std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) throw invalid();
  const int n = std::stoi(digits);
  switch (unit) {
    case 'd': return n;
    case 'w': return n * 7;
    case 'm': return n * 30;
    default: throw invalid();
  }
}

Summary Summarize(db::Pool& pool, const std::string& business_id, const DayRange& range, TimePoint now) {
  CheckRange(range);
  const auto hours_rules = db::WithTransaction(pool, [&](pqxx::work& tx) { return HoursOf(tx, business_id); });
  Summary summary;
  summary.time_zone = hours_rules.time_zone;
  summary.range = range;
  const auto length = sys_days{range.last} - sys_days{range.first} + days{1};
  summary.previous = {year_month_day{sys_days{range.first} - length}, year_month_day{sys_days{range.first} - days{1}}};
  const auto current_at = InstantsOf(range, summary.time_zone);
  const auto previous_at = InstantsOf(summary.previous, summary.time_zone);
  // Resolutions may come after the range, up to now.
  const booking::OpenTime hours(hours_rules, previous_at.from, std::max(current_at.to, now) + days{1});
  // The durations cost the most: every conversation's row crosses the
  // wire. The counts are read meanwhile, on a second connection.
  std::array<Durations, 2> durations;
  std::array<Metrics, 2> both;
  db::ReadConcurrently(
      pool, [&](pqxx::work& tx) { durations = DurationsOf(tx, business_id, previous_at, current_at, now, hours); },
      [&](pqxx::work& tx) { both = CountsOf(tx, business_id, summary, previous_at, current_at, now); });
  for (std::size_t i = 0; i < 2; ++i) Complete(both[i], durations[i]);
  summary.before = std::move(both[0]);
  summary.current = std::move(both[1]);
  return summary;
}

Bucket ParseBucket(const std::string& text) {
  if (text == "day") return Bucket::kDay;
  if (text == "week") return Bucket::kWeek;
  if (text == "month") return Bucket::kMonth;
  throw InvalidInput("invalid --by \"" + text + "\": expected day, week or month");
}

const std::vector<std::string>& TrendMetrics() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const auto& metric : kTrendMetrics) list.push_back(metric.name);
    return list;
  }();
  return names;
}

std::vector<TrendPoint> Trend(db::Pool& pool, const std::string& business_id, const std::string& metric,
                              Bucket bucket, const DayRange& range, TimePoint now, const std::string& model) {
  CheckRange(range);
  const auto found = std::find_if(kTrendMetrics.begin(), kTrendMetrics.end(),
                                  [&](const TrendMetric& m) { return metric == m.name; });
  if (found == kTrendMetrics.end()) {
    std::string names;
    for (const auto& m : kTrendMetrics) names += (names.empty() ? "" : ", ") + std::string(m.name);
    throw InvalidInput("unknown metric \"" + metric + "\"", "Use one of " + names + ".");
  }
  if (!model.empty() && found->source != TrendMetric::kUsage) {
    throw InvalidInput("--model applies to tokens, cost_usd and model_calls, not to " + metric);
  }
  // Whole buckets: the first and last are widened to their bucket's bounds.
  std::vector<year_month_day> starts;
  for (auto start = BucketStart(range.first, bucket); sys_days{start} <= sys_days{range.last};
       start = NextBucket(start, bucket)) {
    starts.push_back(start);
    if (starts.size() > kMaxBuckets) {
      throw InvalidInput("too many buckets: more than " + std::to_string(kMaxBuckets),
                         "Ask for a shorter range, or bucket by week or month.");
    }
  }
  const year_month_day end = NextBucket(starts.back(), bucket);
  const char* unit = bucket == Bucket::kDay ? "day" : bucket == Bucket::kWeek ? "week" : "month";
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const std::string tz = TimeZoneOf(tx, business_id);
    const TimePoint from = booking::LocalMidnight(starts.front(), tz);
    const TimePoint to = booking::LocalMidnight(end, tz);
    // Each row is put in its bucket by its local date, so a bucket is
    // exactly its local days, 23 or 25 hours long on a DST change.
    std::string data;
    switch (found->source) {
      case TrendMetric::kBusinessHours:
        return BusinessHoursTrend(tx, business_id, found->duration, bucket, starts, end, now);
      case TrendMetric::kConversations:
        data = "SELECT date_trunc($5, created_at AT TIME ZONE $6)::date AS bucket, " + std::string(found->value) +
               " AS value, " + found->count + " AS n FROM (" + kCohort + ") x GROUP BY 1";
        break;
      case TrendMetric::kBookings:
        data = "SELECT date_trunc($5, at AT TIME ZONE $6)::date AS bucket, " + std::string(found->value) +
               " AS value, " + found->count +
               " AS n FROM appointment_events WHERE business_id = $1::uuid AND conversation_id IS NOT NULL"
               " AND at >= $2::timestamptz AND at < $3::timestamptz AND $4::timestamptz IS NOT NULL GROUP BY 1";
        break;
      case TrendMetric::kUsage:
        data = "SELECT date_trunc($5, day::timestamp)::date AS bucket, " + std::string(found->value) +
               " AS value, " + found->count +
               " AS n FROM llm_usage_daily WHERE business_id = $1::uuid AND day >= ($2::timestamptz AT TIME ZONE $6)::date"
               " AND day < ($3::timestamptz AT TIME ZONE $6)::date AND $4::timestamptz IS NOT NULL"
               " AND ($9 = '' OR model = $9) GROUP BY 1";
        break;
    }
    const std::string sql =
        "WITH data AS (" + data +
        ") SELECT to_char(b.bucket, 'YYYY-MM-DD'), coalesce(d.value, 0)::float8, coalesce(d.n, 0)::int8"
        " FROM (SELECT g::date AS bucket FROM generate_series($7::date, $8::date, ('1 ' || $5)::interval) g) b"
        " LEFT JOIN data d ON d.bucket = b.bucket ORDER BY b.bucket";
    const auto rows =
        found->source == TrendMetric::kUsage
            ? tx.exec_params(sql, business_id, SqlTime(from), SqlTime(to), SqlTime(now), std::string(unit), tz,
                             SqlDate(starts.front()), SqlDate(starts.back()), model)
            : tx.exec_params(sql, business_id, SqlTime(from), SqlTime(to), SqlTime(now), std::string(unit), tz,
                             SqlDate(starts.front()), SqlDate(starts.back()));
    std::vector<TrendPoint> points;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      TrendPoint point;
      point.bucket = starts.at(i);
      point.start = booking::LocalMidnight(point.bucket, tz);
      point.value = rows[static_cast<int>(i)][1].as<double>();
      point.count = rows[static_cast<int>(i)][2].as<std::int64_t>();
      points.push_back(point);
    }
    return points;
  });
}

std::int64_t ExportConversations(db::Pool& pool, const std::string& business_id, const DayRange& range,
                                 const std::function<void(const ConversationRow&)>& sink) {
  CheckRange(range);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto hours_rules = HoursOf(tx, business_id);
    const auto at = InstantsOf(range, hours_rules.time_zone);
    std::optional<booking::OpenTime> hours;
    // Pages by (created_at, id): each page starts after the last row of the
    // one before, so no page re-reads the ones before it.
    std::string after_time = "-infinity";
    std::string after_id = "00000000-0000-0000-0000-000000000000";
    std::int64_t written = 0;
    for (;;) {
      const auto rows = db::ExecPrepared(
          tx, "omni_analytics_export",
          "SELECT c.id::text, c.channel, coalesce(c.customer_id::text, ''), coalesce(cu.name, ''),"
          " coalesce(array_to_string(cu.tags, ' '), ''), " OMNI_EPOCH_US("c.created_at") ","
          " " OMNI_EPOCH_US("CASE WHEN c.status = 'RESOLVED' THEN c.resolved_at ELSE c.closed_at END") ","
          " c.status, c.messages_in, c.messages_out, " OMNI_EPOCH_US("c.first_message_at") ","
          " " OMNI_EPOCH_US("c.first_response_at") ", coalesce(c.handoff_reason, ''), " OMNI_EPOCH_US("c.handoff_at") ","
          " " OMNI_EPOCH_US("c.first_human_reply_at") ", CASE WHEN c.status = 'RESOLVED' THEN coalesce(c.resolved_by, '') ELSE '' END,"
          " CASE WHEN c.status = 'RESOLVED' THEN date_part('epoch', c.resolved_at - c.created_at) END,"
          " coalesce((SELECT string_agg(e.appointment_id::text, ' ' ORDER BY e.id) FROM appointment_events e"
          "   WHERE e.conversation_id = c.id AND e.action = 'BOOKED'), ''),"
          " c.prompt_tokens, c.completion_tokens, c.cost_micros, r.score, coalesce(r.comment, ''),"
          " c.created_at::text"
          " FROM conversations c"
          " LEFT JOIN customers cu ON cu.business_id = c.business_id AND cu.id = c.customer_id"
          " LEFT JOIN csat_ratings r ON r.conversation_id = c.id"
          " WHERE c.business_id = $1::uuid AND c.created_at >= $2::timestamptz AND c.created_at < $3::timestamptz"
          " AND (c.created_at, c.id) > ($4::timestamptz, $5::uuid)"
          " ORDER BY c.created_at, c.id LIMIT $6",
          business_id, SqlTime(at.from), SqlTime(at.to), after_time, after_id, kExportPage);
      for (const auto& row : rows) {
        ConversationRow out;
        out.id = row[0].as<std::string>();
        out.channel = row[1].as<std::string>();
        out.customer_id = row[2].as<std::string>();
        out.customer_name = row[3].as<std::string>();
        out.tags = SplitWords(row[4].as<std::string>());
        out.started_at = FromMicros(row[5].as<long long>());
        out.ended_at = OptionalTime(row[6]);
        out.status = row[7].as<std::string>();
        out.messages_in = row[8].as<std::int64_t>();
        out.messages_out = row[9].as<std::int64_t>();
        const auto first_message = OptionalTime(row[10]);
        const auto first_response = OptionalTime(row[11]);
        if (first_message && first_response) {
          // Built on the first conversation that needs it, over the whole
          // range and a year after it for late replies.
          if (!hours) hours.emplace(hours_rules, at.from - days{1}, at.to + days{366});
          out.first_response_s = std::chrono::duration<double>(*first_response - *first_message).count();
          out.first_response_business_s =
              std::chrono::duration<double>(hours->Between(*first_message, *first_response)).count();
        }
        out.handoff_reason = row[12].as<std::string>();
        out.handoff_at = OptionalTime(row[13]);
        out.first_human_reply_at = OptionalTime(row[14]);
        out.resolved_by = row[15].as<std::string>();
        out.resolution_s = OptionalSeconds(row[16]);
        out.booked_appointment_ids = SplitWords(row[17].as<std::string>());
        out.prompt_tokens = row[18].as<std::int64_t>();
        out.completion_tokens = row[19].as<std::int64_t>();
        out.cost_micros = row[20].as<std::int64_t>();
        if (!row[21].is_null()) out.csat_score = row[21].as<int>();
        out.csat_comment = row[22].as<std::string>();
        sink(out);
        ++written;
      }
      if (rows.size() < static_cast<std::size_t>(kExportPage)) break;
      after_id = rows[rows.size() - 1][0].as<std::string>();
      after_time = rows[rows.size() - 1][23].as<std::string>();
    }
    return written;
  });
}

const std::vector<std::string>& ConversationRowFields() {
  static const std::vector<std::string> fields = {
      "id",           "channel",         "customer_id",      "customer_name",       "started_at",
      "ended_at",     "status",          "messages_in",      "messages_out",        "first_response_s",
      "first_response_business_s",       "handoff_reason",   "handoff_at",          "first_human_reply_at",
      "resolved_by",  "resolution_s",    "bookings",         "appointment_ids",     "prompt_tokens",
      "completion_tokens",               "cost_usd",         "csat_score",          "csat_comment",
      "tags"};
  return fields;
}

nlohmann::json ConversationRowJson(const ConversationRow& c) {
  using Json = nlohmann::json;
  const auto utc = [](const std::optional<TimePoint>& t) { return t ? Json(booking::FormatUtc(*t)) : Json(nullptr); };
  const auto number = [](const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); };
  const auto text = [](const std::string& value) { return value.empty() ? Json(nullptr) : Json(value); };
  return Json{{"id", c.id},
              {"channel", c.channel},
              {"customer_id", text(c.customer_id)},
              {"customer_name", c.customer_name},
              {"started_at", booking::FormatUtc(c.started_at)},
              {"ended_at", utc(c.ended_at)},
              {"status", c.status},
              {"messages_in", c.messages_in},
              {"messages_out", c.messages_out},
              {"first_response_s", number(c.first_response_s)},
              {"first_response_business_s", number(c.first_response_business_s)},
              {"handoff_reason", text(c.handoff_reason)},
              {"handoff_at", utc(c.handoff_at)},
              {"first_human_reply_at", utc(c.first_human_reply_at)},
              {"resolved_by", text(c.resolved_by)},
              {"resolution_s", number(c.resolution_s)},
              {"bookings", c.booked_appointment_ids.size()},
              {"appointment_ids", c.booked_appointment_ids},
              {"prompt_tokens", c.prompt_tokens},
              {"completion_tokens", c.completion_tokens},
              {"cost_usd", static_cast<double>(c.cost_micros) / 1e6},
              {"csat_score", c.csat_score ? Json(*c.csat_score) : Json(nullptr)},
              {"csat_comment", c.csat_comment},
              {"tags", c.tags}};
}

}  // namespace omni::analytics
