// Ids by prefix, as git names commits: a customer, conversation or
// appointment can be named by its full UUID or by any unique prefix of at
// least kMinIdPrefix hex characters (dashes ignored, any case). Commands
// resolve what the user typed here, once, and pass the full id on.
//
// Every lookup is scoped by a business id: another business's ids never
// match, are never counted as ambiguous and are never listed.
// Thread-safe: free functions over a db::Pool; each call leases a connection.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omni::db {

class Pool;

// What kind of row an id names; each kind is one fixed table.
enum class IdKind { kCustomer, kConversation, kAppointment };

// The fewest hex characters a prefix may have.
inline constexpr std::size_t kMinIdPrefix = 6;

// "customer", "conversation" or "appointment", for messages.
const char* IdKindName(IdKind kind);

// The hex digits of `text` lower-cased with its dashes removed, or nullopt
// when `text` holds anything but hex digits and dashes, or more than 32
// hex digits. Pure; "" gives "".
std::optional<std::string> IdHex(std::string_view text);

// The full id (lower-case UUID text) of the one row of `kind` in the
// business whose id is `text` or starts with it. Throws:
//   InvalidInput when `text` is not hex (dashes allowed), or has fewer than
//     kMinIdPrefix hex digits;
//   InvalidInput when the prefix matches more than one row, naming them;
//   NotFound when it matches none.
std::string ResolveId(Pool& pool, IdKind kind, const std::string& business_id, const std::string& text);

// As ResolveId, but an id that matches nothing is returned as nullopt,
// and a text that is not an id (not hex, or too short) also gives nullopt:
// for keys that may be an id or something else (a customer's phone).
// Still throws InvalidInput for an ambiguous prefix.
std::optional<std::string> FindId(Pool& pool, IdKind kind, const std::string& business_id, const std::string& text);

}  // namespace omni::db
