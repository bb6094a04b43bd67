// Format detection and extraction of text, Markdown, HTML, PDF, CSV, JSONL.
#include <catch2/catch.hpp>

#include "core/common/error.hpp"
#include "core/kb/detail/html_parse.hpp"
#include "core/kb/extract.hpp"
#include "tests/support/kb_fixtures.hpp"

namespace kb = omni::kb;

TEST_CASE("formats are detected by extension, then content type, then content", "[kb]") {
  CHECK(kb::DetectFormat("notes.TXT", "x") == kb::Format::kText);
  CHECK(kb::DetectFormat("docs/faq.md", "x") == kb::Format::kMarkdown);
  CHECK(kb::DetectFormat("https://x.test/page.html?a=1", "x") == kb::Format::kHtml);
  CHECK(kb::DetectFormat("a.pdf", "") == kb::Format::kPdf);
  CHECK(kb::DetectFormat("rows.csv", "") == kb::Format::kCsv);
  CHECK(kb::DetectFormat("corpus.jsonl", "") == kb::Format::kJsonl);
  CHECK(kb::DetectFormat("https://x.test/", "hi", "text/html; charset=utf-8") == kb::Format::kHtml);
  CHECK(kb::DetectFormat("-", "%PDF-1.4 ...") == kb::Format::kPdf);
  CHECK(kb::DetectFormat("-", "\n  <!DOCTYPE html><html>") == kb::Format::kHtml);
  CHECK(kb::DetectFormat("README", "plain words") == kb::Format::kText);
}

TEST_CASE("plain text is kept, trimmed, with CRLF normalised", "[kb]") {
  const auto out = kb::Extract(kb::Format::kText, "\xEF\xBB\xBF  Hello\r\nworld  \n");
  REQUIRE(out.documents.size() == 1);
  CHECK(out.documents[0].text == "Hello\nworld");
  CHECK(out.documents[0].title.empty());
}

TEST_CASE("bad inputs are rejected with a clear message", "[kb]") {
  CHECK_THROWS_WITH(kb::Extract(kb::Format::kText, "  \n "), "is empty");
  CHECK_THROWS_WITH(kb::Extract(kb::Format::kText, std::string("ab\0cd", 5)),
                    Catch::Contains("looks binary"));
  CHECK_THROWS_WITH(kb::Extract(kb::Format::kMarkdown, "caf\xE9 au lait"),
                    "is not valid UTF-8 (at byte 3)");
  CHECK_THROWS_WITH(kb::Extract(kb::Format::kPdf, "%PDF-1.4 garbage"), "is not a readable PDF");
  CHECK_THROWS_WITH(kb::Extract(kb::Format::kHtml, "<html><script>x()</script></html>"), "has no text");
  CHECK_THROWS_AS(kb::Extract(kb::Format::kText, ""), omni::InvalidInput);
}

TEST_CASE("Markdown loses its markup and gives its first heading as title", "[kb]") {
  const auto out = kb::Extract(kb::Format::kMarkdown,
                               "# Hair **colour** guide\n\nWe do [balayage](https://x.test/b) and "
                               "`highlights`.\n\n## Prices\n\n- Cut: $40\n> Book early\n\n```\ncode line\n```\n"
                               "| a | b |\n|---|---|\n| 1 | 2 |\n");
  REQUIRE(out.documents.size() == 1);
  CHECK(out.documents[0].title == "Hair colour guide");
  CHECK(out.documents[0].text ==
        "Hair colour guide\n\nWe do balayage and highlights.\n\nPrices\n\nCut: $40\nBook early\n\n"
        "code line\na   b\n1   2");
}

TEST_CASE("Markdown front matter gives the title and is not text", "[kb]") {
  const auto out = kb::Extract(kb::Format::kMarkdown, "---\ntitle: \"Opening hours\"\n---\nMon to Fri.\n");
  CHECK(out.documents[0].title == "Opening hours");
  CHECK(out.documents[0].text == "Mon to Fri.");
}

