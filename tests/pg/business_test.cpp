// Businesses applied from specs (idempotence down to the row versions,
// reported changes, deactivation), on a real database.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using business::ApplyAction;
using business::BusinessSpec;
using test::TestDatabase;

const char* const kSpa = R"(slug: acme-spa
name: Acme Spa
industry: MEDSPA
timezone: America/Chicago
contact: {email: hi@acme.example, phone: "+1 312 555 0100"}
hours:
  mon: [["09:00", "12:00"], ["13:00", "17:00"]]
  sat: [["10:00", "24:00"]]
overrides:
  "2026-12-25": []
booking: {slot_interval_min: 15, min_notice_min: 30, advance_days: 45, buffer_after_min: 5}
ai: {personality: calm, greeting: Hello there, instructions: Be brief.}
widget:
  title: Acme
  colors: {primary: "#123456"}
  prechat_fields: [name, phone]
  allowed_origins: [https://acme.example]
services:
  - {name: Facial, duration_min: 60, price: 80}
  - {name: Massage, duration_min: 90, price: 120.00, buffer_before_min: 10}
  - {name: Peel, duration_min: 30, price_cents: 4500, bookable: false}
resources: [Room A, Room B]
)";

BusinessSpec Spa() { return business::ParseBusinessSpec(kSpa, "acme.yaml"); }

// Row versions (xmin) of the business and all its child rows: equal
// snapshots mean no row was written in between, not even with equal values.
std::string RowVersions(db::Pool& pool, const std::string& slug) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1(
        "SELECT b.xmin::text || '|' || b.updated_at::text || '|' || "
        "coalesce((SELECT string_agg(s.xmin::text || s.updated_at::text, ',' ORDER BY s.id) FROM services s "
        "          WHERE s.business_id = b.id), '') || '|' || "
        "coalesce((SELECT string_agg(r.xmin::text, ',' ORDER BY r.id) FROM resources r "
        "          WHERE r.business_id = b.id), '') FROM businesses b WHERE slug = $1",
        slug)[0]
        .as<std::string>();
  });
}

const business::ServiceSpec* FindService(const business::Business& b, const std::string& name) {
  for (const auto& s : b.spec.services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string ChangedFields(const business::ApplyResult& result) {
  std::string out;
  for (const auto& c : result.changes) out += c.field + "=" + c.before + "->" + c.after + ";";
  return out;
}

std::string NewBusinessId(db::Pool& pool, const std::string& slug) {
  BusinessSpec spec = business::ParseBusinessSpec("slug: " + slug + "\nname: N\ntimezone: UTC\n", "t.yaml");
  return business::Apply(pool, spec).business_id;
}

}  // namespace

TEST_CASE("apply creates a business with everything in the spec", "[business]") {
  TestDatabase db;
  const auto result = business::Apply(db.pool(), Spa());
  CHECK(result.action == ApplyAction::kCreated);
  CHECK_FALSE(result.business_id.empty());

  const business::Business b = business::Get(db.pool(), "acme-spa");
  CHECK(b.id == result.business_id);
  CHECK(b.spec.name == "Acme Spa");
  CHECK(b.spec.industry == business::Industry::kMedspa);
  CHECK(b.spec.timezone == "America/Chicago");
  CHECK(b.spec.contact.email == "hi@acme.example");
  CHECK(b.spec.weekly == Spa().weekly);
  CHECK(b.spec.overrides == Spa().overrides);
  CHECK(b.spec.booking == Spa().booking);
  CHECK(b.spec.ai == Spa().ai);
  CHECK(b.spec.widget == Spa().widget);
  CHECK(b.spec.plan == std::optional{billing::PlanTier::kFree});
  CHECK(b.subscription_status == "NONE");
  CHECK(b.spec.resources == std::vector<std::string>{"Room A", "Room B"});
  REQUIRE(b.spec.services.size() == 3);
  CHECK(b.spec.services[0].name == "Facial");
  CHECK(b.spec.services[1].price_cents == 12000);
  CHECK(b.spec.services[1].buffer_before_min == 10);
  CHECK(b.spec.services[1].buffer_after_min == 5);
  CHECK_FALSE(b.spec.services[2].bookable);
  // A random secret for visitor identity, distinct per business.
  CHECK(b.widget_secret.size() == 64);
  NewBusinessId(db.pool(), "other");
  CHECK(business::Get(db.pool(), "other").widget_secret != b.widget_secret);

  // The stored shapes the booking and webchat modules read.
  db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    const auto row = tx.exec_params1("SELECT weekly_hours::text, date_overrides::text, widget::text, "
                                     "array_to_json(allowed_origins)::text FROM businesses WHERE id = $1",
                                     b.id);
    const auto weekly = nlohmann::json::parse(row[0].as<std::string>());
    CHECK(weekly == nlohmann::json::parse(
                        R"({"monday": [["09:00","12:00"],["13:00","17:00"]], "saturday": [["10:00","24:00"]]})"));
    CHECK(nlohmann::json::parse(row[1].as<std::string>()) == nlohmann::json::parse(R"({"2026-12-25": []})"));
    const auto widget = nlohmann::json::parse(row[2].as<std::string>());
    CHECK(widget["colors"]["primary"] == "#123456");
    CHECK(widget["prechat_fields"] == nlohmann::json::parse(R"(["name","phone"])"));
    CHECK(row[3].as<std::string>() == R"(["https://acme.example"])");
  });

  const auto all = business::List(db.pool());
  REQUIRE(all.size() == 2);
  CHECK(all[0].spec.slug == "acme-spa");
  CHECK(all[0].spec.services.size() == 3);
  CHECK(all[1].spec.slug == "other");
}

