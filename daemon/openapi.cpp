// The OpenAPI document's merge and its route; see openapi.hpp.
#include "daemon/openapi.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace omni::omnid {
namespace {

constexpr std::string_view kBase = "base.json";

[[noreturn]] void Fail(std::string_view file, const std::string& problem) {
  throw std::logic_error("daemon/openapi/" + std::string(file) + ": " + problem);
}

nlohmann::json Parse(const OpenApiFragment& fragment) {
  auto json = nlohmann::json::parse(fragment.text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) Fail(fragment.name, "not a JSON object");
  return json;
}

void AddFragment(nlohmann::json& document, const OpenApiFragment& fragment) {
  const nlohmann::json json = Parse(fragment);
  for (const auto& [key, value] : json.items()) {
    if (key != "paths" && key != "components") Fail(fragment.name, "unexpected key \"" + key + "\" (only paths and components)");
  }
  if (json.contains("components")) {
    for (const auto& [key, value] : json["components"].items()) {
      if (key != "schemas") Fail(fragment.name, "unexpected components." + key + " (only schemas; shared ones go in base.json)");
    }
  }
  const nlohmann::json paths = json.value("paths", nlohmann::json::object());
  for (const auto& [path, operations] : paths.items()) {
    if (!operations.is_object()) Fail(fragment.name, "path " + path + " is not an object");
    auto& target = document["paths"][path];
    for (const auto& [method, operation] : operations.items()) {
      if (target.contains(method)) Fail(fragment.name, method + " " + path + " is documented twice");
      target[method] = operation;
    }
  }
  if (json.contains("components") && json["components"].contains("schemas")) {
    auto& schemas = document["components"]["schemas"];
    for (const auto& [name, schema] : json["components"]["schemas"].items()) {
      if (schemas.contains(name)) Fail(fragment.name, "schema " + name + " is defined twice");
      schemas[name] = schema;
    }
  }
}

}  // namespace

nlohmann::json MergeOpenApi(const std::vector<OpenApiFragment>& fragments) {
  nlohmann::json document;
  for (const auto& fragment : fragments) {
    if (fragment.name == kBase) document = Parse(fragment);
  }
  if (document.is_null()) Fail(kBase, "missing");
  if (!document.contains("paths")) document["paths"] = nlohmann::json::object();
  for (const auto& fragment : fragments) {
    if (fragment.name != kBase) AddFragment(document, fragment);
  }
  return document;
}

const std::string& OpenApiDocumentText() {
  static const std::string text = MergeOpenApi(OpenApiFragments()).dump();
  return text;
}

asio::awaitable<Response> HandleOpenApi(Exchange&) {
  auto response = Response::Text(200, OpenApiDocumentText(), "application/json");
  response.headers.Set("Cache-Control", "public, max-age=300");
  response.headers.Set("Access-Control-Allow-Origin", "*");
  co_return response;
}

}  // namespace omni::omnid
