// Business files: the YAML declaration of one business (profile, hours,
// overrides, booking rules, AI and widget settings, services, resources)
// that `omni business apply -f FILE` applies. See config/demo-salon.yaml for
// a complete, commented example.
//
// Parsing is as strict as omni.yaml: an unknown key, a wrong type, a bad
// value (time, date, time zone, colour, origin...), a text over its length
// limit, a byte that is not UTF-8 or a missing required key throws
// ConfigError naming the file, the 1-based line and column, the key path,
// and what was expected. Texts are limited in characters: name 200,
// contact.address 500, ai.personality 2000, ai.greeting 1000,
// ai.instructions 4000, widget.title 100, widget.greeting 1000, a service's
// name 200 and description 1000, a resource 100. Thread-safe: pure functions.
#pragma once

#include <string>

#include "core/business/business.hpp"

namespace omni::business {

// Parses business YAML text; `source_name` names it in errors. Times are
// "HH:MM" (24-hour, "24:00" allowed as an end); windows must end after they
// start and not overlap; the time zone must exist in the system tz database.
// A service's buffers default to booking.buffer_*_min; its price is either
// `price` (a decimal amount such as 45 or 45.00) or `price_cents`.
BusinessSpec ParseBusinessSpec(const std::string& yaml_text, const std::string& source_name);

// Reads (at most 1 MiB, else ConfigError) and parses a file. Throws
// ConfigError when unreadable or invalid.
BusinessSpec LoadBusinessFile(const std::string& path);

}  // namespace omni::business
