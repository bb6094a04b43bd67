// GET /v1/console/conversations/{id}/customer: the customer of a
// conversation of the caller's business, for the console's customer panel
// (customers:read), as `omni customers show` reads it
// (customers::GetProfile).
//
// Response 200: {"customer": null (an anonymous visitor) or {"id","name",
// "email","phone" (E.164),"phone_display" (as the business reads it),
// "claimed_email","claimed_phone" (typed by an unverified visitor),
// "claimed_phone_display","tags":[...],"notes","visit_count","last_contact_at",
// "created_at"},"conversations":[{"id","status","channel","message_count",
// "last_message_at","created_at"}] (their latest ten, this one included),
// "upcoming":[LiveAppointment],"past":[LiveAppointment]}, LiveAppointment
// {"id","service","status","starts_at","ends_at"}; empty text as null. 404
// for an id that is not a conversation of the caller's business.
#include <nlohmann/json.hpp>

#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"
#include "core/customers/profile.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

constexpr int kListed = 10;

json Text(const std::string& value) { return value.empty() ? json(nullptr) : json(value); }
json Time(const std::optional<TimePoint>& t) { return t ? json(IsoUtc(*t)) : json(nullptr); }

json AppointmentsJson(const std::vector<customers::AppointmentSummary>& list) {
  json out = json::array();
  for (const auto& a : list) {
    out.push_back({{"id", a.id},
                   {"service", a.service_name},
                   {"status", a.status},
                   {"starts_at", IsoUtc(a.starts_at)},
                   {"ends_at", IsoUtc(a.ends_at)}});
  }
  return out;
}

asio::awaitable<Response> Show(Exchange& exchange, ConsoleCall& call) {
  const std::string& id = exchange.request().Param("id");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const json body = co_await RunBlocking(exchange.app().blocking(), [&] {
    const auto conversation = chat::Get(pool, business_id, id);
    if (conversation.customer_id.empty()) {
      return json{{"customer", nullptr}, {"conversations", json::array()}, {"upcoming", json::array()},
                  {"past", json::array()}};
    }
    const auto profile = customers::GetProfile(pool, business_id, conversation.customer_id, DefaultClock().Now(), kListed);
    const auto& c = profile.customer;
    json conversations = json::array();
    for (const auto& s : profile.conversations) {
      conversations.push_back({{"id", s.id},
                               {"status", s.status},
                               {"channel", s.channel},
                               {"message_count", s.message_count},
                               {"last_message_at", Time(s.last_message_at)},
                               {"created_at", IsoUtc(s.created_at)}});
    }
    return json{{"customer",
                 {{"id", c.id},
                  {"name", Text(c.name)},
                  {"email", Text(c.email)},
                  {"phone", Text(c.phone)},
                  {"phone_display", PhoneDisplay(c.phone, call.principal.business_phone_region)},
                  {"claimed_email", Text(c.claimed_email)},
                  {"claimed_phone", Text(c.claimed_phone)},
                  {"claimed_phone_display", PhoneDisplay(c.claimed_phone, call.principal.business_phone_region)},
                  {"tags", c.tags},
                  {"notes", Text(c.notes)},
                  {"visit_count", c.visit_count},
                  {"last_contact_at", Time(c.last_contact_at)},
                  {"created_at", IsoUtc(c.created_at)}}},
                {"conversations", std::move(conversations)},
                {"upcoming", AppointmentsJson(profile.upcoming)},
                {"past", AppointmentsJson(profile.past)}};
  });
  co_return Response::Json(200, body);
}

}  // namespace

asio::awaitable<Response> HandleConsoleConversationCustomer(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kCustomersRead, &Show);
}

}  // namespace omni::omnid
