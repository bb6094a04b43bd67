// Business files: a complete file, the shipped demo, and every kind of
// mistake reported with file:line:column, key path and expectation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "core/business/business_file.hpp"
#include "core/common/error.hpp"

using omni::business::BusinessSpec;
using omni::business::Industry;
using omni::business::TimeWindow;
using omni::business::ParseBusinessSpec;

namespace {

// The message of the ConfigError that parsing `yaml` throws.
std::string ErrorOf(const std::string& yaml) {
  try {
    ParseBusinessSpec(yaml, "b.yaml");
  } catch (const omni::ConfigError& e) {
    return e.what();
  }
  FAIL("expected a ConfigError for:\n" << yaml);
  return {};
}

std::string HintOf(const std::string& yaml) {
  try {
    ParseBusinessSpec(yaml, "b.yaml");
  } catch (const omni::ConfigError& e) {
    return e.hint();
  }
  FAIL("expected a ConfigError for:\n" << yaml);
  return {};
}

const std::string kMinimal =
    "slug: acme\n"
    "name: Acme\n"
    "timezone: America/Chicago\n";

}  // namespace

TEST_CASE("a complete business file parses into the spec", "[business]") {
  const std::string yaml = R"(slug: acme-spa
name: "Acme Spa"
industry: medspa
timezone: Europe/Berlin
plan: starter
contact:
  email: hi@acme.example
  phone: "+49 30 1234567"
  website: https://acme.example/spa
  address: Hauptstr. 1, Berlin
hours:
  mon: [["13:00", "17:00"], ["08:00", "12:00"]]
  sat: [["22:00", "24:00"]]
overrides:
  "2026-12-24": []
  "2026-12-27": [["10:00", "14:00"]]
booking:
  slot_interval_min: 15
  min_notice_min: 0
  advance_days: 30
  buffer_before_min: 5
  buffer_after_min: 10
ai:
  enabled: false
  personality: calm
  greeting: Hello
  instructions: Be brief.
widget:
  title: Chat with Acme
  colors: {primary: "#AA00ff", text: "#fff"}
  position: bottom-left
  prechat_fields: [email, name]
  allowed_origins: ["https://acme.example/", "http://127.0.0.1:8080"]
services:
  - name: Facial
    description: Deep clean
    duration_min: 60
    price: 45.5
  - name: Massage
    duration_min: 90
    price_cents: 12000
    buffer_before_min: 0
    buffer_after_min: 15
    bookable: false
    active: false
resources: [Room 1, Room 2]
)";
  const BusinessSpec spec = ParseBusinessSpec(yaml, "acme.yaml");
  CHECK(spec.slug == "acme-spa");
  CHECK(spec.name == "Acme Spa");
  CHECK(spec.industry == Industry::kMedspa);
  CHECK(spec.timezone == "Europe/Berlin");
  CHECK(spec.plan == std::optional{omni::billing::PlanTier::kStarter});
  CHECK(spec.contact.email == "hi@acme.example");
  CHECK(spec.contact.phone == "+49301234567");
  CHECK(spec.contact.website == "https://acme.example/spa");
  CHECK(spec.contact.address == "Hauptstr. 1, Berlin");
  // Windows come back sorted; "24:00" is minute 1440; unlisted days are closed.
  CHECK(spec.weekly[0] == std::vector<TimeWindow>{{480, 720}, {780, 1020}});
  CHECK(spec.weekly[5] == std::vector<TimeWindow>{{1320, 1440}});
  CHECK(spec.weekly[1].empty());
  CHECK(spec.weekly[6].empty());
  REQUIRE(spec.overrides.size() == 2);
  CHECK(spec.overrides.at("2026-12-24").empty());
  CHECK(spec.overrides.at("2026-12-27") == std::vector<TimeWindow>{{600, 840}});
  CHECK(spec.booking.slot_interval_min == 15);
  CHECK(spec.booking.min_notice_min == 0);
  CHECK(spec.booking.advance_days == 30);
  CHECK_FALSE(spec.ai.enabled);
  CHECK(spec.ai.personality == "calm");
  CHECK(spec.ai.greeting == "Hello");
  CHECK(spec.ai.instructions == "Be brief.");
  CHECK(spec.widget.title == "Chat with Acme");
  CHECK(spec.widget.colors.at("primary") == "#aa00ff");
  CHECK(spec.widget.colors.at("text") == "#fff");
  CHECK(spec.widget.position == "bottom-left");
  CHECK(spec.widget.prechat_fields == std::vector<std::string>{"email", "name"});
  CHECK(spec.widget.allowed_origins == std::vector<std::string>{"https://acme.example", "http://127.0.0.1:8080"});
  REQUIRE(spec.services.size() == 2);
  const auto& facial = spec.services[0];
  CHECK(facial.name == "Facial");
  CHECK(facial.description == "Deep clean");
  CHECK(facial.duration_min == 60);
  CHECK(facial.price_cents == 4550);
  // Buffers not set on the service come from the booking section.
  CHECK(facial.buffer_before_min == 5);
  CHECK(facial.buffer_after_min == 10);
  CHECK(facial.bookable);
  CHECK(facial.active);
  const auto& massage = spec.services[1];
  CHECK(massage.price_cents == 12000);
  CHECK(massage.buffer_before_min == 0);
  CHECK(massage.buffer_after_min == 15);
  CHECK_FALSE(massage.bookable);
  CHECK_FALSE(massage.active);
  CHECK(spec.resources == std::vector<std::string>{"Room 1", "Room 2"});
}

