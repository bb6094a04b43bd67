// Notification jobs: enqueueing (notify_tx.hpp) and the Notifier that sends
// them (notify.hpp).
//
// Each job is handled in three steps: read what to say in one transaction,
// send outside any transaction (an SMTP exchange must not hold a row lock
// or a pooled connection open), then record the notification and complete
// the job. The record's key is "job:<id>", so a job claimed again after its
// worker died finds the record and only completes.
#include "core/notify/notify.hpp"
#include "core/notify/notify_tx.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/booking/booking_tx.hpp"
#include "core/business/business_tx.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"
#include "core/jobs/jobs.hpp"
#include "core/jobs/jobs_tx.hpp"
#include "core/notify/mime.hpp"
#include "core/notify/smtp.hpp"
#include "core/notify/templates.hpp"

namespace omni::notify {
namespace {

using json = nlohmann::json;

constexpr int kMaxNotifyAttempts = 12;
constexpr int kLastMessages = 6;

std::string SqlTime(TimePoint t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }
TimePoint FromMicros(long long micros) { return TimePoint{std::chrono::microseconds{micros}}; }

const char* ChangeKind(AppointmentChange change) {
  switch (change) {
    case AppointmentChange::kCreated: return "confirmation";
    case AppointmentChange::kRescheduled: return "update";
    case AppointmentChange::kCanceled: return "cancellation";
  }
  return "confirmation";
}

// What a handled job comes to, before it is recorded.
struct Outcome {
  std::string kind;
  std::string status;  // SENT (after the send), NOT_SENT, SKIPPED
  std::string detail;
  std::string recipient;
  std::string subject;
  std::string appointment_id;
  std::string conversation_id;
  // Set when there is something to send.
  std::string envelope_from;
  std::vector<std::string> recipients;
  std::string message;
};

std::string LocalWhen(TimePoint start, const std::string& time_zone) {
  const auto zoned = date::make_zoned(time_zone, std::chrono::floor<std::chrono::seconds>(start));
  return date::format("%A %d %B %Y, %H:%M", zoned) + " (" + time_zone + ")";
}

Branding BrandingOf(const business::NotifyProfile& profile) {
  Branding branding;
  branding.business_name = profile.name;
  branding.color = profile.settings.color.empty() ? profile.primary_color : profile.settings.color;
  branding.signature = profile.settings.signature;
  branding.confirmation_note = profile.settings.confirmation_note;
  return branding;
}

MailKind KindOf(const std::string& name) {
  if (name == "update") return MailKind::kUpdate;
  if (name == "cancellation") return MailKind::kCancellation;
  if (name == "reminder") return MailKind::kReminder;
  if (name == "handoff") return MailKind::kHandoff;
  return MailKind::kConfirmation;
}

Outcome Skip(Outcome outcome, const std::string& why) {
  outcome.status = "SKIPPED";
  outcome.detail = why;
  return outcome;
}

// The message itself, in the business's name from the configured address.
void Compose(Outcome& outcome, const RenderedMail& mail, const Mailbox& from, const std::string& reply_to,
             const std::string& calendar, bool cancel, std::int64_t job_id, TimePoint now) {
  MailMessage message;
  message.from = from;
  for (const auto& r : outcome.recipients) message.to.push_back({"", r});
  message.reply_to = reply_to;
  message.subject = mail.subject;
  message.text = mail.text;
  message.html = mail.html;
  message.calendar = calendar;
  message.calendar_method = cancel ? "CANCEL" : "REQUEST";
  message.date = now;
  const std::string domain = from.address.substr(from.address.find('@') + 1);
  message.message_id = "omni-notify-" + std::to_string(job_id) + "@" + domain;
  outcome.subject = mail.subject;
  outcome.envelope_from = from.address;
  outcome.message = BuildMessage(message);
}

Outcome PrepareAppointmentMail(pqxx::work& tx, const jobs::Job& job, const Mailbox& sender, TimePoint now) {
  Outcome outcome;
  outcome.kind = job.payload.value("kind", "confirmation");
  outcome.appointment_id = job.payload.value("appointment_id", "");
  const int sequence = job.payload.value("sequence", 0);
  const int lead_min = job.payload.value("lead_min", 0);
  const MailKind kind = KindOf(outcome.kind);
  const business::NotifyProfile profile = business::LoadNotifyProfile(tx, job.business_id);
  booking::Appointment appointment;
  try {
    appointment = booking::Get(tx, job.business_id, outcome.appointment_id);
  } catch (const NotFound&) {
    return Skip(outcome, "the appointment no longer exists");
  }
  const bool live = appointment.status == booking::Status::kScheduled ||
                    appointment.status == booking::Status::kConfirmed;
  if (appointment.sequence != sequence) {
    return Skip(outcome, kind == MailKind::kReminder ? "the appointment was moved or canceled"
                                                     : "a later change superseded it");
  }
  if (kind == MailKind::kReminder && !live) return Skip(outcome, "the appointment is no longer scheduled");
  // A reminder that comes too late (omnid was down) is worthless once the
  // appointment has begun.
  if (kind == MailKind::kReminder && now >= appointment.start) return Skip(outcome, "the appointment has begun");
  if (appointment.customer_email.empty()) return Skip(outcome, "the customer has no e-mail address");
  outcome.recipient = appointment.customer_email;
  outcome.recipients = {appointment.customer_email};
  AppointmentFacts facts;
  facts.customer_name = appointment.customer_name;
  facts.service_name = appointment.service_name;
  facts.when = LocalWhen(appointment.start, appointment.time_zone);
  facts.cancel_reason = appointment.cancel_reason;
  facts.lead_min = lead_min;
  const auto address = tx.exec_params("SELECT coalesce(address, '') FROM businesses WHERE id = $1::uuid",
                                      job.business_id);
  if (!address.empty()) facts.location = address[0][0].as<std::string>();
  const RenderedMail mail = RenderAppointmentMail(kind, facts, BrandingOf(profile));
  // Reminders carry no invite: the calendar already has the event.
  const std::string calendar = kind == MailKind::kReminder ? "" : booking::AppointmentIcs(tx, appointment, now);
  const std::string reply_to = profile.settings.reply_to.empty() ? profile.email : profile.settings.reply_to;
  Compose(outcome, mail, {profile.name, sender.address}, reply_to, calendar, kind == MailKind::kCancellation,
          job.id, now);
  return outcome;
}

Outcome PrepareHandoffMail(pqxx::work& tx, const jobs::Job& job, const Mailbox& sender, const std::string& console_url,
                           TimePoint now) {
  Outcome outcome;
  outcome.kind = "handoff";
  outcome.conversation_id = job.payload.value("conversation_id", "");
  const business::NotifyProfile profile = business::LoadNotifyProfile(tx, job.business_id);
  std::vector<std::string> to;
  const std::string notify = profile.settings.notify.empty() ? profile.email : profile.settings.notify;
  if (!notify.empty()) to.push_back(notify);
  // Operators who opted in, once they can sign in to act on it.
  const auto operators = tx.exec_params(
      "SELECT email FROM users WHERE business_id = $1::uuid AND handoff_alerts AND password_hash IS NOT NULL"
      " AND lower(email) <> lower($2) ORDER BY lower(email)",
      job.business_id, notify);
  for (const auto& row : operators) to.push_back(row[0].as<std::string>());
  if (to.empty()) {
    return Skip(outcome, "the business has no notify address (notifications.notify or contact.email) and no "
                         "operator opted in to handoff alerts");
  }
  HandoffFacts facts;
  facts.conversation_id = outcome.conversation_id;
  if (!console_url.empty()) facts.link = console_url + "#/c/" + outcome.conversation_id;
  facts.reason = job.payload.value("reason", "");
  const auto customer = tx.exec_params(
      "SELECT coalesce(c.name, ''), coalesce(c.email, c.claimed_email, ''), coalesce(c.phone, c.claimed_phone, '')"
      " FROM conversations v LEFT JOIN customers c ON c.business_id = v.business_id AND c.id = v.customer_id"
      " WHERE v.business_id = $1::uuid AND v.id = $2::uuid",
      job.business_id, outcome.conversation_id);
  if (customer.empty()) return Skip(outcome, "the conversation no longer exists");
  std::string contacts;
  const std::string email = customer[0][1].as<std::string>();
  const std::string readable_phone = phone::Format(customer[0][2].as<std::string>(), profile.phone_region);
  for (const std::string& contact : {email, readable_phone}) {
    if (!contact.empty()) contacts += (contacts.empty() ? "" : ", ") + contact;
  }
  const std::string name = customer[0][0].as<std::string>();
  facts.customer = name.empty() ? contacts : contacts.empty() ? name : name + " (" + contacts + ")";
  const auto messages = tx.exec_params(
      "SELECT role, content FROM (SELECT role, content, seq FROM messages"
      " WHERE business_id = $1::uuid AND conversation_id = $2::uuid AND role IN ('USER', 'ASSISTANT', 'HUMAN')"
      " AND content <> '' ORDER BY seq DESC LIMIT $3) last ORDER BY seq",
      job.business_id, outcome.conversation_id, kLastMessages);
  for (const auto& row : messages) {
    const std::string role = row[0].as<std::string>();
    const std::string who = role == "USER" ? "Customer" : role == "HUMAN" ? "Team" : "Assistant";
    facts.last_messages.push_back(who + ": " + row[1].as<std::string>());
  }
  for (const auto& address : to) outcome.recipient += (outcome.recipient.empty() ? "" : ", ") + address;
  outcome.recipients = to;
  Compose(outcome, RenderHandoffMail(facts, BrandingOf(profile)), {profile.name, sender.address}, "", "", false,
          job.id, now);
  return outcome;
}

Outcome PrepareWebhookDisabledMail(pqxx::work& tx, const jobs::Job& job, const Mailbox& sender, TimePoint now) {
  Outcome outcome;
  outcome.kind = "webhook_disabled";
  const business::NotifyProfile profile = business::LoadNotifyProfile(tx, job.business_id);
  const std::string to = profile.settings.notify.empty() ? profile.email : profile.settings.notify;
  if (to.empty()) return Skip(outcome, "the business has no notify address (notifications.notify or contact.email)");
  outcome.recipient = to;
  outcome.recipients = {to};
  Compose(outcome,
          RenderWebhookDisabledMail(job.payload.value("url", ""), job.payload.value("endpoint_id", ""),
                                    job.payload.value("last_error", ""), BrandingOf(profile)),
          {profile.name, sender.address}, "", "", false, job.id, now);
  return outcome;
}

// Records the outcome, then completes the job. When the claim was lost
// meanwhile, the worker holding it now finds the record and only completes.
void Record(db::Pool& pool, const jobs::Job& job, const Outcome& outcome, TimePoint now) {
  db::WithTransaction(pool, [&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO notifications (business_id, kind, appointment_id, conversation_id, recipient, subject, status,"
        " detail, dedupe_key, job_id, created_at)"
        " VALUES ($1::uuid, $2, nullif($3, '')::uuid, nullif($4, '')::uuid, $5, $6, $7, $8, $9, $10,"
        " $11::timestamptz) ON CONFLICT (business_id, dedupe_key) DO NOTHING",
        job.business_id, outcome.kind, outcome.appointment_id, outcome.conversation_id, outcome.recipient,
        outcome.subject, outcome.status, outcome.detail, "job:" + std::to_string(job.id), job.id, SqlTime(now));
  });
  jobs::Complete(pool, job, now);
}

bool AlreadyRecorded(pqxx::work& tx, const jobs::Job& job) {
  return !tx.exec_params("SELECT 1 FROM notifications WHERE business_id = $1::uuid AND dedupe_key = $2",
                         job.business_id, "job:" + std::to_string(job.id))
              .empty();
}

std::chrono::seconds Backoff(int attempts) {
  const int exponent = std::clamp(attempts - 1, 0, 7);
  return std::min(std::chrono::seconds{30LL << exponent}, std::chrono::seconds{3600});
}

}  // namespace

void EnqueueAppointmentNotices(pqxx::work& tx, const std::string& business_id, const std::string& appointment_id,
                               int sequence, TimePoint start, AppointmentChange change, TimePoint now) {
  const std::string kind = ChangeKind(change);
  jobs::NewJob mail;
  mail.queue = kMailQueue;
  mail.business_id = business_id;
  mail.payload = {{"kind", kind}, {"appointment_id", appointment_id}, {"sequence", sequence}};
  mail.run_at = now;
  mail.dedupe_key = kind + ":" + appointment_id + ":" + std::to_string(sequence);
  mail.max_attempts = kMaxNotifyAttempts;
  jobs::Enqueue(tx, mail);
  if (change == AppointmentChange::kCanceled) return;
  const business::NotifyProfile profile = business::LoadNotifyProfile(tx, business_id);
  for (int lead_min : profile.settings.reminder_lead_min) {
    const TimePoint due = start - std::chrono::minutes{lead_min};
    if (due <= now) continue;
    jobs::NewJob reminder = mail;
    reminder.payload = {{"kind", "reminder"}, {"appointment_id", appointment_id}, {"sequence", sequence},
                        {"lead_min", lead_min}};
    reminder.run_at = due;
    reminder.dedupe_key = "reminder:" + appointment_id + ":" + std::to_string(sequence) + ":" + std::to_string(lead_min);
    jobs::Enqueue(tx, reminder);
  }
}

void EnqueueHandoffAlert(pqxx::work& tx, const std::string& business_id, const std::string& conversation_id,
                         const std::string& reason) {
  jobs::NewJob alert;
  alert.queue = kMailQueue;
  alert.business_id = business_id;
  alert.payload = {{"kind", "handoff"}, {"conversation_id", conversation_id}, {"reason", reason}};
  // Due at once: the epoch is before any worker's now, whatever its clock.
  alert.run_at = TimePoint{};
  alert.max_attempts = kMaxNotifyAttempts;
  jobs::Enqueue(tx, alert);
}

void EnqueueWebhookDisabledAlert(db::Pool& pool, const std::string& business_id, const std::string& endpoint_id,
                                 const std::string& url, const std::string& last_error, TimePoint now) {
  jobs::NewJob alert;
  alert.queue = kMailQueue;
  alert.business_id = business_id;
  alert.payload = {{"kind", "webhook_disabled"}, {"endpoint_id", endpoint_id}, {"url", url},
                   {"last_error", last_error}};
  alert.run_at = now;
  alert.dedupe_key = "webhook_disabled:" + endpoint_id + ":" + std::to_string(now.time_since_epoch().count());
  alert.max_attempts = kMaxNotifyAttempts;
  jobs::Enqueue(pool, alert);
}

int Notifier::RunOnce() {
  const TimePoint now = clock_.Now();
  const auto claimed = jobs::Claim(pool_, kMailQueue, settings_.batch, std::chrono::milliseconds{settings_.lease_ms}, now);
  const Mailbox sender = settings_.from.empty() ? Mailbox{"", "omni@localhost"} : ParseMailbox(settings_.from);
  for (const jobs::Job& job : claimed) {
    Outcome outcome;
    try {
      bool done = false;
      outcome = db::WithTransaction(pool_, [&](pqxx::work& tx) {
        if (AlreadyRecorded(tx, job)) {
          done = true;
          return Outcome{};
        }
        const std::string kind = job.payload.value("kind", "");
        if (kind == "handoff") return PrepareHandoffMail(tx, job, sender, settings_.console_url, now);
        if (kind == "webhook_disabled") return PrepareWebhookDisabledMail(tx, job, sender, now);
        return PrepareAppointmentMail(tx, job, sender, now);
      });
      if (done) {
        jobs::Complete(pool_, job, now);
        continue;
      }
      if (outcome.status.empty()) {
        if (sender_) {
          sender_->Send(outcome.envelope_from, outcome.recipients, outcome.message);
          outcome.status = "SENT";
        } else {
          outcome.status = "NOT_SENT";
          outcome.detail = "e-mail is not configured (email.smtp_url)";
        }
      }
      Record(pool_, job, outcome, now);
    } catch (const Unavailable& e) {
      jobs::Fail(pool_, job, e.what(), now + Backoff(job.attempts), now);
    } catch (const UpstreamError& e) {
      jobs::Fail(pool_, job, e.what(), now + Backoff(job.attempts), now);
    } catch (const Error& e) {
      // Not a passing fault (a malformed address, a broken business row):
      // trying again would fail the same way.
      jobs::Kill(pool_, job, e.what(), now);
    }
  }
  return static_cast<int>(claimed.size());
}

std::vector<NotificationRecord> ListNotifications(db::Pool& pool, const std::string& business_id, int limit) {
  if (!IsUuid(business_id)) throw InvalidInput("invalid business id \"" + business_id + "\": expected a UUID");
  limit = std::clamp(limit, 1, 10000);
  std::vector<NotificationRecord> records;
  db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        "SELECT coalesce(job_id, 0), kind, status, recipient, subject, detail, coalesce(appointment_id::text, ''),"
        " coalesce(conversation_id::text, ''), (extract(epoch FROM created_at) * 1000000)::int8"
        " FROM notifications WHERE business_id = $1::uuid ORDER BY created_at DESC, id DESC LIMIT $2",
        business_id, limit);
    for (const auto& row : rows) {
      records.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                         row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                         row[6].as<std::string>(), row[7].as<std::string>(), FromMicros(row[8].as<long long>())});
    }
  });
  const std::size_t handled = records.size();
  for (const auto state : {jobs::JobState::kPending, jobs::JobState::kRunning, jobs::JobState::kDead}) {
    jobs::ListFilter filter;
    filter.queue = kMailQueue;
    filter.business_id = business_id;
    filter.state = state;
    filter.limit = limit;
    for (const jobs::Job& job : jobs::List(pool, filter)) {
      NotificationRecord record;
      record.job_id = job.id;
      record.kind = job.payload.value("kind", "");
      record.status = state == jobs::JobState::kDead ? "FAILED" : "PENDING";
      record.detail = job.last_error;
      record.appointment_id = job.payload.value("appointment_id", "");
      record.conversation_id = job.payload.value("conversation_id", "");
      record.at = job.run_at;
      records.push_back(std::move(record));
    }
  }
  std::stable_sort(records.begin() + static_cast<std::ptrdiff_t>(handled), records.end(),
                   [](const NotificationRecord& a, const NotificationRecord& b) { return a.at < b.at; });
  return records;
}

}  // namespace omni::notify
