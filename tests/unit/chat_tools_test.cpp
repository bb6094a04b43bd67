// Tool schemas, argument validation and the tools that need no database
// (core/chat/schema.hpp, core/chat/tools.hpp).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/chat/schema.hpp"
#include "core/chat/tools.hpp"
#include "core/common/text.hpp"

namespace omni::chat {
namespace {

using nlohmann::json;

std::vector<std::string> Validate(const std::string& tool, const json& args) {
  const json* schema = ToolSchema(tool);
  REQUIRE(schema != nullptr);
  return ValidateJson(*schema, args, tool);
}

json Booking() {
  return {{"date", "2026-12-01"}, {"time", "15:00"}, {"service", "Blowout"}, {"customer_name", "Jane"}};
}

}  // namespace

TEST_CASE("every tool has a strict object schema", "[chat]") {
  std::vector<std::string> names;
  for (const auto& spec : ToolSpecs()) {
    names.push_back(spec.name);
    const json schema = json::parse(spec.parameters_schema_json);
    CHECK(schema["type"] == "object");
    CHECK(schema["additionalProperties"] == false);
    CHECK_FALSE(spec.description.empty());
  }
  CHECK(names == std::vector<std::string>{"check_availability", "book_appointment", "cancel_appointment",
                                          "reschedule_appointment", "list_services", "search_knowledge",
                                          "escalate_to_human"});
}

TEST_CASE("validation messages name the tool, the field and the bad value", "[chat]") {
  CHECK(Validate("book_appointment", Booking()).empty());

  auto args = Booking();
  args["date"] = "tomorrow";
  CHECK(Validate("book_appointment", args) ==
        std::vector<std::string>{"book_appointment.date: expected YYYY-MM-DD, got \"tomorrow\""});
  args["date"] = "2026-02-30";
  CHECK(Validate("book_appointment", args) ==
        std::vector<std::string>{"book_appointment.date: expected YYYY-MM-DD, got \"2026-02-30\""});
  args = Booking();
  args["time"] = "3pm";
  CHECK(Validate("book_appointment", args) ==
        std::vector<std::string>{"book_appointment.time: expected HH:MM (24-hour), got \"3pm\""});
  args["time"] = "24:00";
  CHECK(Validate("book_appointment", args).size() == 1);
  args = Booking();
  args.erase("service");
  args["colour"] = "red";
  CHECK(Validate("book_appointment", args) ==
        std::vector<std::string>{"book_appointment.service: required",
                                 "book_appointment.colour: unknown property (allowed: customer_email, customer_name, "
                                 "customer_phone, date, service, time)"});
  args = Booking();
  args["customer_name"] = "";
  CHECK(Validate("book_appointment", args) ==
        std::vector<std::string>{"book_appointment.customer_name: expected at least 1 character, got \"\""});
  args = Booking();
  args["date"] = 20261201;
  CHECK(Validate("book_appointment", args) ==
        std::vector<std::string>{"book_appointment.date: expected string, got integer 20261201"});
  CHECK(Validate("book_appointment", json::array()) ==
        std::vector<std::string>{"book_appointment: expected object, got array []"});
  CHECK(Validate("cancel_appointment", {{"appointment_id", "42"}}) ==
        std::vector<std::string>{"cancel_appointment.appointment_id: expected an id like 0b7e...-...., got \"42\""});
}

TEST_CASE("the schema subset: enum, pattern, numbers, arrays", "[chat]") {
  const json schema = {{"type", "object"},
                       {"properties",
                        {{"size", {{"enum", {"s", "m"}}}},
                         {"code", {{"type", "string"}, {"pattern", "^[A-Z]{3}$"}}},
                         {"count", {{"type", "integer"}, {"minimum", 1}, {"maximum", 9}}},
                         {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};
  CHECK(ValidateJson(schema, {{"size", "m"}, {"code", "ABC"}, {"count", 3}, {"tags", {"a"}}}, "x").empty());
  CHECK(ValidateJson(schema, {{"size", "xl"}}, "x") ==
        std::vector<std::string>{"x.size: expected one of \"s\", \"m\", got \"xl\""});
  CHECK(ValidateJson(schema, {{"code", "abcd"}}, "x") ==
        std::vector<std::string>{"x.code: expected to match ^[A-Z]{3}$, got \"abcd\""});
  CHECK(ValidateJson(schema, {{"count", 10}}, "x") == std::vector<std::string>{"x.count: expected at most 9, got 10"});
  CHECK(ValidateJson(schema, {{"count", 2.5}}, "x") ==
        std::vector<std::string>{"x.count: expected integer, got number 2.5"});
  CHECK(ValidateJson(schema, {{"tags", {"a", 1}}}, "x") ==
        std::vector<std::string>{"x.tags[1]: expected string, got integer 1"});
  CHECK(IsUuid("0b7e1f5a-3c2d-4e5f-8a9b-0c1d2e3f4a5b"));
  CHECK_FALSE(IsUuid("0b7e1f5a3c2d4e5f8a9b0c1d2e3f4a5b"));
}

TEST_CASE("bad calls come back to the model as tool errors", "[chat]") {
  business::Business business;
  business.id = "b1";
  ToolContext context;
  context.business = &business;
  std::vector<Passage> citations;
  context.citations = &citations;

  auto outcome = ExecuteTool(context, {"c1", "order_pizza", "{}"});
  CHECK_FALSE(outcome.ok);
  CHECK(json::parse(outcome.result_json)["error"] == "unknown tool \"order_pizza\"");
  CHECK_THAT(json::parse(outcome.result_json)["hint"].get<std::string>(), Catch::Contains("check_availability"));

  outcome = ExecuteTool(context, {"c2", "book_appointment", "{\"date\": \"2026-12-01\""});
  CHECK_FALSE(outcome.ok);
  CHECK(json::parse(outcome.result_json)["error"] == "book_appointment: arguments are not valid JSON");

  outcome = ExecuteTool(context, {"c3", "book_appointment", R"({"date":"tomorrow","time":"15:00"})"});
  CHECK_FALSE(outcome.ok);
  CHECK(json::parse(outcome.result_json)["error"] ==
        "book_appointment.service: required; book_appointment.customer_name: required; "
        "book_appointment.date: expected YYYY-MM-DD, got \"tomorrow\"");
}

TEST_CASE("list_services, search_knowledge and escalate_to_human", "[chat]") {
  business::Business business;
  business.id = "b1";
  business::ServiceSpec cut;
  cut.name = "Cut";
  cut.duration_min = 30;
  cut.price_cents = 3500;
  business::ServiceSpec gone = cut;
  gone.name = "Gone";
  gone.active = false;
  business.spec.services = {cut, gone};
  std::vector<Passage> citations = {{"k1", "Prices", "prices.md", "Cuts are 35.", 2.0}};
  ToolContext context;
  context.business = &business;
  context.citations = &citations;
  context.search = [](const std::string& query, int limit) {
    CHECK(query == "parking");
    CHECK(limit > 0);
    return std::vector<Passage>{{"k2", "Parking", "where.md", "Street parking.", 1.5},
                                {"k1", "Prices", "prices.md", "Cuts are 35.", 0.5}};
  };

  auto outcome = ExecuteTool(context, {"c1", "list_services", ""});
  REQUIRE(outcome.ok);
  CHECK(json::parse(outcome.result_json)["services"] ==
        json::parse(R"([{"name":"Cut","duration_min":30,"price":"35.00","description":"","bookable_online":true}])"));

  outcome = ExecuteTool(context, {"c2", "search_knowledge", R"({"query":"parking"})"});
  REQUIRE(outcome.ok);
  // New passages continue the numbering; one already cited keeps its number.
  CHECK(outcome.cited == std::vector<int>{2, 1});
  REQUIRE(citations.size() == 2);
  CHECK(citations[1].title == "Parking");
  CHECK(json::parse(outcome.result_json)["results"][0]["citation"] == 2);

  outcome = ExecuteTool(context, {"c3", "escalate_to_human", R"({"reason":"complaint about a burn"})"});
  REQUIRE(outcome.ok);
  CHECK(outcome.escalation_reason == std::optional<std::string>("complaint about a burn"));

  context.dry_run = true;
  outcome = ExecuteTool(context, {"c4", "escalate_to_human", R"({"reason":"x"})"});
  CHECK_FALSE(outcome.escalation_reason);
  CHECK(json::parse(outcome.result_json)["dry_run"] == true);
}

}  // namespace omni::chat
