// Conversation analytics of one business: a summary of a range against the
// period before it, trends bucketed in the business's time zone, and a
// one-row-per-conversation export. Everything is read from what the chat,
// the booking service and the widget recorded as it happened (migrations 12
// and 13); nothing is worked out from message text.
//
// The metrics, defined once (man page omni(1), ANALYTICS, says the same):
// - A conversation belongs to the range in which it started (created_at);
//   every conversation metric is over those conversations, except bookings
//   and usage, which count what happened in the range.
// - messages in: the visitor's messages; messages out: replies the visitor
//   read, AI (with text, not dropped) or a team member's.
// - first response time: from the visitor's first message to the first
//   reply, AI or human.
// - handoff: the first time the conversation went to a human, with its
//   reason (chat::HandoffReason); handoff rate = handoffs / conversations;
//   time to human: from the handoff to the first team member's reply;
//   unattended: handed off with no team member's reply yet.
// - resolved: status RESOLVED now; resolution time: from the start to the
//   latest resolution; resolved by AI when it had no handoff and no team
//   member's message when resolved, else by a human.
// - AI resolution rate: conversations resolved, or idle 24 h (no message
//   for 24 hours before `now`), without any handoff or team member's
//   message, over conversations.
// - bookings made, rescheduled, canceled: changes made through a chat in
//   the range; booking conversion rate: conversations with a booking made
//   in them, over conversations.
// - tokens and cost: per model and local day of the model call, as the
//   upstream reported them (cost 0 when it reports none).
// - CSAT: offered to conversations resolved or closed by the visitor;
//   score = mean rating (1 to 5); response rate = ratings / offered.
// - Business-hours variants count only time inside the opening hours
//   (booking::OpenTime): first response from the visitor's first message
//   to the first reply, resolution from the start to the latest
//   resolution. Their trends (first_response_business_time,
//   resolution_business_time) are the mean per bucket over the
//   conversations started in it that have one.
// Averages and medians are in seconds; a rate or an average with nothing to
// measure is 0, with the count it rests on beside it.
//
// Ranges are whole local days of the business: [first, last] dates.
// Thread-safe: free functions over a db::Pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::analytics {

// Local dates of the business, both included.
struct DayRange {
  std::chrono::year_month_day first;
  std::chrono::year_month_day last;
};

// The last `days` local days up to and including today in `time_zone`.
// InvalidInput unless 1 <= days <= 3660.
DayRange LastDays(int days, const std::string& time_zone, TimePoint now);
// Parses "30d", "12w" or "6m" (days, weeks of 7 days, months of 30 days)
// into days; InvalidInput naming --since otherwise.
int ParseSince(const std::string& text);

// A range as a user asks for it: the last `since` ("30d", see ParseSince),
// or local dates `from` and `to` ("YYYY-MM-DD"), either of which may be
// left out; all empty: the last `default_days` days.
struct RangeRequest {
  std::string since;
  std::string from;
  std::string to;
};

// The range `request` names in `time_zone` at `now`: `from` alone runs to
// today, `to` alone covers `default_days` days up to it. InvalidInput for
// since combined with from or to, or a malformed value, naming the
// parameter as `prefix` + "since" (the CLI passes "--").
DayRange ResolveRange(const RangeRequest& request, const std::string& time_zone, int default_days, TimePoint now,
                      const std::string& prefix = "--");

struct DurationStats {
  std::int64_t count = 0;  // measured conversations
  double mean_s = 0;
  double median_s = 0;
};

struct ModelUsage {
  std::string model;
  std::int64_t calls = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t cost_micros = 0;  // US dollars * 1e6
};

struct Metrics {
  std::int64_t conversations = 0;
  std::int64_t messages_in = 0;
  std::int64_t messages_out = 0;
  DurationStats first_response;
  DurationStats first_response_business;
  std::int64_t handoffs = 0;
  double handoff_rate = 0;
  std::map<std::string, std::int64_t> handoffs_by_reason;  // every reason, 0 when none
  DurationStats time_to_human;
  std::int64_t unattended_handoffs = 0;
  std::int64_t resolved = 0;
  std::int64_t resolved_by_ai = 0;
  std::int64_t resolved_by_human = 0;
  DurationStats resolution;
  DurationStats resolution_business;
  std::int64_t ai_resolved = 0;
  double ai_resolution_rate = 0;
  std::int64_t bookings_made = 0;
  std::int64_t bookings_rescheduled = 0;
  std::int64_t bookings_canceled = 0;
  std::int64_t converted = 0;
  double booking_conversion_rate = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t cost_micros = 0;
  std::vector<ModelUsage> usage_by_model;  // by model name
  std::int64_t csat_offered = 0;
  std::int64_t csat_responses = 0;
  double csat_score = 0;
  double csat_response_rate = 0;
};

