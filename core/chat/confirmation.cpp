// Confirmations of appointment changes. See confirmation.hpp.
#include "core/chat/confirmation.hpp"

#include <date/date.h>

#include <sstream>

#include <nlohmann/json.hpp>

namespace omni::chat {
namespace {

using nlohmann::json;

// "Tuesday 9 Dec at 11:00" from the tool's local "2026-12-09" and "11:00";
// "" when either is malformed. The tool already wrote them in the
// business's time zone, so this is calendar arithmetic only.
std::string When(const std::string& day, const std::string& time) {
  std::istringstream in(day);
  date::year_month_day ymd{};
  in >> date::parse("%F", ymd);
  if (in.fail() || !ymd.ok() || time.size() != 5 || time[2] != ':') return {};
  return date::format("%A ", ymd) + std::to_string(static_cast<unsigned>(ymd.day())) +
         date::format(" %b at ", ymd) + time;
}

std::string Sentence(const AppointmentChange& change) {
  const json result = json::parse(change.result_json, nullptr, false);
  if (!result.is_object()) return {};
  const std::string service = result.value("service", "");
  const std::string when = When(result.value("date", ""), result.value("time", ""));
  if (service.empty() || when.empty()) return {};
  if (change.tool == "book_appointment" && result.value("booked", false)) {
    return "You're booked for " + when + " (" + service + ").";
  }
  if (change.tool == "reschedule_appointment" && result.value("rescheduled", false)) {
    return "Your " + service + " is moved to " + when + ".";
  }
  if (change.tool == "cancel_appointment" && result.value("canceled", false)) {
    return "Your " + service + " on " + when + " is canceled.";
  }
  return {};
}

}  // namespace

std::string ConfirmChanges(const std::vector<AppointmentChange>& changes) {
  std::string text;
  for (const auto& change : changes) {
    const std::string sentence = Sentence(change);
    if (!sentence.empty()) text += (text.empty() ? "" : " ") + sentence;
  }
  return text;
}

}  // namespace omni::chat