TEST_CASE("a minimal business file gets the documented defaults", "[business]") {
  const BusinessSpec spec = ParseBusinessSpec(kMinimal, "b.yaml");
  CHECK(spec.industry == Industry::kOther);
  CHECK_FALSE(spec.plan.has_value());  // apply leaves the stored tier alone
  for (const auto& day : spec.weekly) CHECK(day.empty());
  CHECK(spec.booking.slot_interval_min == 30);
  CHECK(spec.ai.enabled);
  CHECK(spec.widget.position == "bottom-right");
  CHECK(spec.widget.limit_message ==
        "We can't chat right now. Leave your email and the team will get back to you.");
  CHECK(spec.services.empty());
  CHECK(spec.resources.empty());
}

TEST_CASE("widget.limit_message is the business's own words at a plan limit", "[business]") {
  CHECK(ParseBusinessSpec(kMinimal + "widget:\n  limit_message: Call us on 555-0142, we're happy to help.\n",
                          "b.yaml")
            .widget.limit_message == "Call us on 555-0142, we're happy to help.");
  // A blank message would leave the visitor with nothing.
  CHECK_THROWS_AS(ParseBusinessSpec(kMinimal + "widget:\n  limit_message: \"  \"\n", "b.yaml"), omni::ConfigError);
}

TEST_CASE("the shipped demo salon parses", "[business]") {
  const BusinessSpec spec = omni::business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml");
  CHECK(spec.slug == "demo-salon");
  CHECK(spec.industry == Industry::kSalon);
  CHECK(spec.timezone == "America/New_York");
  CHECK(spec.weekly[0].empty());  // closed Monday
  CHECK(spec.weekly[6].empty());  // and Sunday
  CHECK(spec.weekly[1] == std::vector<TimeWindow>{{540, 1140}});
  CHECK(spec.overrides.at("2026-12-25").empty());
  CHECK(spec.services.size() >= 6);
  CHECK(spec.services.size() <= 10);
  const auto haircut = std::find_if(spec.services.begin(), spec.services.end(),
                                    [](const auto& s) { return s.name == "Women's haircut"; });
  REQUIRE(haircut != spec.services.end());
  CHECK(haircut->duration_min == 60);
  CHECK(haircut->price_cents == 6500);
  CHECK(haircut->buffer_after_min == 10);
  CHECK(haircut->aliases == std::vector<std::string>{"ladies cut"});
  CHECK_FALSE(spec.ai.greeting.empty());
  CHECK_FALSE(spec.ai.instructions.empty());
  CHECK_FALSE(spec.widget.colors.empty());
}

