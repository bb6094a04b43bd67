// A JSON Schema validator for the subset the tool definitions use, with
// messages precise enough for a model to correct its call:
//   book_appointment.date: expected YYYY-MM-DD, got "tomorrow"
//
// Supported keywords: type (one of string, integer, number, boolean,
// object, array, null), properties, required, additionalProperties: false,
// enum, minLength, maxLength, pattern (ECMAScript regex, searched), items,
// minimum, maximum, and format: "date" (a real YYYY-MM-DD date), "time"
// (HH:MM, 00:00 to 23:59), "uuid". Other keywords (description, ...) are
// ignored. Pure. Thread-safe: functions only read their arguments.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace omni::chat {

// Every violation of `schema` by `value`, in document order, each prefixed
// with its path ("name.field.sub[2]"); empty when `value` is valid. `name`
// is the root of the path (the tool's name). Throws InvalidInput when the
// schema itself uses an unsupported type name.
std::vector<std::string> ValidateJson(const nlohmann::json& schema, const nlohmann::json& value,
                                      const std::string& name);

// True for a real calendar date written YYYY-MM-DD.
bool IsIsoDate(const std::string& text);
// True for HH:MM with 00 <= HH <= 23 and 00 <= MM <= 59.
bool IsClockTime(const std::string& text);

}  // namespace omni::chat
