// RFC 5545 output of booking::RenderIcs: line structure, folding, escaping,
// and a round trip through an independent parser (Debian's
// python3-icalendar under /usr/bin/python3).
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/booking/ics.hpp"
#include "core/booking/local_time.hpp"
#include "core/common/error.hpp"

namespace {

using omni::booking::IcsEvent;

IcsEvent SampleEvent() {
  IcsEvent event;
  event.uid = "6f1c2a8e-0b7d-4c1e-9a35-2f4d8e7b9c10@omni";
  event.sequence = 2;
  event.start = omni::booking::ParseStartTime("2026-12-01T20:00:00Z", "UTC");
  event.end = omni::booking::ParseStartTime("2026-12-01T21:00:00Z", "UTC");
  event.stamp = omni::booking::ParseStartTime("2026-11-20T08:30:15Z", "UTC");
  event.summary = "Women's haircut, wash; blow-dry \\ style at Café Lumière — Zoë's ✂ salon";
  event.description =
      "Line one\nLine two with a very long sentence that surely needs folding because it runs well past "
      "seventy-five octets, ünïcödé everywhere: ✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂";
  event.location = "12 Main St, Springfield";
  event.organizer_name = "Acme Salon";
  event.organizer_email = "desk@acme.example";
  event.attendee_name = "Zoë \"Z\" Adams";
  event.attendee_email = "zoe@example.com";
  return event;
}

std::vector<std::string> SplitCrlf(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find("\r\n", pos);
    REQUIRE(end != std::string::npos);
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

bool ValidUtf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// Parses `ics` with python3-icalendar and returns what it read.
nlohmann::json ParseWithIcalendar(const std::string& ics) {
  auto dir = std::filesystem::temp_directory_path();
  auto path = dir / ("omni-ics-" + std::to_string(::getpid()) + ".ics");
  std::ofstream(path, std::ios::binary) << ics;
  std::string script =
      "import sys, json, icalendar\n"
      "cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n"
      "ev = [c for c in cal.walk('VEVENT')][0]\n"
      "print(json.dumps({'method': str(cal['METHOD']), 'uid': str(ev['UID']), 'seq': int(ev['SEQUENCE']),\n"
      "  'start': ev.decoded('DTSTART').isoformat(), 'end': ev.decoded('DTEND').isoformat(),\n"
      "  'summary': str(ev['SUMMARY']), 'description': str(ev['DESCRIPTION']),\n"
      "  'location': str(ev['LOCATION']), 'status': str(ev['STATUS']),\n"
      "  'attendee': str(ev['ATTENDEE']), 'cn': str(ev['ATTENDEE'].params.get('CN')),\n"
      "  'tzid': str(ev['DTSTART'].params.get('TZID')), 'start_utc': ev.decoded('DTSTART').astimezone(\n"
      "    __import__('datetime').timezone.utc).isoformat(), 'end_utc': ev.decoded('DTEND').astimezone(\n"
      "    __import__('datetime').timezone.utc).isoformat(),\n"
      "  'zones': [str(z['TZID']) for z in cal.walk('VTIMEZONE')]}))\n";
  auto script_path = dir / ("omni-ics-" + std::to_string(::getpid()) + ".py");
  std::ofstream(script_path) << script;
  std::string command = "/usr/bin/python3 " + script_path.string() + " " + path.string();
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
    ::pclose(pipe);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(script_path);
  INFO("python3-icalendar output: " << output);
  REQUIRE(!output.empty());
  return nlohmann::json::parse(output);
}

}  // namespace

TEST_CASE("ics lines end in CRLF, fold at 75 octets and keep UTF-8 whole", "[booking]") {
  std::string ics = omni::booking::RenderIcs(SampleEvent());
  REQUIRE(ics.size() > 2);
  CHECK(ics.substr(ics.size() - 2) == "\r\n");
  auto lines = SplitCrlf(ics);
  bool folded = false;
  for (const std::string& line : lines) {
    INFO(line);
    CHECK(line.size() <= 75);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(ValidUtf8(line));
    if (!line.empty() && line[0] == ' ') folded = true;
  }
  CHECK(folded);
  CHECK(lines.front() == "BEGIN:VCALENDAR");
  CHECK(lines.back() == "END:VCALENDAR");
  CHECK(std::find(lines.begin(), lines.end(), "METHOD:REQUEST") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "DTSTART:20261201T200000Z") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "SEQUENCE:2") != lines.end());
}