TEST_CASE("a business file's country, else its time zone, reads its phones", "[unit][business][phone]") {
  const auto spec = [](const std::string& yaml) { return ParseBusinessSpec(yaml, "b.yaml"); };
  const auto chicago = spec(kMinimal + "contact:\n  phone: (415) 555-0132\n");
  CHECK(chicago.country.empty());
  CHECK(PhoneRegion(chicago) == "US");
  CHECK(chicago.contact.phone == "+14155550132");
  const auto london = spec("slug: acme\nname: Acme\ntimezone: UTC\ncountry: gb\ncontact:\n  phone: 020 7946 0018\n"
                           "widget:\n  prechat_fields: [phone]\n");
  CHECK(london.country == "GB");
  CHECK(PhoneRegion(london) == "GB");
  CHECK(london.contact.phone == "+442079460018");
  const auto utc = spec("slug: acme\nname: Acme\ntimezone: UTC\ncontact:\n  phone: +64 21 123 4567\n");
  CHECK(PhoneRegion(utc).empty());
  CHECK(utc.contact.phone == "+64211234567");
}

TEST_CASE("business file errors name file, line, column, key path and expectation", "[business]") {
  SECTION("unknown top-level key, with a suggestion") {
    const std::string yaml = kMinimal + "servces: []\n";
    CHECK(ErrorOf(yaml) ==
          "b.yaml:4:1: servces: unknown key; expected one of: slug, name, industry, timezone, country, contact, hours, "
          "overrides, booking, ai, plan, widget, notifications, services, resources");
    CHECK(HintOf(yaml) == "Did you mean \"services\"?");
  }
  SECTION("unknown nested key") {
    CHECK_THAT(ErrorOf(kMinimal + "booking:\n  slot_interval: 15\n"),
               Catch::StartsWith("b.yaml:5:3: booking.slot_interval: unknown key; expected one of: slot_interval_min"));
  }
  SECTION("duplicate key") {
    CHECK(ErrorOf(kMinimal + "name: Again\n") == "b.yaml:4:1: name: duplicate key");
  }
  SECTION("missing required key") {
    CHECK(ErrorOf("slug: acme\nname: Acme\n") == "b.yaml:1:1: missing required key \"timezone\"");
  }
  SECTION("an empty file") {
    CHECK_THAT(ErrorOf(""), Catch::StartsWith("b.yaml"));
  }
  SECTION("invalid YAML syntax") {
    CHECK_THAT(ErrorOf("slug: acme\nname: [unclosed\n"), Catch::StartsWith("b.yaml:3:1: invalid YAML: "));
  }
  SECTION("bad slug") {
    CHECK_THAT(ErrorOf("slug: Acme_Spa\nname: A\ntimezone: UTC\n"),
               Catch::StartsWith("b.yaml:1:7: slug: expected a slug of 2 to 63 characters"));
    CHECK_THAT(ErrorOf("slug: a\nname: A\ntimezone: UTC\n"), Catch::StartsWith("b.yaml:1:7: slug:"));
    CHECK_THAT(ErrorOf("slug: -acme\nname: A\ntimezone: UTC\n"), Catch::StartsWith("b.yaml:1:7: slug:"));
  }
  SECTION("unknown time zone names the zone") {
    const std::string yaml = "slug: acme\nname: A\ntimezone: America/New_Yrok\n";
    CHECK(ErrorOf(yaml) == "b.yaml:3:11: timezone: unknown time zone \"America/New_Yrok\"");
    CHECK_THAT(HintOf(yaml), Catch::Contains("IANA"));
  }
  SECTION("bad industry and plan") {
    CHECK(ErrorOf(kMinimal + "industry: BARBER\n") ==
          "b.yaml:4:11: industry: expected one of MEDSPA, SALON, DENTAL, FITNESS, HEALTHCARE, HOME_SERVICES, "
          "OTHER, got \"BARBER\"");
    CHECK_THAT(ErrorOf(kMinimal + "plan: GOLD\n"), Catch::StartsWith("b.yaml:4:7: plan: expected one of FREE"));
  }
  SECTION("bad HH:MM") {
    CHECK(ErrorOf(kMinimal + "hours:\n  mon: [[\"9am\", \"17:00\"]]\n") ==
          "b.yaml:5:10: hours.mon[0][0]: expected a time \"HH:MM\" from 00:00 to 23:59, got \"9am\"");
    CHECK(ErrorOf(kMinimal + "hours:\n  mon: [[\"09:00\", \"17:60\"]]\n") ==
          "b.yaml:5:19: hours.mon[0][1]: expected a time \"HH:MM\" from 00:00 to 24:00, got \"17:60\"");
    CHECK_THAT(ErrorOf(kMinimal + "hours:\n  mon: [[\"24:00\", \"24:00\"]]\n"),
               Catch::StartsWith("b.yaml:5:10: hours.mon[0][0]: expected a time"));
    CHECK_THAT(ErrorOf(kMinimal + "hours:\n  mon: [[\"09:00\", \"24:01\"]]\n"),
               Catch::StartsWith("b.yaml:5:19: hours.mon[0][1]: expected a time"));
  }
  SECTION("a window that is not a pair") {
    CHECK(ErrorOf(kMinimal + "hours:\n  mon: [\"09:00\", \"17:00\"]\n") ==
          "b.yaml:5:9: hours.mon[0]: expected a window [\"HH:MM\", \"HH:MM\"], got \"09:00\"");
  }
  SECTION("unknown weekday") {
    CHECK_THAT(ErrorOf(kMinimal + "hours:\n  monday: []\n"),
               Catch::StartsWith("b.yaml:5:3: hours.monday: unknown key; expected one of: mon, tue"));
  }
  SECTION("window ending before it starts") {
    CHECK(ErrorOf(kMinimal + "hours:\n  tue: [[\"17:00\", \"09:00\"]]\n") ==
          "b.yaml:5:9: hours.tue[0]: window must end after it starts, got 17:00 to 09:00");
  }
  SECTION("overlapping windows") {
    CHECK(ErrorOf(kMinimal + "hours:\n  wed:\n    - [\"09:00\", \"13:00\"]\n    - [\"12:30\", \"17:00\"]\n") ==
          "b.yaml:7:7: hours.wed[1]: window overlaps another window of the same day");
    // Reported at the later window in the file, whatever the time order.
    CHECK(ErrorOf(kMinimal + "overrides:\n  \"2026-12-24\": [[\"12:00\", \"17:00\"], [\"09:00\", \"12:01\"]]\n") ==
          "b.yaml:5:38: overrides.2026-12-24[1]: window overlaps another window of the same day");
  }
  SECTION("bad override date") {
    CHECK(ErrorOf(kMinimal + "overrides:\n  \"2026-02-30\": []\n") ==
          "b.yaml:5:3: overrides.2026-02-30: expected a date key \"YYYY-MM-DD\"");
    CHECK_THAT(ErrorOf(kMinimal + "overrides:\n  tomorrow: []\n"), Catch::StartsWith("b.yaml:5:3: overrides.tomorrow:"));
  }
  SECTION("wrong types") {
    CHECK(ErrorOf(kMinimal + "booking:\n  slot_interval_min: \"30\"\n") ==
          "b.yaml:5:22: booking.slot_interval_min: expected an integer from 5 to 240, got \"30\"");
    CHECK(ErrorOf(kMinimal + "booking:\n  advance_days: 0\n") ==
          "b.yaml:5:17: booking.advance_days: expected an integer from 1 to 730, got \"0\"");
    CHECK(ErrorOf(kMinimal + "ai:\n  enabled: yes\n") == "b.yaml:5:12: ai.enabled: expected true or false, got \"yes\"");
    CHECK(ErrorOf(kMinimal + "contact: hello\n") == "b.yaml:4:10: contact: expected a mapping, got \"hello\"");
    CHECK(ErrorOf(kMinimal + "services:\n  name: Cut\n") == "b.yaml:5:3: services: expected a list, got a mapping");
    CHECK(ErrorOf(kMinimal + "name2: x\n").find("b.yaml:4:1: name2: unknown key") == 0);
  }
  SECTION("bad contact values") {
    CHECK(ErrorOf(kMinimal + "contact:\n  email: not-an-email\n") ==
          "b.yaml:5:10: contact.email: expected an email address, got \"not-an-email\"");
    CHECK(ErrorOf(kMinimal + "contact:\n  phone: call us\n") ==
          "b.yaml:5:10: contact.phone: invalid phone number \"call us\": unexpected character 'c'");
    CHECK(ErrorOf(kMinimal + "contact:\n  phone: 555 010 2030\n") ==
          "b.yaml:5:10: contact.phone: invalid phone number \"555 010 2030\": not a valid US number");
    CHECK_THAT(ErrorOf(kMinimal + "contact:\n  website: acme.example\n"),
               Catch::StartsWith("b.yaml:5:12: contact.website: expected an http(s) URL"));
  }
  SECTION("a country, and phones where the time zone names none") {
    CHECK(ErrorOf(kMinimal + "country: UK\n") ==
          "b.yaml:4:10: country: unknown country \"UK\": expected an ISO 3166 code such as US, GB or DE");
    CHECK(HintOf(kMinimal + "country: UK\n") == "The United Kingdom's code is GB.");
    const std::string utc = "slug: acme\nname: Acme\ntimezone: UTC\n";
    CHECK(ErrorOf(utc + "contact:\n  phone: (415) 555-0132\n") ==
          "b.yaml:5:10: contact.phone: invalid phone number \"(415) 555-0132\": no country code");
    CHECK_THAT(HintOf(utc + "contact:\n  phone: (415) 555-0132\n"), Catch::StartsWith("Set country: (e.g. US)"));
    CHECK(ErrorOf(utc + "widget:\n  prechat_fields: [name, phone]\n") ==
          "b.yaml:5:19: widget.prechat_fields: the pre-chat form asks for a phone, but the business has no country "
          "(time zone UTC names none)");
  }
  SECTION("bad widget values") {
    CHECK(ErrorOf(kMinimal + "widget:\n  colors: {primary: red}\n") ==
          "b.yaml:5:21: widget.colors.primary: expected a colour \"#rrggbb\" or \"#rgb\", got \"red\"");
    CHECK_THAT(ErrorOf(kMinimal + "widget:\n  colors: {shadow: \"#000\"}\n"),
               Catch::StartsWith("b.yaml:5:12: widget.colors.shadow: unknown key"));
    CHECK(ErrorOf(kMinimal + "widget:\n  position: top\n") ==
          "b.yaml:5:13: widget.position: expected one of bottom-right, bottom-left, got \"top\"");
    CHECK(ErrorOf(kMinimal + "widget:\n  prechat_fields: [name, age]\n") ==
          "b.yaml:5:26: widget.prechat_fields[1]: expected one of name, email, phone, got \"age\"");
    CHECK(ErrorOf(kMinimal + "widget:\n  prechat_fields: [name, name]\n") ==
          "b.yaml:5:26: widget.prechat_fields[1]: field \"name\" is listed twice");
    CHECK_THAT(ErrorOf(kMinimal + "widget:\n  allowed_origins: [\"https://acme.example/chat\"]\n"),
               Catch::StartsWith("b.yaml:5:21: widget.allowed_origins[0]: expected an origin"));
  }
  SECTION("bad services") {
    CHECK(ErrorOf(kMinimal + "services:\n  - name: Cut\n") == "b.yaml:5:5: services[0]: missing required key \"duration_min\"");
    CHECK(ErrorOf(kMinimal + "services:\n  - {name: Cut, duration_min: 30, price: 12.345}\n") ==
          "b.yaml:5:42: services[0].price: expected an amount such as 45 or 45.00, got \"12.345\"");
    CHECK(ErrorOf(kMinimal + "services:\n  - {name: Cut, duration_min: 30, price: 10, price_cents: 1000}\n") ==
          "b.yaml:5:59: services[0].price_cents: set either price or price_cents, not both");
    CHECK(ErrorOf(kMinimal + "services:\n  - {name: Cut, duration_min: 0}\n") ==
          "b.yaml:5:31: services[0].duration_min: expected an integer from 5 to 1440, got \"0\"");
    CHECK(ErrorOf(kMinimal + "services:\n  - {name: Cut, duration_min: 30}\n  - {name: cut, duration_min: 30}\n") ==
          "b.yaml:6:12: services[1].name: service \"cut\" is declared twice");
    CHECK(ErrorOf(kMinimal + "services:\n  - {name: Cut, duration_min: 30, colour: red}\n") ==
          "b.yaml:5:35: services[0].colour: unknown key; expected one of: name, aliases, description, duration_min, price, "
          "price_cents, buffer_before_min, buffer_after_min, bookable, active");
  }
  SECTION("duplicate resources") {
    CHECK(ErrorOf(kMinimal + "resources: [Chair, chair]\n") ==
          "b.yaml:4:20: resources[1]: resource \"chair\" is declared twice");
  }
}

