// Headers, Request and Response helpers; see handler.hpp.
#include <strings.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "daemon/handler.hpp"

namespace omni::omnid {
namespace {

bool SameName(const std::string& a, const std::string& b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Throws InvalidInput for the first string in `body` that holds a NUL,
// naming it by its path ("message", "customer.name", "items[2]"). Walks
// breadth-first without recursion, so that deep nesting cannot exhaust the
// stack, and builds a path only for the string it names.
void RejectNulStrings(const nlohmann::json& body) {
  struct Node {
    const nlohmann::json* value;
    std::size_t parent;
    std::string step;  // ".key" or "[i]"
  };
  constexpr std::size_t kRoot = static_cast<std::size_t>(-1);
  std::vector<Node> nodes = {{&body, kRoot, {}}};
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const nlohmann::json& value = *nodes[i].value;
    if (value.is_object()) {
      for (const auto& [key, item] : value.items()) nodes.push_back({&item, i, "." + key});
    } else if (value.is_array()) {
      for (std::size_t n = 0; n < value.size(); ++n) nodes.push_back({&value[n], i, "[" + std::to_string(n) + "]"});
    } else if (value.is_string() && value.get_ref<const std::string&>().find('\0') != std::string::npos) {
      std::string path;
      for (std::size_t at = i; at != kRoot; at = nodes[at].parent) path.insert(0, nodes[at].step);
      if (path.starts_with(".")) path.erase(0, 1);
      RejectNul(path.empty() ? "request body" : path, value.get_ref<const std::string&>());
    }
  }
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
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw InvalidInput("request body is not valid JSON (at byte " + std::to_string(e.byte) + ")",
                       "Send a JSON document with Content-Type: application/json.");
  } catch (const nlohmann::json::out_of_range&) {
    // nlohmann's message quotes the whole number, which may be megabytes.
    throw InvalidInput("request body: a number is out of range",
                       "Numbers must lie within about ±1.7e308; send larger values as strings.");
  }
  RejectNulStrings(parsed);
  return parsed;
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
