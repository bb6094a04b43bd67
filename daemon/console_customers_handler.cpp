// Customers of the caller's business through the same core functions as
// `omni customers list|show|update|tag|merge` (core/customers):
//
// GET /v1/console/customers (customers:read)
//   Query (all optional): q (part of the name, email or phone), tags
//   (comma-separated: customers with every one), any_tags (comma-separated:
//   with at least one), limit (1 to 200, default 50), cursor (next_cursor).
//   200 {"customers":[CustomerJson...],"next_cursor": string or null}.
// GET /v1/console/customers/{id} (customers:read)
//   200 CustomerJson plus "conversations" (most recent first) and
//   "upcoming" and "past" appointments, at most 20 of each.
// PATCH /v1/console/customers/{id} {"name","email","phone","notes",
//   "metadata":{key: string or null}} (customers:write), each optional; ""
//   clears email or phone, null in metadata removes the key.
//   200 CustomerJson; 409 when another customer has the email or phone.
// POST /v1/console/customers/{id}/tags {"add":[...],"remove":[...]}
//   (customers:write): 200 CustomerJson.
// POST /v1/console/customers/{id}/merge {"other": id} (customers:write):
//   merges `other` into the customer of the path, which is kept.
//   200 {"customer": CustomerJson,"removed_id","merge_id","conflicts":
//   [{"field","kept","discarded"}],"moved":{table: rows}}.
// Ids are full ids; anything else, or a customer of another business, 404.
#include <nlohmann/json.hpp>

#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/customers/customers.hpp"
#include "core/customers/merge.hpp"
#include "core/customers/profile.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

constexpr int kMaxPage = 200;
constexpr int kProfileItems = 20;
constexpr std::size_t kMaxField = 1000;
constexpr std::size_t kMaxNotes = 64 * 1024;

json Time(const std::optional<TimePoint>& t) { return t ? json(IsoUtc(*t)) : json(nullptr); }

json CustomerJson(const customers::Customer& c, const std::string& region) {
  return {{"id", c.id},
          {"name", c.name},
          {"email", c.email},
          {"phone", c.phone},
          {"phone_display", PhoneDisplay(c.phone, region)},
          {"external_id", c.external_id},
          {"claimed_email", c.claimed_email},
          {"claimed_phone", c.claimed_phone},
          {"claimed_phone_display", PhoneDisplay(c.claimed_phone, region)},
          {"tags", c.tags},
          {"notes", c.notes},
          {"metadata", c.metadata},
          {"visit_count", c.visit_count},
          {"last_contact_at", Time(c.last_contact_at)},
          {"created_at", IsoUtc(c.created_at)},
          {"updated_at", IsoUtc(c.updated_at)}};
}