TEST_CASE("an unreadable business file is a config error naming the path", "[business]") {
  try {
    omni::business::LoadBusinessFile("/nonexistent/acme.yaml");
    FAIL("expected ConfigError");
  } catch (const omni::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::StartsWith("could not read business file \"/nonexistent/acme.yaml\""));
  }
}

TEST_CASE("a business file that is not UTF-8 names the line and column of the first bad byte", "[business]") {
  CHECK(ErrorOf(kMinimal + "ai:\n  personality: caf\xE9 cr\xE8me\n") == "b.yaml:5:19: byte 0xE9 is not valid UTF-8");
  CHECK(ErrorOf("slug: acme\nname: Caf\xC3\xA9 \xE9\ntimezone: America/Chicago\n") ==
        "b.yaml:2:12: byte 0xE9 is not valid UTF-8");
  CHECK_THAT(HintOf(kMinimal + "name2: \xFF\n"), Catch::Contains("iconv"));
}

TEST_CASE("free texts of a business file have a length limit each", "[business]") {
  // `before` + limit + 1 letters + `after` fails at `where`; the limit passes.
  const auto check = [](const std::string& before, const std::string& after, const std::string& where,
                        std::size_t limit) {
    INFO(where);
    CHECK(ErrorOf(kMinimal + before + std::string(limit + 1, 'a') + after) ==
          where + ": expected at most " + std::to_string(limit) + " characters, got " + std::to_string(limit + 1));
    CHECK_NOTHROW(ParseBusinessSpec(kMinimal + before + std::string(limit, 'a') + after, "b.yaml"));
  };
  check("ai:\n  personality: ", "\n", "b.yaml:5:16: ai.personality", 2000);
  check("ai:\n  greeting: ", "\n", "b.yaml:5:13: ai.greeting", 1000);
  check("ai:\n  instructions: ", "\n", "b.yaml:5:17: ai.instructions", 4000);
  check("widget:\n  title: ", "\n", "b.yaml:5:10: widget.title", 100);
  check("widget:\n  greeting: ", "\n", "b.yaml:5:13: widget.greeting", 1000);
  check("widget:\n  limit_message: ", "\n", "b.yaml:5:18: widget.limit_message", 1000);
  check("contact:\n  address: ", "\n", "b.yaml:5:12: contact.address", 500);
  check("services:\n  - name: ", "\n    duration_min: 30\n", "b.yaml:5:11: services[0].name", 200);
  check("services:\n  - name: Cut\n    duration_min: 30\n    description: ", "\n",
        "b.yaml:7:18: services[0].description", 1000);
  check("resources: [", "]\n", "b.yaml:4:13: resources[0]", 100);
  CHECK(ErrorOf("slug: acme\nname: " + std::string(201, 'a') + "\ntimezone: America/Chicago\n") ==
        "b.yaml:2:7: name: expected at most 200 characters, got 201");
  CHECK_THAT(HintOf(kMinimal + "ai:\n  instructions: " + std::string(4001, 'a') + "\n"),
             Catch::Contains("every prompt"));

  // Characters, not bytes: 2000 accented letters are 4000 bytes.
  std::string accented;
  for (int i = 0; i < 2000; ++i) accented += "\xC3\xA9";
  CHECK(ParseBusinessSpec(kMinimal + "ai:\n  personality: " + accented + "\n", "b.yaml").ai.personality == accented);
}

