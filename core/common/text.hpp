// Checks on text where it enters omni, shared by the adapters and the core
// modules that store it.
// Thread-safe: pure functions.
#pragma once

#include <string_view>

namespace omni {

// Throws InvalidInput "FIELD: contains a NUL character (\u0000)" when `text`
// holds one. PostgreSQL text cannot store NUL, and cutting the text there
// would store something other than what was sent.
void RejectNul(std::string_view field, std::string_view text);

}  // namespace omni
