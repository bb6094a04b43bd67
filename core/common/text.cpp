// RejectNul; see text.hpp.
#include "core/common/text.hpp"

#include <string>

#include "core/common/error.hpp"

namespace omni {

void RejectNul(std::string_view field, std::string_view text) {
  if (text.find('\0') == std::string_view::npos) return;
  throw InvalidInput(std::string(field) + ": contains a NUL character (\\u0000)",
                     "Remove it: text cannot hold a NUL character.");
}

}  // namespace omni