TEST_CASE("a business file is read no further than 1 MiB", "[business]") {
  CHECK_THROWS_WITH(omni::business::LoadBusinessFile("/dev/zero"),
                    "business file \"/dev/zero\" is larger than the limit of 1 MiB");
}

TEST_CASE("a service's aliases each name one service only", "[business]") {
  const std::string services = kMinimal +
                               "services:\n"
                               "  - name: Blowout\n"
                               "    aliases: [blow dry, Blow-dry]\n"
                               "    duration_min: 45\n"
                               "  - name: Haircut\n"
                               "    duration_min: 30\n";
  const auto spec = ParseBusinessSpec(services, "b.yaml");
  CHECK(spec.services[0].aliases == std::vector<std::string>{"blow dry", "Blow-dry"});
  CHECK(spec.services[1].aliases.empty());
  CHECK(ErrorOf(kMinimal +
                "services:\n"
                "  - name: Blowout\n"
                "    aliases: [blow dry]\n"
                "    duration_min: 45\n"
                "  - name: Style\n"
                "    aliases: [Blow Dry]\n"
                "    duration_min: 30\n") ==
        "b.yaml:9:15: services[1].aliases[0]: alias \"Blow Dry\" is already an alias of \"Blowout\"");
  CHECK_THAT(ErrorOf(kMinimal +
                     "services:\n"
                     "  - name: Blowout\n"
                     "    aliases: [haircut]\n"
                     "    duration_min: 45\n"
                     "  - name: Haircut\n"
                     "    duration_min: 30\n"),
             Catch::Contains("alias \"Haircut\" of \"Blowout\" is the name of another service"));
  CHECK_THAT(ErrorOf(kMinimal + "services:\n  - name: Blowout\n    aliases: [a, b, c, d, e, f, g, h, i, j, k]\n"
                                "    duration_min: 45\n"),
             Catch::Contains("services[0].aliases: at most 10 aliases, got 11"));
}

