// The wording of notify's mail: one template per kind, rendered both as
// plain text and as HTML from the same paragraphs, so the two parts never
// say different things. A business changes the accent colour, the closing
// signature and an extra note in confirmations (its file's `notifications`
// section). Pure and thread-safe.
#pragma once

#include <string>
#include <vector>

namespace omni::notify {

enum class MailKind { kConfirmation, kUpdate, kCancellation, kReminder, kHandoff };

// "confirmation", "update", "cancellation", "reminder", "handoff".
const char* MailKindName(MailKind kind);

struct Branding {
  std::string business_name;
  std::string color;              // "#rrggbb"; "" for the default
  std::string signature;          // "" for the business name
  std::string confirmation_note;  // "" for none
};

struct AppointmentFacts {
  std::string customer_name;  // "" greets without a name
  std::string service_name;
  std::string when;           // local, e.g. "Tuesday 1 December 2026, 10:00 (America/New_York)"
  std::string location;       // "" when the business has no address
  std::string cancel_reason;  // cancellations only; "" for none
  int lead_min = 0;           // reminders: how long before the start
};

struct HandoffFacts {
  std::string customer;       // name and contact as known
  std::string reason;
  std::vector<std::string> last_messages;  // "Customer: ...", oldest first
  std::string link;           // to the conversation; "" when there is no console
  std::string conversation_id;
};

struct RenderedMail {
  std::string subject;
  std::string text;  // "\n" line ends
  std::string html;  // a whole document with inline styles (mail clients drop <style>)
};

// Throws InvalidInput for kHandoff, which takes HandoffFacts.
RenderedMail RenderAppointmentMail(MailKind kind, const AppointmentFacts& facts, const Branding& branding);
RenderedMail RenderHandoffMail(const HandoffFacts& facts, const Branding& branding);
// The owner's notice that a webhook endpoint failed for 24 hours and was
// disabled.
RenderedMail RenderWebhookDisabledMail(const std::string& url, const std::string& endpoint_id,
                                       const std::string& last_error, const Branding& branding);

// "24 hours", "2 hours", "90 minutes", "1 day".
std::string DescribeLead(int minutes);

}  // namespace omni::notify