TEST_CASE("HTML keeps visible text, drops scripts, styles and navigation", "[kb]") {
  const auto out = kb::Extract(kb::Format::kHtml, R"(<!doctype html>
<html><head><title>Salon &amp; Spa</title><style>body{color:red}</style>
<script>var secret = 1;</script></head>
<body><nav><a href="/">Home</a> <a href="/x">Menu</a></nav>
<h1>Welcome</h1><p>We   offer<br>balayage &mdash; and more.</p>
<ul><li>Cuts</li><li>Colour</li></ul><noscript>enable js</noscript>
<footer>Open 9&ndash;5</footer></body></html>)");
  REQUIRE(out.documents.size() == 1);
  CHECK(out.documents[0].title == "Salon & Spa");
  CHECK(out.documents[0].text == "Welcome\n\nWe offer\nbalayage \xE2\x80\x94 and more.\n\nCuts\n\nColour\n\nOpen 9\xE2\x80\x93" "5");
}

TEST_CASE("HTML without a title element uses the first h1", "[kb]") {
  const auto out = kb::Extract(kb::Format::kHtml, "<h1>Our  Policy</h1><p>No refunds.</p>");
  CHECK(out.documents[0].title == "Our Policy");
}

TEST_CASE("PDF text comes from every page, and its Title entry", "[kb]") {
  const std::string pdf = omni::test::MakePdf({"Cancellation policy applies", "Second page text"}, "Policies");
  CHECK(kb::DetectFormat("upload.bin", pdf) == kb::Format::kPdf);
  const auto out = kb::Extract(kb::Format::kPdf, pdf);
  REQUIRE(out.documents.size() == 1);
  CHECK(out.documents[0].title == "Policies");
  CHECK(out.documents[0].text == "Cancellation policy applies\n\nSecond page text");
}

TEST_CASE("CSV rows become documents with configurable fields", "[kb]") {
  const std::string csv =
      "id,question,answer\r\nq1,Do you park?,\"Yes, free \"\"valet\"\" parking.\nAll day.\"\r\n"
      "q2,Open Sunday?,No\r\nq3,Empty?,\r\n";
  CHECK_THROWS_WITH(kb::Extract(kb::Format::kCsv, csv),
                    Catch::Contains("has no text field") && Catch::Contains("id, question, answer"));
  kb::RecordFields fields;
  fields.title = "question";
  fields.text = "answer";
  const auto out = kb::Extract(kb::Format::kCsv, csv, fields);
  REQUIRE(out.documents.size() == 2);
  CHECK(out.documents[0].record_id == "q1");
  CHECK(out.documents[0].title == "Do you park?");
  CHECK(out.documents[0].text == "Yes, free \"valet\" parking.\nAll day.");
  CHECK(out.documents[1].record_id == "q2");
  CHECK(out.record_errors == std::vector<std::string>{"row 3: empty text"});
  fields.id = "missing";
  CHECK_THROWS_WITH(kb::Extract(kb::Format::kCsv, csv, fields), Catch::Contains("has no id field \"missing\""));
}

TEST_CASE("a BEIR corpus.jsonl ingests as it is", "[kb]") {
  const auto out = kb::Extract(
      kb::Format::kJsonl,
      "{\"_id\": \"4983\", \"title\": \"Microstructural development\", \"text\": \"Alterations of white matter.\", \"metadata\": {}}\n"
      "{\"_id\": \"5836\", \"title\": \"\", \"text\": \"Second abstract.\"}\n"
      "not json\n"
      "{\"_id\": \"7\", \"title\": \"No text\"}\n");
  REQUIRE(out.documents.size() == 2);
  CHECK(out.documents[0].record_id == "4983");
  CHECK(out.documents[0].title == "Microstructural development");
  CHECK(out.documents[0].text == "Alterations of white matter.");
  CHECK(out.documents[1].title.empty());
  CHECK(out.record_errors == std::vector<std::string>{"line 3: not a JSON object", "line 4: empty text"});
}

TEST_CASE("JSONL without an id field numbers its records", "[kb]") {
  const auto out = kb::Extract(kb::Format::kJsonl, "{\"content\": \"a\"}\n{\"content\": \"b\"}\n");
  REQUIRE(out.documents.size() == 2);
  CHECK(out.documents[1].record_id == "2");
  CHECK(out.documents[1].text == "b");
}