TEST_CASE("notifications: reply-to, notify address, reminder lead times and wording", "[business]") {
  const BusinessSpec defaults = ParseBusinessSpec(kMinimal, "b.yaml");
  CHECK(defaults.notifications.reminder_lead_min == std::vector<int>{1440, 120});
  CHECK(defaults.notifications.notify.empty());
  const BusinessSpec spec = ParseBusinessSpec(
      kMinimal +
          "notifications:\n  reply_to: front@acme.example\n  notify: team@acme.example\n"
          "  reminders: [2h, 1d, 30m]\n  color: \"#AA3366\"\n  signature: The Acme team\n"
          "  confirmation_note: Bring your ID.\n",
      "b.yaml");
  CHECK(spec.notifications.reply_to == "front@acme.example");
  CHECK(spec.notifications.notify == "team@acme.example");
  CHECK(spec.notifications.reminder_lead_min == std::vector<int>{1440, 120, 30});
  CHECK(spec.notifications.color == "#aa3366");
  CHECK(spec.notifications.signature == "The Acme team");
  CHECK(spec.notifications.confirmation_note == "Bring your ID.");
  CHECK(ParseBusinessSpec(kMinimal + "notifications:\n  reminders: []\n", "b.yaml").notifications.reminder_lead_min.empty());
  CHECK_THAT(ErrorOf(kMinimal + "notifications:\n  reminders: [2 weeks]\n"),
             Catch::StartsWith("b.yaml:5:15: notifications.reminders[0]: expected a lead time"));
  CHECK_THAT(ErrorOf(kMinimal + "notifications:\n  reminders: [2h, 120m]\n"),
             Catch::Contains("lead time given twice"));
  CHECK_THAT(ErrorOf(kMinimal + "notifications:\n  reminders: [1m]\n"), Catch::Contains("expected a lead time"));
  CHECK_THAT(ErrorOf(kMinimal + "notifications:\n  notify: team\n"), Catch::Contains("expected an email address"));
  CHECK_THAT(ErrorOf(kMinimal + "notifications:\n  color: red\n"), Catch::Contains("expected a colour"));
  CHECK_THAT(ErrorOf(kMinimal + "notifications:\n  remind: [2h]\n"), Catch::Contains("remind"));
}
