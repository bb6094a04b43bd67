// Ranges as users ask for them and metrics by name, shared by
// `omni analytics` and the operator API; see analytics.hpp.
#include <cctype>

#include "core/analytics/analytics.hpp"
#include "core/booking/local_time.hpp"
#include "core/common/error.hpp"

namespace omni::analytics {

DayRange ResolveRange(const RangeRequest& request, const std::string& time_zone, int default_days, TimePoint now,
                      const std::string& prefix) {
  if (!request.since.empty() && (!request.from.empty() || !request.to.empty())) {
    throw InvalidInput(prefix + "since cannot be combined with " + prefix + "from or " + prefix + "to",
                       "Give either " + prefix + "since 30d or " + prefix + "from and " + prefix + "to.");
  }
  if (request.from.empty() && request.to.empty()) {
    return LastDays(request.since.empty() ? default_days : ParseSince(request.since), time_zone, now);
  }
  const auto last = request.to.empty() ? booking::LocalDate(now, time_zone) : booking::ParseDate(request.to, prefix + "to");
  const auto first = request.from.empty()
                         ? std::chrono::year_month_day{std::chrono::sys_days{last} - std::chrono::days{default_days - 1}}
                         : booking::ParseDate(request.from, prefix + "from");
  return {first, last};
}

int DefaultTrendDays(Bucket bucket) {
  return bucket == Bucket::kDay ? 30 : bucket == Bucket::kWeek ? 84 : 365;
}

std::vector<std::pair<std::string, double>> NamedMetrics(const Metrics& m) {
  using P = std::pair<std::string, double>;
  const auto d = [](std::int64_t v) { return static_cast<double>(v); };
  std::vector<P> list = {
      {"conversations", d(m.conversations)},
      {"messages_in", d(m.messages_in)},
      {"messages_out", d(m.messages_out)},
      {"first_response_mean_s", m.first_response.mean_s},
      {"first_response_median_s", m.first_response.median_s},
      {"first_response_business_mean_s", m.first_response_business.mean_s},
      {"first_response_business_median_s", m.first_response_business.median_s},
      {"handoffs", d(m.handoffs)},
      {"handoff_rate", m.handoff_rate},
  };
  for (const auto& [reason, count] : m.handoffs_by_reason) {
    std::string key = "handoffs_";
    for (char c : reason) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    list.emplace_back(key, d(count));
  }
  const std::vector<P> rest = {
      {"time_to_human_mean_s", m.time_to_human.mean_s},
      {"time_to_human_median_s", m.time_to_human.median_s},
      {"unattended_handoffs", d(m.unattended_handoffs)},
      {"resolved", d(m.resolved)},
      {"resolved_by_ai", d(m.resolved_by_ai)},
      {"resolved_by_human", d(m.resolved_by_human)},
      {"resolution_mean_s", m.resolution.mean_s},
      {"resolution_median_s", m.resolution.median_s},
      {"resolution_business_mean_s", m.resolution_business.mean_s},
      {"resolution_business_median_s", m.resolution_business.median_s},
      {"ai_resolved", d(m.ai_resolved)},
      {"ai_resolution_rate", m.ai_resolution_rate},
      {"bookings_made", d(m.bookings_made)},
      {"bookings_rescheduled", d(m.bookings_rescheduled)},
      {"bookings_canceled", d(m.bookings_canceled)},
      {"booking_conversion_rate", m.booking_conversion_rate},
      {"prompt_tokens", d(m.prompt_tokens)},
      {"completion_tokens", d(m.completion_tokens)},
      {"cost_usd", d(m.cost_micros) / 1e6},
      {"csat_offered", d(m.csat_offered)},
      {"csat_responses", d(m.csat_responses)},
      {"csat_score", m.csat_score},
      {"csat_response_rate", m.csat_response_rate},
  };
  list.insert(list.end(), rest.begin(), rest.end());
  return list;
}

}  // namespace omni::analytics