namespace {

std::string Nested(std::size_t levels, const std::string& text) {
  std::string html;
  for (std::size_t i = 0; i < levels; ++i) html += "<div>";
  html += text;
  for (std::size_t i = 0; i < levels; ++i) html += "</div>";
  return html;
}

}  // namespace

TEST_CASE("HTML nested 200000 levels deep is refused with the limit named", "[kb]") {
  std::string html = "<!doctype html><title>Deep</title>";
  for (int i = 0; i < 200000; ++i) html += "<div>";
  html += "deep";
  CHECK_THROWS_WITH(kb::Extract(kb::Format::kHtml, html), "has HTML nested deeper than 512 levels");
  CHECK_THROWS_AS(kb::Extract(kb::Format::kHtml, Nested(513, "deep")), omni::InvalidInput);
}

TEST_CASE("HTML nested hundreds of levels deep keeps its deepest text", "[kb]") {
  CHECK(kb::Extract(kb::Format::kHtml, Nested(300, "three hundred")).documents[0].text == "three hundred");
  const auto out = kb::Extract(kb::Format::kHtml, "<title>Deep</title>" + Nested(500, "five <b>hundred</b>"));
  CHECK(out.documents[0].title == "Deep");
  CHECK(out.documents[0].text == "five hundred");
}

TEST_CASE("the depth estimate is not fooled by markup the parser closes or never sees", "[kb]") {
  // Elements closed by their next sibling or by their block's end tag,
  // voids, and markup inside comments, scripts and quoted values: the page
  // stays a few levels deep however long it is.
  std::string html;
  for (int i = 0; i < 2000; ++i) {
    html += "<div class=row><p>para<p>second<ul><li>one<li>two</ul><dl><dt>t<dd>d<dt>t2<dd>d2</dl>"
            "<table><tr><td>cell<td>cell<tr><td>x</table><select><option>a<option>b</select>"
            "<span>unclosed <b>bold</div><br><img src=a.png><input value='<div>'><!-- <div> -->"
            "<script>if (a<b) x('<div>')</script><h2>one</h3><a href=1>a</a><a href=2>b</a>";
  }
  const auto out = kb::Extract(kb::Format::kHtml, html);
  CHECK(out.documents[0].text.rfind("para\n\nsecond\n\none\n\ntwo", 0) == 0);
  // Markup a naive scanner would skip is counted: an unquoted value opens
  // no quote, and a comment ends at --!> too.
  std::string hidden = "<a title=x\">";
  for (int i = 0; i < 600; ++i) hidden += "<span>";
  hidden += "<!-- --!><p>\"x";
  CHECK_THROWS_WITH(kb::Extract(kb::Format::kHtml, hidden), "has HTML nested deeper than 512 levels");
}

TEST_CASE("HTML that makes the parser rebuild formatting without end is refused", "[kb]") {
  // 400 formatting elements left open inside a closed div are rebuilt by
  // the HTML5 parser before every paragraph's text: gigabytes from 250 KB.
  std::string html = "<div>";
  for (int i = 0; i < 400; ++i) html += "<b id=" + std::to_string(i) + ">";
  html += "</div>";
  for (int i = 0; i < 30000; ++i) html += "<p>x</p>";
  CHECK_THROWS_WITH(kb::Extract(kb::Format::kHtml, html), Catch::StartsWith("has HTML too complex to parse"));
}

TEST_CASE("HTML that keeps the parser busy past its time is refused", "[kb]") {
  // 20000 formatting elements left in the parser's list, each scanned
  // again by every stray end tag that follows.
  std::string html;
  for (int i = 0; i < 20000; ++i) html += "<div><b id=" + std::to_string(i) + "></div>";
  for (int i = 0; i < 200000; ++i) html += "</i>";
  auto limits = kb::detail::DefaultHtmlLimits(html.size());
  limits.max_parser_cpu_ms = 100;
  CHECK_THROWS_WITH(kb::detail::ParseHtml(html, limits), "has HTML too complex to parse (it takes more than 0.1 s)");
}
