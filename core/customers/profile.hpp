// A customer's history for the team (`omni customers show`): their
// conversations with the last message of each, and their appointments,
// upcoming and past. Read-only, scoped by business.
// Thread-safe: free functions over a db::Pool; each call leases a connection.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/common/clock.hpp"
#include "core/customers/customers.hpp"

namespace omni::db {
class Pool;
}

namespace omni::customers {

struct ConversationSummary {
  std::string id;
  std::string status;   // AI_ACTIVE, ESCALATED, RESOLVED or REOPENED
  std::string channel;  // WEBCHAT, CLI, ...
  int message_count = 0;                // customer, AI and team messages
  std::string last_message_role;        // USER, ASSISTANT or HUMAN; "" when none
  std::string last_message_text;        // at most kSummaryTextChars characters
  std::optional<TimePoint> last_message_at;
  TimePoint created_at;
};

struct AppointmentSummary {
  std::string id;
  std::string service_name;
  std::string status;  // SCHEDULED, CONFIRMED, COMPLETED, CANCELED or NO_SHOW
  TimePoint starts_at;
  TimePoint ends_at;
};

struct Profile {
  Customer customer;
  std::vector<ConversationSummary> conversations;  // most recent first
  std::vector<AppointmentSummary> upcoming;        // live and not yet started, soonest first
  std::vector<AppointmentSummary> past;            // started, canceled or done; latest first
};

// The longest last-message text a summary keeps, in characters.
inline constexpr int kSummaryTextChars = 120;

// The customer named by `key` (as Get takes it) with at most `limit` of
// each list. `now` splits upcoming from past. Throws NotFound as Get does,
// InvalidInput for a limit outside 1 to 1000.
Profile GetProfile(db::Pool& pool, const std::string& business_id, const std::string& key, TimePoint now,
                   int limit = 50);

}  // namespace omni::customers
