// Headers, Request and Response helpers; see handler.hpp.
#include <strings.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/common/error.hpp"
#include "daemon/handler.hpp"

namespace omni::omnid {
namespace {

bool SameName(const std::string& a, const std::string& b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<std::string> Headers::Get(const std::string& name) const {
  for (const auto& [field, value] : fields_) {
    if (SameName(field, name)) return value;
  }
  return std::nullopt;
}

void Headers::Set(const std::string& name, std::string value) {
  std::erase_if(fields_, [&name](const auto& field) { return SameName(field.first, name); });
  fields_.emplace_back(name, std::move(value));
}

void Headers::Add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }

const std::string& Request::Param(const std::string& name) const {
  const auto it = params.find(name);
  if (it == params.end()) throw std::out_of_range("route " + route + " has no parameter " + name);
  return it->second;
}

std::optional<std::string> Request::Query(const std::string& name) const {
  const auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

nlohmann::json Request::JsonBody() const {
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw InvalidInput("request body is not valid JSON (at byte " + std::to_string(e.byte) + ")",
                       "Send a JSON document with Content-Type: application/json.");
  }
}

Response Response::Json(int status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  response.headers.Set("Content-Type", "application/json");
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.body += '\n';
  return response;
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers.Set("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

}  // namespace omni::omnid