TEST_CASE("applying the same spec twice reports unchanged and writes no row", "[business]") {
  TestDatabase db;
  business::Apply(db.pool(), Spa());
  const std::string before = RowVersions(db.pool(), "acme-spa");
  const auto again = business::Apply(db.pool(), Spa());
  CHECK(again.action == ApplyAction::kUnchanged);
  CHECK(again.changes.empty());
  CHECK(RowVersions(db.pool(), "acme-spa") == before);

  // The shipped demo too, parsed from its file.
  const BusinessSpec demo = business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml");
  CHECK(business::Apply(db.pool(), demo).action == ApplyAction::kCreated);
  const std::string demo_before = RowVersions(db.pool(), "demo-salon");
  CHECK(business::Apply(db.pool(), demo).action == ApplyAction::kUnchanged);
  CHECK(RowVersions(db.pool(), "demo-salon") == demo_before);
}

TEST_CASE("apply reports exactly the fields that changed", "[business]") {
  TestDatabase db;
  business::Apply(db.pool(), Spa());
  const auto massage_before = *FindService(business::Get(db.pool(), "acme-spa"), "Massage");
  const auto facial_before = *FindService(business::Get(db.pool(), "acme-spa"), "Facial");

  SECTION("one service price") {
    BusinessSpec spec = Spa();
    spec.services[1].price_cents = 13500;
    const auto result = business::Apply(db.pool(), spec);
    CHECK(result.action == ApplyAction::kUpdated);
    CHECK(ChangedFields(result) == "services[Massage].price_cents=12000->13500;");
    const auto after = business::Get(db.pool(), "acme-spa");
    CHECK(FindService(after, "Massage")->price_cents == 13500);
    CHECK(FindService(after, "Massage")->id == massage_before.id);
    CHECK(FindService(after, "Facial")->price_cents == facial_before.price_cents);
  }
  SECTION("profile fields, hours and overrides") {
    BusinessSpec spec = Spa();
    spec.name = "Acme Day Spa";
    spec.weekly[1] = {{600, 900}};
    spec.overrides.erase("2026-12-25");
    spec.overrides["2026-12-31"] = {{540, 720}};
    spec.ai.enabled = false;
    const auto result = business::Apply(db.pool(), spec);
    CHECK(result.action == ApplyAction::kUpdated);
    CHECK(ChangedFields(result) ==
          "name=Acme Spa->Acme Day Spa;hours.tue=closed->10:00-15:00;overrides.2026-12-25=closed->;"
          "overrides.2026-12-31=->09:00-12:00;ai.enabled=true->false;");
    const auto after = business::Get(db.pool(), "acme-spa");
    CHECK(after.spec.name == "Acme Day Spa");
    CHECK(after.spec.overrides == spec.overrides);
    CHECK_FALSE(after.spec.ai.enabled);
  }
  SECTION("a service's aliases") {
    BusinessSpec spec = Spa();
    spec.services[1].aliases = {"deep tissue", "rubdown"};
    CHECK(ChangedFields(business::Apply(db.pool(), spec)) == "services[Massage].aliases=->deep tissue, rubdown;");
    CHECK(FindService(business::Get(db.pool(), "acme-spa"), "Massage")->aliases == spec.services[1].aliases);
    CHECK(business::Apply(db.pool(), spec).action == ApplyAction::kUnchanged);
    spec.services[1].aliases = {"rubdown"};
    CHECK(ChangedFields(business::Apply(db.pool(), spec)) == "services[Massage].aliases=deep tissue, rubdown->rubdown;");
    BusinessSpec fresh = Spa();
    fresh.slug = "fresh-spa";
    fresh.services[0].aliases = {"glow"};
    business::Apply(db.pool(), fresh);
    CHECK(business::Get(db.pool(), "fresh-spa").spec.services[0].aliases == std::vector<std::string>{"glow"});
  }
  SECTION("a plan left out keeps the stored one; a plan given is applied") {
    db::WithTransaction(db.pool(), [](pqxx::work& tx) {
      tx.exec("UPDATE businesses SET plan_tier = 'PROFESSIONAL' WHERE slug = 'acme-spa'");
    });
    CHECK(business::Apply(db.pool(), Spa()).action == ApplyAction::kUnchanged);
    BusinessSpec spec = Spa();
    spec.plan = billing::PlanTier::kStarter;
    CHECK(ChangedFields(business::Apply(db.pool(), spec)) == "plan=PROFESSIONAL->STARTER;");
  }
  SECTION("a dry run reports changes and writes nothing") {
    const std::string before = RowVersions(db.pool(), "acme-spa");
    BusinessSpec spec = Spa();
    spec.services[0].duration_min = 75;
    spec.services.pop_back();
    const auto result = business::Apply(db.pool(), spec, {.dry_run = true});
    CHECK(result.action == ApplyAction::kUpdated);
    CHECK(ChangedFields(result) == "services[Facial].duration_min=60->75;services[Peel].active=true->false;");
    CHECK(RowVersions(db.pool(), "acme-spa") == before);

    BusinessSpec fresh = Spa();
    fresh.slug = "fresh";
    CHECK(business::Apply(db.pool(), fresh, {.dry_run = true}).action == ApplyAction::kCreated);
    CHECK_THROWS_AS(business::Get(db.pool(), "fresh"), NotFound);
  }
}

