// Notifications: the customer's mail about their appointment (confirmation
// with a calendar invite, update, cancellation, reminders) and the team's
// handoff alerts. Each is a job of the `notify.mail` queue (core/jobs),
// enqueued in the transaction of the change that caused it (notify_tx.hpp);
// a Notifier, run by omnid, claims due jobs and sends them.
//
// Every notification is recorded once it is handled, sent or not: without
// e-mail configured (no MailSender) it is recorded as NOT_SENT with what
// would have been sent, and nothing fails. A record's key is its job's, so a
// job run again after a crash finds it and sends nothing twice; the window
// left is a crash between the server's "250" and the record's commit, where
// the mail goes again (at least once, like the queue).
// Thread-safe: a Notifier holds references and settings only; several may
// run at once, in one process or many, and never send one job twice.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::notify {

class MailSender;

inline constexpr const char* kMailQueue = "notify.mail";

struct NotifierSettings {
  std::string from;        // email.from: its address is the sender; the business's name is shown
  int batch = 16;          // jobs claimed at once
  int lease_ms = 120000;   // a job whose worker died is claimed again after this
  // The console's address (e.g. "https://chat.example.com/console"), which a
  // handoff alert links to; "" for none.
  std::string console_url;
};

class Notifier {
 public:
  // `sender` null: e-mail is not configured; notifications are recorded only.
  Notifier(db::Pool& pool, const Clock& clock, NotifierSettings settings, MailSender* sender)
      : pool_(pool), clock_(clock), settings_(std::move(settings)), sender_(sender) {}

  // Claims the due jobs (up to `batch`) and handles each: sends or records
  // it, or skips it when it no longer applies (a reminder for a canceled,
  // moved or already started appointment; a customer without an address).
  // A failed send is retried later (backoff 30 s doubling, at most 1 h; a
  // job goes DEAD after 12 tries). Returns the number of jobs handled.
  // Throws Unavailable when the database cannot be reached.
  int RunOnce();

 private:
  db::Pool& pool_;
  const Clock& clock_;
  NotifierSettings settings_;
  MailSender* sender_;
};

// The owner's notice that webhook endpoint `endpoint_id` (`url`) was
// disabled after failing for 24 hours, mailed to the business's notify
// address like a handoff alert; enqueued once per endpoint and time.
void EnqueueWebhookDisabledAlert(db::Pool& pool, const std::string& business_id, const std::string& endpoint_id,
                                 const std::string& url, const std::string& last_error, TimePoint now);

struct NotificationRecord {
  std::int64_t job_id = 0;
  std::string kind;            // confirmation, update, cancellation, reminder, handoff, webhook_disabled
  std::string status;          // SENT, NOT_SENT (no e-mail configured), SKIPPED, PENDING, FAILED
  std::string recipient;       // "" while pending
  std::string subject;         // "" while pending
  std::string detail;          // why skipped or not sent, or the last error
  std::string appointment_id;  // "" for handoffs
  std::string conversation_id; // "" for appointment mail
  TimePoint at;                // when handled, or when due while pending
};

// The business's notifications: those handled, newest first, then those
// still queued (PENDING, or FAILED once their job is dead), soonest due
// first. At most `limit` of each. Throws InvalidInput for a business id that is not a UUID.
std::vector<NotificationRecord> ListNotifications(db::Pool& pool, const std::string& business_id, int limit = 100);

}  // namespace omni::notify
