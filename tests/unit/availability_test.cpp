// Slot computation, driven by data: every case in tests/cases/*.json and in
// the files named by $OMNI_SLOT_CASES (colon-separated) runs through
// booking::ComputeSlots. Plus the validation and local-time parsing rules.
//
// A case file is {"cases": [...]} in the format of issue 5 (id, tz, weekly,
// overrides, bookings with start/end/status, buffer_before_min,
// buffer_after_min, duration_min, interval_min, min_notice_min, now, range,
// expected_slots_utc; optional horizon_days). One extension, optional so the
// issue's cases run as written:
// - "resources": ["chair 1", "chair 2"] gives the business active resources,
//   and a booking may then name one with "resource": "chair 1". A booking
//   without "resource" blocks the whole business. The case then runs through
//   booking::ComputeSlotsAnyResource: a start is expected when at least one
//   resource offers it. A booking naming a resource the case does not list
//   makes the case fail.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/booking/availability.hpp"
#include "core/booking/local_time.hpp"
#include "core/common/error.hpp"

namespace {

using omni::TimePoint;
using omni::booking::AvailabilityRules;
using omni::booking::BusyRange;
using omni::booking::ServiceTiming;
using nlohmann::json;

TimePoint Utc(const std::string& text) { return omni::booking::ParseStartTime(text, "UTC"); }

omni::business::DayWindows Windows(const json& list) {
  omni::business::DayWindows windows;
  for (const json& w : list) {
    windows.push_back({omni::business::ParseClockTime(w.at(0), "window start"),
                       omni::business::ParseClockTime(w.at(1), "window end")});
  }
  return windows;
}

bool IsLiveStatus(std::string status) {
  for (char& c : status) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (status == "scheduled" || status == "confirmed") return true;
  if (status == "cancelled" || status == "canceled" || status == "completed" || status == "no_show") {
    return false;
  }
  throw std::runtime_error("unknown booking status \"" + status + "\"");
}

std::string Join(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

// Runs one case; returns an empty string when it passes, else a report.
std::string RunCase(const json& c) {
  static const std::map<std::string, int> kWeekdays = {{"mon", 0}, {"tue", 1}, {"wed", 2}, {"thu", 3},
                                                       {"fri", 4}, {"sat", 5}, {"sun", 6}};
  AvailabilityRules rules;
  rules.time_zone = c.at("tz");
  for (const auto& [day, windows] : c.at("weekly").items()) {
    rules.weekly[kWeekdays.at(day)] = Windows(windows);
  }
  const json overrides = c.value("overrides", json::object());
  for (const auto& [date, windows] : overrides.items()) {
    rules.overrides[omni::booking::ParseDate(date, "override date")] = Windows(windows);
  }
  rules.interval_min = c.at("interval_min");
  rules.min_notice_min = c.value("min_notice_min", 0);
  rules.horizon_days = c.value("horizon_days", 0);
  ServiceTiming service{c.at("duration_min"), c.value("buffer_before_min", 0), c.value("buffer_after_min", 0)};
  const std::vector<std::string> resources = c.value("resources", std::vector<std::string>{});
  omni::booking::BusyByResource busy;
  busy.resources.resize(resources.size());
  const json bookings = c.value("bookings", json::array());
  for (const json& b : bookings) {
    if (!IsLiveStatus(b.at("status"))) continue;
    // A booking of this service blocks its own range widened by the buffers.
    BusyRange range{Utc(b.at("start")) - std::chrono::minutes{service.buffer_before_min},
                    Utc(b.at("end")) + std::chrono::minutes{service.buffer_after_min}};
    if (!b.contains("resource")) {
      busy.whole_business.push_back(range);
      continue;
    }
    auto it = std::find(resources.begin(), resources.end(), b.at("resource").get<std::string>());
    if (it == resources.end()) {
      throw std::runtime_error("booking on resource " + b.at("resource").dump() + " not in \"resources\"");
    }
    busy.resources[static_cast<std::size_t>(it - resources.begin())].push_back(range);
  }
  const omni::booking::SlotQuery query{Utc(c.at("now")), Utc(c.at("range").at("from")),
                                       Utc(c.at("range").at("to"))};
  // Cases without resources go through the original list overload.
  auto slots = resources.empty() ? omni::booking::ComputeSlots(rules, service, busy.whole_business, query)
                                 : omni::booking::ComputeSlotsAnyResource(rules, service, busy, query);
  std::vector<std::string> actual;
  for (TimePoint s : slots) actual.push_back(omni::booking::FormatUtc(s));
  std::vector<std::string> expected;
  for (const json& e : c.at("expected_slots_utc")) expected.push_back(omni::booking::FormatUtc(Utc(e)));
  if (actual == expected) return {};
  return "case " + c.value("id", std::string("<no id>")) + "\n  expected: " + Join(expected) +
         "\n  actual:   " + Join(actual);
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> files;
  std::filesystem::path dir = std::filesystem::path(OMNI_SOURCE_DIR) / "tests" / "cases";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  if (const char* extra = std::getenv("OMNI_SLOT_CASES")) {
    std::stringstream list(extra);
    for (std::string path; std::getline(list, path, ':');) {
      if (!path.empty()) files.push_back(path);
    }
  }
  return files;
}

}  // namespace

TEST_CASE("every slot case in tests/cases and $OMNI_SLOT_CASES passes", "[booking]") {
  int ran = 0;
  int failed = 0;
  std::vector<std::string> files = CaseFiles();
  for (const std::string& file : files) {
    std::ifstream in(file);
    INFO("case file " << file);
    REQUIRE(in.good());
    json doc = json::parse(in);
    REQUIRE(doc.contains("cases"));
    for (const json& c : doc.at("cases")) {
      ++ran;
      std::string report;
      try {
        report = RunCase(c);
      } catch (const std::exception& e) {
        report = "case " + c.value("id", std::string("<no id>")) + " threw: " + e.what();
      }
      if (!report.empty()) {
        ++failed;
        FAIL_CHECK(file << ": " << report);
      }
    }
  }
  std::cout << "slot cases: ran " << ran << " from " << files.size() << " files, " << failed << " failed\n";
  CHECK(ran >= 31);
}

TEST_CASE("alignment unit is the first of 60, 30, 20, 15, 10, 5 dividing the interval", "[booking]") {
  using omni::booking::AlignmentMinutes;
  CHECK(AlignmentMinutes(30) == 30);
  CHECK(AlignmentMinutes(120) == 60);
  CHECK(AlignmentMinutes(90) == 30);
  CHECK(AlignmentMinutes(40) == 20);
  CHECK(AlignmentMinutes(45) == 15);
  CHECK(AlignmentMinutes(50) == 10);
  CHECK(AlignmentMinutes(25) == 5);
  CHECK(AlignmentMinutes(7) == 1);
}

TEST_CASE("invalid rules and ranges are rejected with clear errors", "[booking]") {
  AvailabilityRules rules;
  rules.time_zone = "America/New_York";
  rules.weekly[0] = {{9 * 60, 17 * 60}};
  ServiceTiming service;
  omni::booking::SlotQuery query{Utc("2026-06-01T00:00Z"), Utc("2026-06-08T00:00Z"), Utc("2026-06-09T00:00Z")};

  SECTION("unknown time zone") {
    rules.time_zone = "Mars/Olympus_Mons";
    CHECK_THROWS_MATCHES(omni::booking::ComputeSlots(rules, service, {}, query), omni::ConfigError,
                         Catch::Matchers::Message("unknown time zone \"Mars/Olympus_Mons\""));
  }
  SECTION("window end before start") {
    rules.weekly[0] = {{17 * 60, 9 * 60}};
    CHECK_THROWS_AS(omni::booking::ComputeSlots(rules, service, {}, query), omni::ConfigError);
  }
  SECTION("zero interval") {
    rules.interval_min = 0;
    CHECK_THROWS_WITH(omni::booking::ComputeSlots(rules, service, {}, query),
                      Catch::Contains("slot interval is 0 minutes"));
  }
  SECTION("zero duration and negative buffer") {
    service.duration_min = 0;
    CHECK_THROWS_AS(omni::booking::ComputeSlots(rules, service, {}, query), omni::ConfigError);
    service.duration_min = 30;
    service.buffer_after_min = -5;
    CHECK_THROWS_WITH(omni::booking::ComputeSlots(rules, service, {}, query), Catch::Contains("buffer after"));
  }
  SECTION("range end before start") {
    std::swap(query.from, query.to);
    CHECK_THROWS_WITH(omni::booking::ComputeSlots(rules, service, {}, query),
                      Catch::Contains("is before the start"));
  }
}

TEST_CASE("clock times parse strictly", "[booking]") {
  using omni::business::ParseClockTime;
  CHECK(ParseClockTime("00:00", "t") == 0);
  CHECK(ParseClockTime("24:00", "t") == 1440);
  CHECK(ParseClockTime("17:45", "t") == 17 * 60 + 45);
  for (const char* bad : {"9:00", "24:01", "12:60", "ab:cd", "", "12:000", "25:00"}) {
    CHECK_THROWS_AS(ParseClockTime(bad, "t"), omni::InvalidInput);
  }
  CHECK(omni::business::FormatClockTime(1440) == "24:00");
  CHECK(omni::business::FormatClockTime(9 * 60 + 5) == "09:05");
}

TEST_CASE("start times parse as local time or with an offset", "[booking]") {
  using omni::booking::FormatUtc;
  using omni::booking::ParseStartTime;
  const std::string ny = "America/New_York";
  CHECK(FormatUtc(ParseStartTime("2026-12-01 15:00", ny)) == "2026-12-01T20:00:00Z");
  CHECK(FormatUtc(ParseStartTime("2026-06-01T15:00", ny)) == "2026-06-01T19:00:00Z");
  CHECK(FormatUtc(ParseStartTime("2026-12-01T15:00:00-05:00", ny)) == "2026-12-01T20:00:00Z");
  CHECK(FormatUtc(ParseStartTime("2026-12-01T15:00:00+0130", ny)) == "2026-12-01T13:30:00Z");
  CHECK(FormatUtc(ParseStartTime("2026-12-01T15:00Z", ny)) == "2026-12-01T15:00:00Z");
  CHECK(omni::booking::FormatLocal(ParseStartTime("2026-12-01T20:00:00Z", ny), ny) == "2026-12-01 15:00");

  CHECK_THROWS_WITH(ParseStartTime("2026-03-08 02:30", ny), Catch::Contains("does not exist"));
  CHECK_THROWS_WITH(ParseStartTime("2026-11-01 01:30", ny), Catch::Contains("ambiguous"));
  CHECK(FormatUtc(ParseStartTime("2026-11-01T01:30-05:00", ny)) == "2026-11-01T06:30:00Z");
  for (const char* bad : {"2026-13-01 10:00", "2026-02-30 10:00", "tomorrow", "2026-12-01", "2026-12-01 25:00",
                          "2026-12-01 10:00+5", "2026-12-01 10:00 EST"}) {
    CHECK_THROWS_AS(ParseStartTime(bad, ny), omni::InvalidInput);
  }
  CHECK_THROWS_AS(ParseStartTime("2026-12-01 10:00", "Nowhere/City"), omni::ConfigError);
}

TEST_CASE("local dates and midnights follow the zone", "[booking]") {
  const std::string ny = "America/New_York";
  auto date = omni::booking::ParseDate("2026-03-08", "date");
  CHECK(omni::booking::FormatUtc(omni::booking::LocalMidnight(date, ny)) == "2026-03-08T05:00:00Z");
  CHECK(omni::booking::FormatDate(omni::booking::LocalDate(Utc("2026-03-09T03:59Z"), ny)) == "2026-03-08");
  CHECK_THROWS_AS(omni::booking::ParseDate("2026-3-8", "date"), omni::InvalidInput);
}

TEST_CASE("IsOfferedStart agrees with the computed slots", "[booking]") {
  AvailabilityRules rules;
  rules.time_zone = "UTC";
  rules.weekly[0] = {{9 * 60, 12 * 60}};
  ServiceTiming service;
  std::vector<BusyRange> busy = {{Utc("2026-06-08T10:00Z"), Utc("2026-06-08T10:30Z")}};
  TimePoint now = Utc("2026-06-01T00:00Z");
  CHECK(omni::booking::IsOfferedStart(rules, service, busy, now, Utc("2026-06-08T09:30Z")));
  CHECK_FALSE(omni::booking::IsOfferedStart(rules, service, busy, now, Utc("2026-06-08T10:00Z")));
  CHECK_FALSE(omni::booking::IsOfferedStart(rules, service, busy, now, Utc("2026-06-08T09:15Z")));
  CHECK_FALSE(omni::booking::IsOfferedStart(rules, service, busy, now, Utc("2026-06-08T11:45Z")));
  CHECK(omni::booking::IsOfferedStart(rules, service, busy, now, Utc("2026-06-08T11:30Z")));
}

TEST_CASE("CheckStart names why a start cannot be booked", "[booking]") {
  using omni::booking::StartCheck;
  AvailabilityRules rules;
  rules.time_zone = "America/New_York";
  rules.weekly[6] = {{0, 3 * 60}};  // Sunday 00:00-03:00
  rules.weekly[0] = {{9 * 60, 17 * 60}};
  rules.min_notice_min = 60;
  rules.horizon_days = 30;
  ServiceTiming service{60, 0, 10};
  TimePoint now = Utc("2026-10-30T12:00Z");
  auto check = [&](const std::string& start) {
    return omni::booking::CheckStart(rules, service, now, omni::booking::ParseStartTime(start, rules.time_zone));
  };
  CHECK(check("2026-11-02 09:00") == StartCheck::kOk);
  CHECK(check("2026-11-02 16:00") == StartCheck::kOk);
  CHECK(check("2026-11-02 16:01") == StartCheck::kOutsideHours);
  CHECK(check("2026-11-02 08:59") == StartCheck::kOutsideHours);
  CHECK(check("2026-11-03 10:00") == StartCheck::kOutsideHours);
  CHECK(check("2026-10-30 07:59") == StartCheck::kPast);
  CHECK(check("2026-10-30 08:30") == StartCheck::kTooSoon);
  CHECK(check("2026-11-30 09:00") == StartCheck::kBeyondHorizon);
  // Not aligned to the slot grid is still within the rules.
  CHECK(check("2026-11-02 10:10") == StartCheck::kOk);
  // Fall-back night: 00:00-03:00 local lasts four hours, so a start at
  // 01:30 EST (06:30Z) plus 60 minutes fits before 03:00 EST.
  CHECK(omni::booking::CheckStart(rules, service, now, Utc("2026-11-01T06:30Z")) == StartCheck::kOk);
  CHECK(omni::booking::CheckStart(rules, service, now, Utc("2026-11-01T07:01Z")) == StartCheck::kOutsideHours);
}

TEST_CASE("two chairs: one booked keeps the slot, both or a whole-business booking take it", "[booking]") {
  using omni::booking::BusyByResource;
  AvailabilityRules rules;
  rules.time_zone = "UTC";
  rules.weekly[0] = {{9 * 60, 11 * 60}};
  ServiceTiming service;
  const omni::booking::SlotQuery query{Utc("2026-06-01T00:00Z"), Utc("2026-06-08T00:00Z"), Utc("2026-06-09T00:00Z")};
  const BusyRange ten{Utc("2026-06-08T10:00Z"), Utc("2026-06-08T10:30Z")};
  auto slots = [&](const BusyByResource& busy) {
    std::vector<std::string> out;
    for (TimePoint t : omni::booking::ComputeSlotsAnyResource(rules, service, busy, query)) {
      out.push_back(omni::booking::FormatUtc(t).substr(11, 5));
    }
    return out;
  };
  using Names = std::vector<std::string>;
  CHECK(slots({{}, {{ten}, {}}}) == Names{"09:00", "09:30", "10:00", "10:30"});
  CHECK(slots({{}, {{ten}, {ten}}}) == Names{"09:00", "09:30", "10:30"});
  CHECK(slots({{ten}, {{}, {}}}) == Names{"09:00", "09:30", "10:30"});
  // No resources: the whole-business list is all the busy time, as in the
  // plain overload.
  CHECK(slots({{ten}, {}}) == Names{"09:00", "09:30", "10:30"});
  CHECK(omni::booking::ComputeSlots(rules, service, std::vector<BusyRange>{ten}, query).size() == 3);
}

TEST_CASE("an empty range says why: closed, past, notice, booking window or fully booked", "[booking]") {
  using omni::booking::NoSlotsReason;
  using omni::booking::WhyNoSlots;
  AvailabilityRules rules;
  rules.time_zone = "America/New_York";
  rules.weekly[0] = {{9 * 60, 17 * 60}};  // Mondays only
  rules.interval_min = 60;
  ServiceTiming service;
  service.duration_min = 60;
  const auto monday = [](TimePoint now) {
    return omni::booking::SlotQuery{now, Utc("2026-06-08T04:00Z"), Utc("2026-06-09T04:00Z")};
  };
  omni::booking::BusyByResource none;

  CHECK(WhyNoSlots(rules, service, none, monday(Utc("2026-06-01T12:00Z"))) == NoSlotsReason::kNone);
  CHECK(WhyNoSlots(rules, service, none, {Utc("2026-06-01T12:00Z"), Utc("2026-06-09T04:00Z"),
                                          Utc("2026-06-10T04:00Z")}) == NoSlotsReason::kClosed);
  service.duration_min = 9 * 60;  // longer than the day is open
  CHECK(WhyNoSlots(rules, service, none, monday(Utc("2026-06-01T12:00Z"))) == NoSlotsReason::kClosed);
  service.duration_min = 60;
  CHECK(WhyNoSlots(rules, service, none, monday(Utc("2026-06-09T12:00Z"))) == NoSlotsReason::kPast);
  CHECK(WhyNoSlots(rules, service, none, monday(Utc("2026-06-08T20:30Z"))) == NoSlotsReason::kPast);

  rules.min_notice_min = 240;
  CHECK(WhyNoSlots(rules, service, none, monday(Utc("2026-06-08T18:30Z"))) == NoSlotsReason::kTooSoon);
  rules.min_notice_min = 0;

  rules.horizon_days = 3;
  CHECK(WhyNoSlots(rules, service, none, monday(Utc("2026-06-01T12:00Z"))) == NoSlotsReason::kBeyondHorizon);
  CHECK(omni::booking::NoSlotsText(NoSlotsReason::kBeyondHorizon, rules) == "beyond the 3-day booking window");
  rules.horizon_days = 0;

  omni::booking::BusyByResource full;
  full.whole_business = {{Utc("2026-06-08T13:00Z"), Utc("2026-06-08T21:00Z")}};
  CHECK(WhyNoSlots(rules, service, full, monday(Utc("2026-06-01T12:00Z"))) == NoSlotsReason::kFullyBooked);
  CHECK(omni::booking::NoSlotsText(NoSlotsReason::kFullyBooked, rules) == "fully booked");
  CHECK(omni::booking::NoSlotsText(NoSlotsReason::kClosed, rules) == "closed that day");
  CHECK(omni::booking::NoSlotsText(NoSlotsReason::kNone, rules).empty());
}
