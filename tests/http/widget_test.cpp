// omnid's webchat front end over HTTP on 127.0.0.1: GET /widget.js (the
// compiled-in script, ETag revalidation) and GET /chat/{business_slug} (the
// full-page chat, its Content-Security-Policy and HTML escaping). What the
// widget does in a browser is tested in tests/browser.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/omnid_runner.hpp"
#include "tests/support/pg_harness.hpp"

namespace {

using omni::test::HttpGet;
using omni::test::OmnidRunner;

}  // namespace

TEST_CASE("omnid serves the widget script with revalidation", "[http][widget]") {
  OmnidRunner omnid("postgresql:///omni?host=/nonexistent-omni-test-sockets", "");
  const auto script = HttpGet(omnid.port(), "/widget.js");
  REQUIRE(script.status == 200);
  CHECK(script.Header("Content-Type").value_or("") == "application/javascript; charset=utf-8");
  CHECK(script.Header("Cache-Control").value_or("") == "public, max-age=300");
  CHECK(script.body.find("data-business") != std::string::npos);
  CHECK(script.body.find("/v1/chat/") != std::string::npos);
  std::ifstream source(OMNI_SOURCE_DIR "/daemon/web/widget.js", std::ios::binary);
  CHECK(script.body == std::string(std::istreambuf_iterator<char>(source), {}));

  const auto etag = script.Header("ETag");
  REQUIRE(etag);
  const auto again = HttpGet(omnid.port(), "/widget.js", {{"If-None-Match", *etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(HttpGet(omnid.port(), "/widget.js", {{"If-None-Match", "\"stale\""}}).status == 200);
}

TEST_CASE("omnid serves the full-page chat framed only by the allowed origins", "[http][widget]") {
  omni::test::TestDatabase db;
  auto spec = omni::business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml");
  spec.widget.title = "Bella <Hair> & \"Co\"";
  omni::business::Apply(db.pool(), spec);
  OmnidRunner omnid(db.url(), "");

  const auto page = HttpGet(omnid.port(), "/chat/demo-salon");
  REQUIRE(page.status == 200);
  CHECK(page.Header("Content-Type").value_or("") == "text/html; charset=utf-8");
  const std::string csp = page.Header("Content-Security-Policy").value_or("");
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("connect-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'self' https://bellahairstudio.example http://127.0.0.1:8080 http://localhost:8080") !=
        std::string::npos);
  CHECK(page.body.find("<script src=\"/widget.js\" data-business=\"demo-salon\" data-mode=\"page\"></script>") !=
        std::string::npos);
  CHECK(page.body.find("<title>Bella &lt;Hair&gt; &amp; &quot;Co&quot;</title>") != std::string::npos);
  CHECK(page.body.find("<Hair>") == std::string::npos);

  const auto missing = HttpGet(omnid.port(), "/chat/no-such-business");
  CHECK(missing.status == 404);
  CHECK(missing.Header("Content-Type").value_or("") == "text/html; charset=utf-8");
  CHECK(missing.Header("Content-Security-Policy").value_or("").find("frame-ancestors 'none'") != std::string::npos);
}

TEST_CASE("omnid's own address lists each chat link, serves its icon, and prints the links at start",
          "[http][widget]") {
  omni::test::TestDatabase db;
  auto spec = omni::business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml");
  spec.widget.title = "Bella <Hair>";
  omni::business::Apply(db.pool(), spec);
  spec.slug = "open-studio";
  spec.widget.title = "Open Studio";
  spec.widget.allowed_origins = {};
  omni::business::Apply(db.pool(), spec);
  OmnidRunner omnid(db.url(), "");

  const auto index = HttpGet(omnid.port(), "/");
  REQUIRE(index.status == 200);
  CHECK(index.Header("Content-Type").value_or("") == "text/html; charset=utf-8");
  CHECK(index.body.find("<a href=\"/chat/demo-salon\">Bella &lt;Hair&gt;</a>") != std::string::npos);
  CHECK(index.body.find("<a href=\"/chat/open-studio\">Open Studio</a>") != std::string::npos);
  CHECK(index.Header("Content-Security-Policy").value_or("").find("frame-ancestors 'none'") != std::string::npos);

  const auto icon = HttpGet(omnid.port(), "/favicon.ico");
  REQUIRE(icon.status == 200);
  CHECK(icon.Header("Content-Type").value_or("") == "image/x-icon");
  REQUIRE(icon.body.size() > 22);
  CHECK(icon.body.substr(0, 4) == std::string("\0\0\1\0", 4));
  CHECK(icon.body.substr(22, 4) == "\x89PNG");

  const std::string out = omnid.process().Stdout();
  const std::string base = "http://127.0.0.1:" + std::to_string(omnid.port());
  CHECK(out.find("chat of demo-salon: " + base +
                 "/chat/demo-salon (widget allowed on https://bellahairstudio.example, http://127.0.0.1:8080, "
                 "http://localhost:8080)\n") != std::string::npos);
  CHECK(out.find("chat of open-studio: " + base + "/chat/open-studio (widget allowed on any site)\n") !=
        std::string::npos);
}

TEST_CASE("omnid's index says how to add a business when there is none", "[http][widget]") {
  omni::test::TestDatabase db;
  OmnidRunner omnid(db.url(), "");
  const auto index = HttpGet(omnid.port(), "/");
  CHECK(index.status == 200);
  CHECK(index.body.find("omni business apply") != std::string::npos);
  CHECK(omnid.process().Stdout().find("no business yet") != std::string::npos);
}
