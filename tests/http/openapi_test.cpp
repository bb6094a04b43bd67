// GET /v1/openapi.json: the OpenAPI 3.1 document omnid assembles from
// daemon/openapi/*.json. An npm validator (@apidevtools/swagger-parser,
// tests/http/openapi, installed by scripts/test.sh with npm ci) checks it
// against the OpenAPI schema with every $ref resolved, and the document and
// omnid's route table (omnid --routes) must name the same operations.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "tests/support/http_test_client.hpp"
#include "tests/support/omnid_runner.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"

namespace omni {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kValidatorDir = std::string(OMNI_SOURCE_DIR) + "/tests/http/openapi";

json FetchDocument(std::uint16_t port) {
  const auto response = test::HttpGet(port, "/v1/openapi.json");
  INFO(response.body.substr(0, 500));
  REQUIRE(response.status == 200);
  CHECK(response.Header("Content-Type") == "application/json");
  return response.Json();
}

}  // namespace

TEST_CASE("GET /v1/openapi.json is a valid OpenAPI 3.1 document, by swagger-parser", "[openapi]") {
  test::TestDatabase db;
  test::OmnidRunner omnid(db.url(), "");
  const json document = FetchDocument(omnid.port());
  CHECK(document["openapi"] == "3.1.0");
  INFO("node or tests/http/openapi/node_modules is missing: scripts/test.sh installs them with npm ci");
  REQUIRE(std::filesystem::exists(kValidatorDir + "/node_modules/@apidevtools/swagger-parser/package.json"));
  const auto valid = test::Run("/usr/bin/env", {.args = {"node", "validate.mjs"}, .cwd = kValidatorDir,
                                                .stdin_data = document.dump()});
  INFO("validator: " << valid.out << valid.err);
  CHECK(valid.exit_code == 0);

  // The validator does fail a broken document: a response without its
  // description, and a $ref to a schema that is not there.
  json broken = document;
  broken["paths"]["/healthz"]["get"]["responses"]["200"].erase("description");
  CHECK(test::Run("/usr/bin/env", {.args = {"node", "validate.mjs"}, .cwd = kValidatorDir, .stdin_data = broken.dump()})
            .exit_code == 1);
  broken = document;
  broken["paths"]["/v1/console/customers"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
      json{{"$ref", "#/components/schemas/NoSuchSchema"}};
  CHECK(test::Run("/usr/bin/env", {.args = {"node", "validate.mjs"}, .cwd = kValidatorDir, .stdin_data = broken.dump()})
            .exit_code == 1);
}

TEST_CASE("every route omnid serves is in /v1/openapi.json, and every documented operation is routed", "[openapi]") {
  test::Process routes_process(OMNID_PATH, test::ProcessOptions{.args = {"--routes"}});
  REQUIRE(routes_process.Wait(30s) == 0);
  std::set<std::pair<std::string, std::string>> routed;
  std::istringstream lines(routes_process.Stdout());
  std::string method;
  std::string pattern;
  while (lines >> method >> pattern) routed.emplace(method, pattern);
  REQUIRE(routed.size() > 40);

  test::TestDatabase db;
  test::OmnidRunner omnid(db.url(), "");
  const json document = FetchDocument(omnid.port());
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [verb, operation] : operations.items()) {
      std::string upper = verb;
      std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
      documented.emplace(upper, path);
      INFO(upper << " " << path);
      CHECK(operation.contains("responses"));
      CHECK(operation.contains("operationId"));
    }
  }
  for (const auto& route : routed) {
    INFO("routed but not documented: " << route.first << " " << route.second);
    CHECK(documented.count(route) == 1);
  }
  for (const auto& operation : documented) {
    INFO("documented but not routed: " << operation.first << " " << operation.second);
    CHECK(routed.count(operation) == 1);
  }
  // Every operationId names one operation.
  std::set<std::string> ids;
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [verb, operation] : operations.items()) {
      INFO(verb << " " << path);
      CHECK(ids.insert(operation["operationId"].get<std::string>()).second);
    }
  }
}

}  // namespace omni
