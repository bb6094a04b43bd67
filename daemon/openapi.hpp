// The OpenAPI 3.1 document of omnid's public surface, served at GET
// /v1/openapi.json. It is assembled from fragment files so that engineers
// add routes without editing one shared file:
//   daemon/openapi/base.json   openapi, info, tags, securitySchemes and the
//                              shared components (Error, parameters,
//                              responses), with empty "paths";
//   daemon/openapi/*.json      each {"paths": {...}, "components":
//                              {"schemas": {...}}}, nothing else,
// compiled into omnid at build time (embed.cmake) and merged in file-name
// order at start-up. A path+method or a schema name given twice, or a
// fragment with other keys, is a build mistake: MergeOpenApi throws.
// A test checks that every route of daemon/router.cpp is documented and
// every documented path+method is routed.
// Thread-safe: OpenApiDocumentText() is built once (a function static).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/handler.hpp"

namespace omni::omnid {

struct OpenApiFragment {
  std::string_view name;  // the file name, "console.json"
  std::string_view text;  // its JSON
};

// Every daemon/openapi/*.json, in file-name order (generated).
const std::vector<OpenApiFragment>& OpenApiFragments();

// base.json with every other fragment's paths and schemas added. Throws
// std::logic_error naming the file for invalid JSON, a missing base.json,
// a fragment key other than paths and components.schemas, or a path+method
// or schema defined twice.
nlohmann::json MergeOpenApi(const std::vector<OpenApiFragment>& fragments);

// MergeOpenApi(OpenApiFragments()), serialised; built on the first call
// (omnid calls it at start, so a bad fragment stops it there).
const std::string& OpenApiDocumentText();

// GET /v1/openapi.json: the document, public and cacheable for 5 minutes.
asio::awaitable<Response> HandleOpenApi(Exchange& exchange);

}  // namespace omni::omnid