TEST_CASE("ics TEXT values are escaped", "[booking]") {
  CHECK(omni::booking::EscapeIcsText("a,b;c\\d\r\ne") == "a\\,b\\;c\\\\d\\ne");
  CHECK(omni::booking::FoldIcsLine(std::string(75, 'x')) == std::string(75, 'x'));
  CHECK(omni::booking::FoldIcsLine(std::string(76, 'x')) == std::string(75, 'x') + "\r\n x");
  // 74 ASCII octets then a 3-octet character: the cut moves before it.
  std::string line = std::string(74, 'x') + "✂y";
  CHECK(omni::booking::FoldIcsLine(line) == std::string(74, 'x') + "\r\n ✂y");
}

TEST_CASE("ics rejects an event without uid or with end before start", "[booking]") {
  IcsEvent event = SampleEvent();
  std::swap(event.start, event.end);
  CHECK_THROWS_AS(omni::booking::RenderIcs(event), omni::InvalidInput);
  event = SampleEvent();
  event.uid.clear();
  CHECK_THROWS_AS(omni::booking::RenderIcs(event), omni::InvalidInput);
}

TEST_CASE("python3-icalendar reads back a live event", "[booking]") {
  IcsEvent event = SampleEvent();
  auto parsed = ParseWithIcalendar(omni::booking::RenderIcs(event));
  CHECK(parsed["method"] == "REQUEST");
  CHECK(parsed["status"] == "CONFIRMED");
  CHECK(parsed["uid"] == event.uid);
  CHECK(parsed["seq"] == 2);
  CHECK(parsed["start"] == "2026-12-01T20:00:00+00:00");
  CHECK(parsed["end"] == "2026-12-01T21:00:00+00:00");
  CHECK(parsed["summary"] == event.summary);
  CHECK(parsed["description"] == event.description);
  CHECK(parsed["location"] == event.location);
  CHECK(parsed["attendee"] == "mailto:zoe@example.com");
  CHECK(parsed["cn"] == "Zoë Z Adams");
}

TEST_CASE("python3-icalendar reads a cancellation with a higher sequence", "[booking]") {
  IcsEvent event = SampleEvent();
  event.cancelled = true;
  event.sequence = 3;
  auto parsed = ParseWithIcalendar(omni::booking::RenderIcs(event));
  CHECK(parsed["method"] == "CANCEL");
  CHECK(parsed["status"] == "CANCELLED");
  CHECK(parsed["seq"] == 3);
  CHECK(parsed["uid"] == event.uid);
}

TEST_CASE("ics in the business's time zone: TZID wall times and a VTIMEZONE across a DST change", "[booking]") {
  IcsEvent event = SampleEvent();
  event.time_zone = "America/New_York";
  // 2026-11-01 00:30 EDT to 03:00 EST: the event spans the fall-back at
  // 02:00 EDT (neither end is in the repeated hour, which RFC 5545 leaves
  // to the first occurrence and parsers read either way).
  event.start = omni::booking::ParseStartTime("2026-11-01T04:30:00Z", "UTC");
  event.end = omni::booking::ParseStartTime("2026-11-01T08:00:00Z", "UTC");
  const std::string ics = omni::booking::RenderIcs(event);
  auto lines = SplitCrlf(ics);
  CHECK(std::find(lines.begin(), lines.end(), "DTSTART;TZID=America/New_York:20261101T003000") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "DTEND;TZID=America/New_York:20261101T030000") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "TZOFFSETTO:-0400") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "TZOFFSETTO:-0500") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "BEGIN:DAYLIGHT") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "BEGIN:STANDARD") != lines.end());
  auto parsed = ParseWithIcalendar(ics);
  CHECK(parsed["tzid"] == "America/New_York");
  CHECK(parsed["zones"] == nlohmann::json::array({"America/New_York"}));
  CHECK(parsed["start_utc"] == "2026-11-01T04:30:00+00:00");
  CHECK(parsed["end_utc"] == "2026-11-01T08:00:00+00:00");
}

TEST_CASE("ics in a zone without changes and an unknown zone", "[booking]") {
  IcsEvent event = SampleEvent();
  event.time_zone = "Asia/Kolkata";
  auto parsed = ParseWithIcalendar(omni::booking::RenderIcs(event));
  CHECK(parsed["tzid"] == "Asia/Kolkata");
  CHECK(parsed["start"] == "2026-12-02T01:30:00+05:30");
  CHECK(parsed["start_utc"] == "2026-12-01T20:00:00+00:00");
  event.time_zone = "Mars/Olympus";
  CHECK_THROWS_AS(omni::booking::RenderIcs(event), omni::ConfigError);
}
