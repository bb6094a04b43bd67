// omnid's routing: one table (MakeRouter in router.cpp) mapping a method and
// a path pattern to a handler, e.g. POST "/v1/chat/{business_slug}/session".
//
// A `{name}` segment matches one non-empty path segment, delivered
// percent-decoded in Request::params. Routes are tried in table order; the
// first match wins. A path that matches only under other methods gives 405.
// Thread-safe: immutable once built.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "daemon/handler.hpp"

namespace omni::omnid {

struct Route {
  std::string method;   // "GET", "POST", ...
  std::string pattern;  // "/v1/chat/{business_slug}/session"; also the metrics label
  Handler handler;
  std::size_t max_body_bytes = 0;  // 0: server.max_body_bytes from the config
};

class Router {
 public:
  // Adds a route. Throws std::invalid_argument for a pattern that does not
  // start with '/' or has an unclosed or empty `{}` (a programming error).
  void Add(Route route);

  struct Match {
    const Route* route = nullptr;       // nullptr: no route for this method and path
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;   // with no route: the methods the path has (405)
  };
  // Finds the route for `method` and `path` (the target before '?'). HEAD
  // uses the GET route when it has none of its own.
  Match Find(const std::string& method, const std::string& path) const;

  // Every route in table order (for the OpenAPI document's check and tests).
  std::vector<const Route*> routes() const;

 private:
  Match FindExact(const std::string& method, const std::string& path) const;

  struct Entry {
    Route route;
    std::vector<std::string> segments;  // "{name}" for parameters
  };
  std::vector<Entry> entries_;
};

// The route table of omnid.
Router MakeRouter();

// Decodes %XX escapes (and '+' as space when `plus_is_space`). Malformed
// escapes are kept literally.
std::string PercentDecode(const std::string& text, bool plus_is_space);

}  // namespace omni::omnid
