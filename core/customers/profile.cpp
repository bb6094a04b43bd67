// A customer's conversations and appointments, read for the team.
#include "core/customers/profile.hpp"

#include "core/common/error.hpp"
#include "core/customers/customers_tx.hpp"
#include "core/customers/detail/row.hpp"
#include "core/db/pqxx.hpp"

namespace omni::customers {
namespace {

using detail::FromMicros;

AppointmentSummary AppointmentFromRow(const pqxx::row& row) {
  return {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
          FromMicros(row[3].as<long long>()), FromMicros(row[4].as<long long>())};
}

}  // namespace

Profile GetProfile(db::Pool& pool, const std::string& business_id, const std::string& key, TimePoint now, int limit) {
  if (limit < 1 || limit > 1000) throw InvalidInput("invalid limit " + std::to_string(limit) + ": expected 1 to 1000");
  const long long now_micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    Profile profile;
    profile.customer = Get(tx, business_id, key);
    const auto conversations = tx.exec_params(
        "SELECT c.id::text, c.status, c.channel, "
        "  (SELECT count(*) FROM messages m WHERE m.business_id = c.business_id AND m.conversation_id = c.id "
        "     AND m.role IN ('USER', 'ASSISTANT', 'HUMAN') AND NOT m.dropped)::int, "
        "  coalesce(l.role, ''), coalesce(l.content, ''), (extract(epoch FROM c.last_message_at) * 1000000)::bigint, "
        "  (extract(epoch FROM c.created_at) * 1000000)::bigint "
        "FROM conversations c LEFT JOIN LATERAL ("
        "  SELECT m.role, left(m.content, $4) AS content FROM messages m "
        "  WHERE m.business_id = c.business_id AND m.conversation_id = c.id "
        "    AND m.role IN ('USER', 'ASSISTANT', 'HUMAN') AND NOT m.dropped AND m.content <> '' "
        "  ORDER BY m.seq DESC LIMIT 1) l ON true "
        "WHERE c.business_id = $1::uuid AND c.customer_id = $2::uuid "
        "ORDER BY coalesce(c.last_message_at, c.created_at) DESC, c.id LIMIT $3",
        business_id, profile.customer.id, limit, kSummaryTextChars);
    for (const auto& row : conversations) {
      ConversationSummary c;
      c.id = row[0].as<std::string>();
      c.status = row[1].as<std::string>();
      c.channel = row[2].as<std::string>();
      c.message_count = row[3].as<int>();
      c.last_message_role = row[4].as<std::string>();
      c.last_message_text = row[5].as<std::string>();
      if (!row[6].is_null()) c.last_message_at = FromMicros(row[6].as<long long>());
      c.created_at = FromMicros(row[7].as<long long>());
      profile.conversations.push_back(std::move(c));
    }
    const std::string columns =
        "SELECT a.id::text, s.name, a.status, (extract(epoch FROM a.starts_at) * 1000000)::bigint, "
        "(extract(epoch FROM a.ends_at) * 1000000)::bigint FROM appointments a "
        "JOIN services s ON s.business_id = a.business_id AND s.id = a.service_id "
        "WHERE a.business_id = $1::uuid AND a.customer_id = $2::uuid ";
    const std::string upcoming_condition =
        "a.starts_at >= 'epoch'::timestamptz + $3::bigint * interval '1 microsecond' "
        "AND a.status IN ('SCHEDULED', 'CONFIRMED')";
    for (const auto& row : tx.exec_params(columns + "AND " + upcoming_condition + " ORDER BY a.starts_at, a.id LIMIT $4",
                                          business_id, profile.customer.id, now_micros, limit)) {
      profile.upcoming.push_back(AppointmentFromRow(row));
    }
    for (const auto& row : tx.exec_params(columns + "AND NOT (" + upcoming_condition +
                                              ") ORDER BY a.starts_at DESC, a.id LIMIT $4",
                                          business_id, profile.customer.id, now_micros, limit)) {
      profile.past.push_back(AppointmentFromRow(row));
    }
    return profile;
  });
}

}  // namespace omni::customers
