// `omni notifications list`: what the business's customers and team were
// sent, or would have been sent while e-mail is not configured.
#include <chrono>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/business/business.hpp"
#include "core/notify/notify.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct ListOptions {
  int limit = 100;
};

const std::vector<Column> kColumns = {{"at", "AT"},           {"kind", "KIND"},     {"status", "STATUS"},
                                      {"recipient", "TO"},    {"subject", "SUBJECT"}, {"detail", "DETAIL"},
                                      {"job_id", "JOB"}};

std::string Utc(TimePoint t) { return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t)); }

int RunList(Context& ctx, const ListOptions& opts) {
  const std::string business_id = business::FindId(ctx.Database(), ctx.RequireBusiness());
  Json rows = Json::array();
  for (const auto& n : notify::ListNotifications(ctx.Database(), business_id, opts.limit)) {
    rows.push_back({{"at", Utc(n.at)},
                    {"kind", n.kind},
                    {"status", n.status},
                    {"recipient", n.recipient},
                    {"subject", n.subject},
                    {"detail", n.detail},
                    {"job_id", n.job_id},
                    {"appointment_id", n.appointment_id},
                    {"conversation_id", n.conversation_id}});
  }
  ctx.out().List(kColumns, rows);
  if (rows.empty()) ctx.out().Status("no notifications yet");
  return 0;
}

}  // namespace

Command MakeNotificationsCommand() {
  return MakeGroup(
      "notifications", "list the mail sent to customers and the team",
      "Booking confirmations (with a calendar invite), updates, cancellations, reminders before each "
      "appointment (the business file's notifications.reminders, default 24h and 2h) and handoff alerts to the "
      "business's notify address. omnid sends them; without email.smtp_url in omni.yaml nothing is sent and each "
      "is listed as NOT_SENT with what would have gone. Operators who opt in to handoff alerts come with the "
      "operators feature; until then alerts go to notifications.notify, else contact.email.",
      {
          MakeCommand<ListOptions>(
              "list", "list notifications, newest first, then those still queued",
              "Lists the business's notifications: SENT, NOT_SENT (no e-mail configured), SKIPPED (with why: "
              "the appointment was canceled or moved, had begun, or the customer has no address), then those "
              "still queued: PENDING (AT is when they are due) and FAILED (gave up; see omni jobs).",
              {"$ omni notifications list -b demo-salon", "$ omni notifications list -b demo-salon -o json --limit 20"},
              [](ListOptions& o) {
                return std::vector<Option>{{"--limit", "at most this many of each (1 to 10000, default 100)", &o.limit}};
              },
              RunList),
      });
}

}  // namespace omni::cli
