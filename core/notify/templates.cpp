// The mail templates. See templates.hpp.
#include "core/notify/templates.hpp"

#include "core/common/error.hpp"
#include "core/notify/mime.hpp"

namespace omni::notify {
namespace {

constexpr const char* kDefaultColor = "#2f6fed";

// A template is a subject, paragraphs and label/value facts; both parts
// are rendered from it.
struct Template {
  std::string subject;
  std::string heading;
  std::vector<std::string> paragraphs;
  std::vector<std::pair<std::string, std::string>> facts;
  std::vector<std::string> quoted;  // handoff: the last messages
  std::string link;
};

void Render(const Template& t, const Branding& branding, RenderedMail& out) {
  const std::string color = branding.color.empty() ? kDefaultColor : branding.color;
  const std::string signature = branding.signature.empty() ? branding.business_name : branding.signature;
  std::string text = t.heading + "\n\n";
  for (const auto& p : t.paragraphs) text += p + "\n\n";
  for (const auto& [label, value] : t.facts) text += label + ": " + value + "\n";
  if (!t.facts.empty()) text += "\n";
  for (const auto& q : t.quoted) text += "> " + q + "\n";
  if (!t.quoted.empty()) text += "\n";
  if (!t.link.empty()) text += t.link + "\n\n";
  text += signature + "\n";

  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + EscapeHtml(t.subject) +
      "</title></head>\n<body style=\"margin:0;padding:24px;background:#f6f6f6;font-family:Helvetica,Arial,"
      "sans-serif;color:#222\">\n<div style=\"max-width:560px;margin:0 auto;background:#fff;border-top:4px solid " +
      color + ";padding:24px\">\n<h1 style=\"font-size:20px;color:" + color + ";margin:0 0 16px\">" +
      EscapeHtml(t.heading) + "</h1>\n";
  for (const auto& p : t.paragraphs) html += "<p>" + EscapeHtml(p) + "</p>\n";
  if (!t.facts.empty()) {
    html += "<table style=\"border-collapse:collapse;margin:16px 0\">\n";
    for (const auto& [label, value] : t.facts) {
      html += "<tr><th style=\"text-align:left;padding:4px 12px 4px 0;color:#666;font-weight:normal\">" +
              EscapeHtml(label) + "</th><td style=\"padding:4px 0\">" + EscapeHtml(value) + "</td></tr>\n";
    }
    html += "</table>\n";
  }
  if (!t.quoted.empty()) {
    html += "<blockquote style=\"border-left:3px solid " + color + ";margin:16px 0;padding:0 12px;color:#444\">\n";
    for (const auto& q : t.quoted) html += "<p>" + EscapeHtml(q) + "</p>\n";
    html += "</blockquote>\n";
  }
  if (!t.link.empty()) {
    html += "<p><a href=\"" + EscapeHtml(t.link) + "\" style=\"color:" + color + "\">Open the conversation</a></p>\n";
  }
  html += "<p style=\"color:#666\">" + EscapeHtml(signature) + "</p>\n</div>\n</body></html>\n";
  out.subject = t.subject;
  out.text = text;
  out.html = html;
}

std::string Greeting(const AppointmentFacts& facts) {
  return facts.customer_name.empty() ? "Hello," : "Hello " + facts.customer_name + ",";
}

}  // namespace

const char* MailKindName(MailKind kind) {
  switch (kind) {
    case MailKind::kConfirmation: return "confirmation";
    case MailKind::kUpdate: return "update";
    case MailKind::kCancellation: return "cancellation";
    case MailKind::kReminder: return "reminder";
    case MailKind::kHandoff: return "handoff";
  }
  return "confirmation";
}

std::string DescribeLead(int minutes) {
  auto plural = [](int n, const std::string& unit) { return std::to_string(n) + " " + unit + (n == 1 ? "" : "s"); };
  if (minutes % 1440 == 0 && minutes >= 2880) return plural(minutes / 1440, "day");
  if (minutes % 60 == 0) return plural(minutes / 60, "hour");
  return plural(minutes, "minute");
}

RenderedMail RenderAppointmentMail(MailKind kind, const AppointmentFacts& facts, const Branding& branding) {
  Template t;
  const std::string& business = branding.business_name;
  t.facts = {{"Service", facts.service_name}, {"When", facts.when}};
  if (!facts.location.empty()) t.facts.emplace_back("Where", facts.location);
  switch (kind) {
    case MailKind::kConfirmation:
      t.subject = "Confirmed: " + facts.service_name + " at " + business;
      t.heading = "Your appointment is booked";
      t.paragraphs = {Greeting(facts), "Your appointment at " + business +
                                           " is booked. The calendar invite in this message adds it to your calendar."};
      if (!branding.confirmation_note.empty()) t.paragraphs.push_back(branding.confirmation_note);
      break;
    case MailKind::kUpdate:
      t.subject = "Moved: " + facts.service_name + " at " + business;
      t.heading = "Your appointment has moved";
      t.paragraphs = {Greeting(facts), "Your appointment at " + business +
                                           " has a new time. The calendar invite in this message updates your calendar."};
      break;
    case MailKind::kCancellation:
      t.subject = "Canceled: " + facts.service_name + " at " + business;
      t.heading = "Your appointment is canceled";
      t.paragraphs = {Greeting(facts), "Your appointment at " + business + " is canceled."};
      if (!facts.cancel_reason.empty()) t.facts.emplace_back("Reason", facts.cancel_reason);
      break;
    case MailKind::kReminder:
      t.subject = "Reminder: " + facts.service_name + " at " + business + " in " + DescribeLead(facts.lead_min);
      t.heading = "See you soon";
      t.paragraphs = {Greeting(facts), "A reminder of your appointment at " + business + " in " +
                                           DescribeLead(facts.lead_min) + "."};
      break;
    case MailKind::kHandoff:
      throw InvalidInput("a handoff alert is rendered by RenderHandoffMail");
  }
  RenderedMail out;
  Render(t, branding, out);
  return out;
}

RenderedMail RenderHandoffMail(const HandoffFacts& facts, const Branding& branding) {
  Template t;
  t.subject = "Handoff: " + (facts.customer.empty() ? std::string("a visitor") : facts.customer) +
              " needs a person at " + branding.business_name;
  t.heading = "A conversation needs you";
  t.paragraphs = {"The assistant handed a conversation over to the team."};
  t.facts = {{"Customer", facts.customer.empty() ? "unknown visitor" : facts.customer},
             {"Reason", facts.reason.empty() ? "not given" : facts.reason},
             {"Conversation", facts.conversation_id}};
  t.quoted = facts.last_messages;
  t.link = facts.link;
  RenderedMail out;
  Render(t, branding, out);
  return out;
}

RenderedMail RenderWebhookDisabledMail(const std::string& url, const std::string& endpoint_id,
                                       const std::string& last_error, const Branding& branding) {
  Template t;
  t.subject = "Webhook disabled: " + url;
  t.heading = "A webhook endpoint was disabled";
  t.paragraphs = {"Deliveries to this endpoint failed for 24 hours, so omni stopped sending to it. Events since "
                  "then were not delivered.",
                  "Fix the receiver, then turn the endpoint back on with omni webhooks enable, which keeps its secret; "
                  "omni webhooks deliveries shows each attempt and omni webhooks replay sends one again."};
  t.facts = {{"Endpoint", endpoint_id}, {"URL", url}, {"Last error", last_error.empty() ? "none" : last_error}};
  RenderedMail out;
  Render(t, branding, out);
  return out;
}

}  // namespace omni::notify
