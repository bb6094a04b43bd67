// Ids by prefix inside a caller's transaction (see core/db/ids.hpp), for
// core .cpp files that already hold one. Includes pqxx, so public headers
// must not include this one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/db/ids.hpp"
#include "core/db/pqxx.hpp"

namespace omni::db {

// As ResolveId(pool, ...), inside `tx`.
std::string ResolveId(pqxx::transaction_base& tx, IdKind kind, const std::string& business_id,
                      const std::string& text);

// As FindId(pool, ...), inside `tx`.
std::optional<std::string> FindId(pqxx::transaction_base& tx, IdKind kind, const std::string& business_id,
                                  const std::string& text);

// Up to `limit` ids of `kind` in the business starting with the hex digits
// `hex` (as IdHex gives them), in id order. No length check: callers
// check kMinIdPrefix.
std::vector<std::string> MatchIdPrefix(pqxx::transaction_base& tx, IdKind kind, const std::string& business_id,
                                       const std::string& hex, int limit);

}  // namespace omni::db
