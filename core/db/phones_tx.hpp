// Customers' phones kept as typed from before omni stored E.164, read again
// once the business has a phone region. Migration 28 runs this for every
// business whose time zone names its country; `omni business apply` runs it
// when a business's region becomes known later or changes (its file gains
// or corrects `country:`), so that both convert alike.
#pragma once

#include <string>

#include "core/db/pqxx.hpp"

namespace omni::db {

// Rewrites the phone and claimed phone of each customer of `business_id`
// that reads as a valid number in `region` to its E.164. A value that does
// not read, or whose E.164 another customer of the business already holds,
// stays as it was (customers still finds it by its digits).
void ConvertKeptPhones(pqxx::work& tx, const std::string& business_id, const std::string& region);

}  // namespace omni::db