TEST_CASE("services and resources missing from the spec are deactivated, not deleted", "[business]") {
  TestDatabase db;
  business::Apply(db.pool(), Spa());
  const std::string peel_id = FindService(business::Get(db.pool(), "acme-spa"), "Peel")->id;

  BusinessSpec spec = Spa();
  spec.services.pop_back();  // Peel
  spec.resources = {"Room A"};
  const auto result = business::Apply(db.pool(), spec);
  CHECK(result.action == ApplyAction::kUpdated);
  CHECK(ChangedFields(result) == "services[Peel].active=true->false;resources[Room B].active=true->false;");
  auto after = business::Get(db.pool(), "acme-spa");
  REQUIRE(FindService(after, "Peel") != nullptr);
  CHECK_FALSE(FindService(after, "Peel")->active);
  CHECK(FindService(after, "Peel")->id == peel_id);
  CHECK(after.spec.resources == std::vector<std::string>{"Room A"});
  CHECK(business::Apply(db.pool(), spec).action == ApplyAction::kUnchanged);

  // Declared again, the same rows come back.
  const auto back = business::Apply(db.pool(), Spa());
  CHECK(ChangedFields(back) == "services[Peel].active=false->true;resources[Room B].active=false->true;");
  after = business::Get(db.pool(), "acme-spa");
  CHECK(FindService(after, "Peel")->id == peel_id);
  CHECK(FindService(after, "Peel")->active);

  // A new service is reported as created.
  spec = Spa();
  spec.services.push_back({"", "Wax", "", 15, 2000, 0, 5, true, true});
  const auto added = business::Apply(db.pool(), spec);
  CHECK(ChangedFields(added) == "services[Wax]=->created: 15 min, 2000 cents;");
}

