// daemon/openapi/console_live.json, the fragment of the OpenAPI document for
// the live inbox, notes, handoff actions and analytics: the shape the
// assembler merges, a path for each of those routes, and every $ref
// resolving within it (or to the document's shared Error).
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace omni {
namespace {

using nlohmann::json;

void CollectRefs(const json& node, std::set<std::string>& refs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) refs.insert(value.get<std::string>());
      CollectRefs(value, refs);
    }
  } else if (node.is_array()) {
    for (const auto& value : node) CollectRefs(value, refs);
  }
}

}  // namespace

TEST_CASE("the live console's OpenAPI fragment documents its routes and resolves every reference", "[openapi]") {
  std::ifstream in(OMNI_SOURCE_DIR "/daemon/openapi/console_live.json");
  REQUIRE(in);
  const json fragment = json::parse(in);
  REQUIRE(fragment.size() == 2);
  REQUIRE(fragment["paths"].is_object());
  REQUIRE(fragment["components"]["schemas"].is_object());

  const std::set<std::pair<std::string, std::string>> expected = {
      {"/v1/console/events", "get"},
      {"/v1/console/conversations/{id}/escalate", "post"},
      {"/v1/console/conversations/{id}/reopen", "post"},
      {"/v1/console/conversations/{id}/assign", "post"},
      {"/v1/console/conversations/{id}/notes", "get"},
      {"/v1/console/conversations/{id}/customer", "get"},
      {"/v1/console/conversations/{id}/notes", "post"},
      {"/v1/console/analytics/summary", "get"},
      {"/v1/console/analytics/trends", "get"},
      {"/v1/console/analytics/chart", "get"},
      {"/console", "get"},
      {"/console/console.js", "get"},
      {"/console/console.css", "get"},
      {"/admin", "get"},
      {"/dashboard", "get"},
  };
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : fragment["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      documented.insert({path, method});
      INFO(method << " " << path);
      // The operator API answers 401 and 403; the console's page and assets are public.
      if (path.rfind("/v1/console/", 0) == 0) {
        CHECK(operation["responses"].contains("401"));
        CHECK(operation["responses"].contains("403"));
      }
    }
  }
  for (const auto& route : expected) {
    INFO(route.second << " " << route.first);
    CHECK(documented.count(route) == 1);
  }

  for (const auto& [name, schema] : fragment["components"]["schemas"].items()) {
    INFO(name);
    CHECK(name.rfind("Live", 0) == 0);
  }
  std::set<std::string> refs;
  CollectRefs(fragment, refs);
  CHECK(refs.count("#/components/schemas/Error") == 1);
  for (const auto& ref : refs) {
    INFO(ref);
    REQUIRE(ref.rfind("#/components/schemas/", 0) == 0);
    const std::string name = ref.substr(std::string("#/components/schemas/").size());
    CHECK((name == "Error" || fragment["components"]["schemas"].contains(name)));
  }
}

}  // namespace omni