std::vector<std::string> CommaList(const std::optional<std::string>& text) {
  std::vector<std::string> list;
  if (!text) return list;
  std::size_t start = 0;
  while (start <= text->size()) {
    const std::size_t comma = text->find(',', start);
    const std::size_t end = comma == std::string::npos ? text->size() : comma;
    if (end > start) list.push_back(text->substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return list;
}

asio::awaitable<Response> List(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  customers::ListFilter filter;
  filter.search = request.Query("q").value_or("");
  filter.all_tags = CommaList(request.Query("tags"));
  filter.any_tags = CommaList(request.Query("any_tags"));
  filter.limit = PageLimit(request, 50, kMaxPage);
  filter.after = request.Query("cursor").value_or("");
  auto& pool = exchange.app().pool();
  const auto page = co_await RunBlocking(exchange.app().blocking(), [&] {
    return customers::List(pool, call.principal.business_id, filter);
  });
  json list = json::array();
  for (const auto& c : page.customers) list.push_back(CustomerJson(c, call.principal.business_phone_region));
  co_return Response::Json(200, {{"customers", std::move(list)},
                                 {"next_cursor", page.next_cursor.empty() ? json(nullptr) : json(page.next_cursor)}});
}

asio::awaitable<Response> Show(Exchange& exchange, ConsoleCall& call) {
  const std::string id = RequireIdParam(exchange.request(), "id", "customer");
  auto& pool = exchange.app().pool();
  const auto profile = co_await RunBlocking(exchange.app().blocking(), [&] {
    return customers::GetProfile(pool, call.principal.business_id, id, DefaultClock().Now(), kProfileItems);
  });
  json body = CustomerJson(profile.customer, call.principal.business_phone_region);
  json conversations = json::array();
  for (const auto& c : profile.conversations) {
    conversations.push_back({{"id", c.id},
                             {"status", c.status},
                             {"channel", c.channel},
                             {"message_count", c.message_count},
                             {"last_message_role", c.last_message_role.empty() ? json(nullptr) : json(c.last_message_role)},
                             {"last_message_text", c.last_message_text},
                             {"last_message_at", Time(c.last_message_at)},
                             {"created_at", IsoUtc(c.created_at)}});
  }
  const auto appointments = [](const std::vector<customers::AppointmentSummary>& list) {
    json out = json::array();
    for (const auto& a : list) {
      out.push_back({{"id", a.id},
                     {"service", a.service_name},
                     {"status", a.status},
                     {"start", IsoUtc(a.starts_at)},
                     {"end", IsoUtc(a.ends_at)}});
    }
    return out;
  };
  body["conversations"] = std::move(conversations);
  body["upcoming"] = appointments(profile.upcoming);
  body["past"] = appointments(profile.past);
  co_return Response::Json(200, body);
}

// Applies `update` to the path's customer, which must be one of the
// business's (customers::Update throws NotFound otherwise).
asio::awaitable<Response> ApplyUpdate(Exchange& exchange, ConsoleCall& call, const customers::CustomerUpdate& update) {
  const std::string id = RequireIdParam(exchange.request(), "id", "customer");
  auto& pool = exchange.app().pool();
  const auto customer = co_await RunBlocking(exchange.app().blocking(), [&] {
    return customers::Update(pool, call.principal.business_id, id, update);
  });
  co_return Response::Json(200, CustomerJson(customer, call.principal.business_phone_region));
}

asio::awaitable<Response> Patch(Exchange& exchange, ConsoleCall& call) {
  json body;
  if (auto refused = RequireJsonBody(exchange.request(), body)) co_return *refused;
  for (const auto& [key, value] : body.items()) {
    if (key != "name" && key != "email" && key != "phone" && key != "notes" && key != "metadata") {
      throw InvalidInput("unknown field \"" + key + "\"", "A customer's name, email, phone, notes and metadata can be "
                                                          "changed; tags through POST /v1/console/customers/{id}/tags.");
    }
  }
  customers::CustomerUpdate update;
  update.name = OptionalString(body, "name", kMaxField);
  update.email = OptionalString(body, "email", kMaxField);
  update.phone = OptionalString(body, "phone", kMaxField);
  update.notes = OptionalString(body, "notes", kMaxNotes);
  if (body.contains("metadata")) {
    if (!body["metadata"].is_object()) throw InvalidInput("metadata: expected an object of strings or nulls");
    for (const auto& [key, value] : body["metadata"].items()) {
      if (value.is_null()) {
        update.unset_metadata.push_back(key);
      } else if (value.is_string()) {
        update.set_metadata[key] = value.get<std::string>();
      } else {
        throw InvalidInput("metadata." + key + ": expected a string, or null to remove it");
      }
    }
  }
  co_return co_await ApplyUpdate(exchange, call, update);
}

asio::awaitable<Response> Tags(Exchange& exchange, ConsoleCall& call) {
  json body;
  if (auto refused = RequireJsonBody(exchange.request(), body)) co_return *refused;
  customers::CustomerUpdate update;
  update.add_tags = StringList(body, "add");
  update.remove_tags = StringList(body, "remove");
  if (update.add_tags.empty() && update.remove_tags.empty()) {
    throw InvalidInput("tags: nothing to add or remove", "Send {\"add\":[\"vip\"]} or {\"remove\":[\"vip\"]}.");
  }
  co_return co_await ApplyUpdate(exchange, call, update);
}

asio::awaitable<Response> MergeCustomers(Exchange& exchange, ConsoleCall& call) {
  json body;
  if (auto refused = RequireJsonBody(exchange.request(), body)) co_return *refused;
  const std::string keep = RequireIdParam(exchange.request(), "id", "customer");
  const std::string other = RequiredString(body, "other", 100);
  if (!IsUuid(other)) throw NotFound("no customer \"" + other + "\"", "The operator API takes full ids.");
  auto& pool = exchange.app().pool();
  const auto& principal = call.principal;
  const auto result = co_await RunBlocking(exchange.app().blocking(), [&] {
    return customers::Merge(pool, principal.business_id, keep, other, principal.display_name);
  });
  json conflicts = json::array();
  for (const auto& c : result.conflicts) {
    conflicts.push_back({{"field", c.field}, {"kept", c.kept}, {"discarded", c.discarded}});
  }
  co_return Response::Json(200, {{"customer", CustomerJson(result.kept, call.principal.business_phone_region)},
                                 {"removed_id", result.removed_id},
                                 {"merge_id", result.merge_id},
                                 {"conflicts", std::move(conflicts)},
                                 {"moved", result.moved}});
}

}  // namespace

asio::awaitable<Response> HandleConsoleCustomers(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kCustomersRead, &List);
}

asio::awaitable<Response> HandleConsoleCustomer(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kCustomersRead, &Show);
}

asio::awaitable<Response> HandleConsoleCustomerUpdate(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kCustomersWrite, &Patch);
}

asio::awaitable<Response> HandleConsoleCustomerTags(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kCustomersWrite, &Tags);
}

asio::awaitable<Response> HandleConsoleCustomerMerge(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kCustomersWrite, &MergeCustomers);
}

}  // namespace omni::omnid