TEST_CASE("an unknown business slug is NotFound with a hint", "[business]") {
  TestDatabase db;
  try {
    business::Get(db.pool(), "nope");
    FAIL("expected NotFound");
  } catch (const NotFound& e) {
    CHECK(std::string(e.what()) == "business \"nope\" not found");
    CHECK_THAT(e.hint(), Catch::Contains("omni business list"));
  }
  CHECK_THROWS_AS(business::FindId(db.pool(), "nope"), NotFound);
  CHECK_THROWS_WITH(business::FindTenant(db.pool(), "nope"), "business \"nope\" not found");
}

TEST_CASE("FindTenant gives the business's id, time zone and phone region, and only its own", "[business]") {
  TestDatabase db;
  const auto spa = business::Apply(db.pool(), Spa());
  auto other = Spa();
  other.slug = "other-spa";
  other.timezone = "Pacific/Auckland";
  const auto other_result = business::Apply(db.pool(), other);
  const auto found = business::FindTenant(db.pool(), "acme-spa");
  CHECK(found.id == spa.business_id);
  CHECK(found.time_zone == "America/Chicago");
  CHECK(found.phone_region == "US");
  const auto found_other = business::FindTenant(db.pool(), "other-spa");
  CHECK(found_other.id == other_result.business_id);
  CHECK(found_other.time_zone == "Pacific/Auckland");
  CHECK(found_other.phone_region == "NZ");
}

TEST_CASE("a business whose phone region becomes known or changes converts its customers' phones kept from before E.164",
          "[business]") {
  TestDatabase db;
  // A UTC business names no country: migration 28 left its phones as typed.
  auto spa = Spa();
  spa.timezone = "UTC";
  const std::string id = business::Apply(db.pool(), spa).business_id;
  auto rival = spa;
  rival.slug = "rival-spa";
  const std::string rival_id = business::Apply(db.pool(), rival).business_id;
  const auto insert = [&](const std::string& business, const std::string& phone, const std::string& claimed) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      return tx.exec_params1("INSERT INTO customers (business_id, phone, claimed_phone) VALUES ($1::uuid, $2, $3)"
                             " RETURNING id::text",
                             business, phone, claimed)[0]
          .as<std::string>();
    });
  };
  const std::string old = insert(id, "3125550134", "(312) 555-0135");
  const std::string unreadable = insert(id, "020 7946 0018", "");
  const std::string other = insert(rival_id, "3125550134", "");
  const auto phones = [&](const std::string& customer) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      return tx.exec_params1("SELECT coalesce(phone, '') || ' ' || coalesce(claimed_phone, '') FROM customers"
                             " WHERE id = $1::uuid",
                             customer)[0]
          .as<std::string>();
    });
  };

  spa.country = "US";
  business::Apply(db.pool(), spa);
  CHECK(phones(old) == "+13125550134 +13125550135");
  CHECK(phones(unreadable) == "020 7946 0018 ");
  CHECK(phones(other) == "3125550134 ");
  // A corrected country reads again what the old one could not; what is
  // E.164 already stays, and another business is not touched.
  spa.country = "GB";
  business::Apply(db.pool(), spa);
  CHECK(phones(unreadable) == "+442079460018 ");
  CHECK(phones(old) == "+13125550134 +13125550135");
  CHECK(phones(other) == "3125550134 ");
  // The same country again reads nothing.
  const std::string typed_later = insert(id, "020 7946 0019", "");
  business::Apply(db.pool(), spa);
  CHECK(phones(typed_later) == "020 7946 0019 ");
}

}  // namespace omni
