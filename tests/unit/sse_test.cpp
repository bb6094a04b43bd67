// The event-stream parser and framing: wire shapes from OpenAI and OpenRouter,
// line endings, and streams cut at every possible byte.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/common/error.hpp"
#include "core/http/sse.hpp"

using omni::http::FormatSseComment;
using omni::http::FormatSseEvent;
using omni::http::SseEvent;
using omni::http::SseParser;

namespace {

std::vector<SseEvent> ParseWhole(std::string_view stream) {
  SseParser parser;
  return parser.Feed(stream);
}

std::vector<SseEvent> ParseByteByByte(std::string_view stream) {
  SseParser parser;
  std::vector<SseEvent> all;
  for (char c : stream) {
    for (auto& e : parser.Feed(std::string_view(&c, 1))) all.push_back(std::move(e));
  }
  return all;
}

std::vector<SseEvent> ParseSplitAt(std::string_view stream, std::size_t cut) {
  SseParser parser;
  auto all = parser.Feed(stream.substr(0, cut));
  for (auto& e : parser.Feed(stream.substr(cut))) all.push_back(std::move(e));
  return all;
}

bool Same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].event != b[i].event || a[i].data != b[i].data || a[i].id != b[i].id) return false;
  }
  return true;
}

// Every way of reading the stream must give the same events.
void RequireSplitInvariant(std::string_view stream) {
  const auto whole = ParseWhole(stream);
  REQUIRE(Same(ParseByteByByte(stream), whole));
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    INFO("cut at byte " << cut);
    REQUIRE(Same(ParseSplitAt(stream, cut), whole));
  }
}

const char* const kOpenRouterStream =
    ": OPENROUTER PROCESSING\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
    ": OPENROUTER PROCESSING\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"cost\":0.0001}}\n\n"
    "data: [DONE]\n\n";

}  // namespace

TEST_CASE("sse: an OpenRouter stream with keep-alive comments and [DONE]", "[sse]") {
  SseParser parser;
  const auto events = parser.Feed(kOpenRouterStream);
  REQUIRE(events.size() == 4);
  CHECK(events[0].data == "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}");
  CHECK(events[0].event.empty());
  CHECK(events[3].data == "[DONE]");
  CHECK(parser.comment_count() == 2);
  CHECK_FALSE(parser.HasPartialEvent());
}

TEST_CASE("sse: events split at every byte give the same result", "[sse]") {
  RequireSplitInvariant(kOpenRouterStream);
  RequireSplitInvariant("event: token\r\nid: 7\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n");
  RequireSplitInvariant("data: one\r\rdata: two\r\r");
  RequireSplitInvariant("\xEF\xBB\xBF" "data: after bom\n\n");
}

TEST_CASE("sse: CRLF, LF and CR line endings are equivalent", "[sse]") {
  const auto lf = ParseWhole("event: a\ndata: x\ndata: y\n\n");
  const auto crlf = ParseWhole("event: a\r\ndata: x\r\ndata: y\r\n\r\n");
  const auto cr = ParseWhole("event: a\rdata: x\rdata: y\r\r");
  REQUIRE(lf.size() == 1);
  CHECK(lf[0].event == "a");
  CHECK(lf[0].data == "x\ny");
  CHECK(Same(lf, crlf));
  CHECK(Same(lf, cr));
}

TEST_CASE("sse: a CRLF split between two reads ends one line, not two", "[sse]") {
  SseParser parser;
  CHECK(parser.Feed("data: a\r").empty());
  CHECK(parser.Feed("\ndata: b\r").empty());
  const auto events = parser.Feed("\n\r\n");
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == "a\nb");
}

TEST_CASE("sse: field parsing follows the spec", "[sse]") {
  SECTION("only one leading space is removed") {
    const auto e = ParseWhole("data:  two spaces\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == " two spaces");
  }
  SECTION("no space after the colon") {
    const auto e = ParseWhole("data:x\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "x");
  }
  SECTION("a field without a colon has an empty value") {
    const auto e = ParseWhole("data\ndata\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "\n");
  }
  SECTION("an event without data is not dispatched, and its name does not leak") {
    const auto e = ParseWhole("event: ping\n\ndata: x\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].event.empty());
    CHECK(e[0].data == "x");
  }
  SECTION("unknown fields and retry are ignored") {
    const auto e = ParseWhole("retry: 1000\nfoo: bar\ndata: x\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "x");
  }
  SECTION("a colon inside the value is kept") {
    const auto e = ParseWhole("data: {\"a\":\"b:c\"}\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "{\"a\":\"b:c\"}");
  }
  SECTION("a comment between data lines does not end the event") {
    const auto e = ParseWhole("data: a\n: keep-alive\ndata: b\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "a\nb");
  }
}

TEST_CASE("sse: an event cut before its blank line is reported as partial", "[sse]") {
  SseParser parser;
  CHECK(parser.Feed("data: {\"choices\":").empty());
  CHECK(parser.HasPartialEvent());
  SseParser complete_line;
  CHECK(complete_line.Feed("data: x\n").empty());
  CHECK(complete_line.HasPartialEvent());
}

TEST_CASE("sse: a line beyond the cap throws", "[sse]") {
  SseParser parser(16);
  CHECK_THROWS_AS(parser.Feed("data: 0123456789abcdef0123"), omni::UpstreamError);
  SseParser joined(16);
  CHECK_NOTHROW(joined.Feed("data: 0123456\n"));
  CHECK_THROWS_AS(joined.Feed("data: 0123456789\n"), omni::UpstreamError);
}

TEST_CASE("sse: framing writes one data line per line and round-trips", "[sse]") {
  CHECK(FormatSseEvent("token", "hi") == "event: token\ndata: hi\n\n");
  CHECK(FormatSseEvent("", "a\nb") == "data: a\ndata: b\n\n");
  CHECK(FormatSseEvent("done", "{}", "42") == "event: done\nid: 42\ndata: {}\n\n");
  CHECK(FormatSseComment("keep-alive") == ": keep-alive\n\n");
  CHECK(FormatSseComment("a\nb") == ": a b\n\n");
  CHECK_THROWS_AS(FormatSseEvent("a\nb", "x"), omni::InvalidInput);
  CHECK_THROWS_AS(FormatSseEvent("a", "x", "1\r2"), omni::InvalidInput);

  const std::vector<std::string> payloads = {"", "plain", "two\nlines", "crlf\r\nline", "cr\rline",
                                             "trailing\n", "\n", "{\"json\":\"value: with colon\"}"};
  std::string stream = FormatSseComment("start");
  for (const auto& p : payloads) stream += FormatSseEvent("token", p);
  const auto events = ParseByteByByte(stream);
  REQUIRE(events.size() == payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    // Line breaks come back as '\n', whatever form they were written in.
    std::string expected;
    const std::string& p = payloads[i];
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (p[j] == '\r' && j + 1 < p.size() && p[j + 1] == '\n') continue;
      expected.push_back(p[j] == '\r' ? '\n' : p[j]);
    }
    CHECK(events[i].event == "token");
    CHECK(events[i].data == expected);
  }
}