struct Summary {
  std::string time_zone;
  DayRange range;
  DayRange previous;  // the same number of days just before
  Metrics current;
  Metrics before;
};

// Every metric for `range` and the period before it, read in one snapshot
// (on two pooled connections at once when the pool has a second free).
// NotFound for an unknown business id; InvalidInput for a range that ends
// before it starts or spans more than 3660 days.
Summary Summarize(db::Pool& pool, const std::string& business_id, const DayRange& range, TimePoint now);

enum class Bucket { kDay, kWeek, kMonth };  // weeks start on Monday
// Parses "day", "week" or "month"; InvalidInput otherwise.
Bucket ParseBucket(const std::string& text);
// The days a trend covers when no range is given: 30, 84 or 365.
int DefaultTrendDays(Bucket bucket);

// Every metric of `metrics` by its stable snake_case name, in display
// order ("conversations", "handoff_rate", "first_response_mean_s",
// "handoffs_<reason>", "cost_usd", ...): rates are fractions, durations
// seconds, money US dollars. Pure.
std::vector<std::pair<std::string, double>> NamedMetrics(const Metrics& metrics);

// The metric names Trend knows, in help order.
const std::vector<std::string>& TrendMetrics();

struct TrendPoint {
  std::chrono::year_month_day bucket;  // first local date of the bucket
  TimePoint start;                     // its first instant
  double value = 0;
  std::int64_t count = 0;              // what the value rests on (conversations, ratings, ...)
};

// One point per bucket overlapping `range`, empty buckets included (0),
// buckets made of whole local days, so a DST change never splits or merges
// one. `model` ("" for all) keeps one model's usage, for the usage metrics
// (tokens, cost_usd, model_calls) only. InvalidInput for an unknown metric
// (listing them), a model with another metric, or more than 1000 buckets;
// NotFound for an unknown business id.
std::vector<TrendPoint> Trend(db::Pool& pool, const std::string& business_id, const std::string& metric,
                              Bucket bucket, const DayRange& range, TimePoint now, const std::string& model = "");

struct ConversationRow {
  std::string id;
  std::string channel;
  std::string customer_id;  // "" when anonymous
  std::string customer_name;
  std::vector<std::string> tags;  // the customer's
  TimePoint started_at;
  std::optional<TimePoint> ended_at;  // resolved or closed; none while open
  std::string status;
  std::int64_t messages_in = 0;
  std::int64_t messages_out = 0;
  std::optional<double> first_response_s;
  std::optional<double> first_response_business_s;
  std::string handoff_reason;  // "" when none
  std::optional<TimePoint> handoff_at;
  std::optional<TimePoint> first_human_reply_at;
  std::string resolved_by;  // "AI", "HUMAN", "" while not resolved
  std::optional<double> resolution_s;
  std::vector<std::string> booked_appointment_ids;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t cost_micros = 0;
  std::optional<int> csat_score;
  std::string csat_comment;
};

// The export's fields, in column order: id, channel, customer_id, ...,
// tags. Every export (`omni analytics conversations`, the operator API)
// writes these.
const std::vector<std::string>& ConversationRowFields();

// One row as a JSON object with ConversationRowFields() as keys: instants
// ISO 8601 UTC, durations in seconds, cost_usd in dollars, absent values
// null, appointment_ids and tags as arrays.
nlohmann::json ConversationRowJson(const ConversationRow& row);

// Calls `row` for each conversation started in `range`, oldest first,
// reading a page at a time so that memory stays flat however many there
// are. Returns how many rows were written. Errors as Summarize.
std::int64_t ExportConversations(db::Pool& pool, const std::string& business_id, const DayRange& range,
                                 const std::function<void(const ConversationRow&)>& row);

}  // namespace omni::analytics
