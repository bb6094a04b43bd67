// Internet messages (RFC 5322) with MIME bodies (RFC 2045-2049) for the mail
// notify sends: a plain-text and an HTML alternative of the same text, and
// optionally the appointment as an iCalendar invite (RFC 6047). Pure: the
// caller passes every value, including the Date and the Message-ID.
// Thread-safe.
//
// Shape: multipart/alternative holding text/plain, text/html and, with an
// invite, text/calendar; method=REQUEST or CANCEL (what calendar clients
// act on). Every part is UTF-8 in base64 with 76-column lines, so no line
// can exceed SMTP's limit whatever the text. Header fields holding non-ASCII
// text (display names, subjects) are RFC 2047 encoded words; addresses
// stay ASCII.
#pragma once

#include <string>
#include <vector>

#include "core/common/clock.hpp"

namespace omni::notify {

struct Mailbox {
  std::string name;     // display name, any UTF-8; may be empty
  std::string address;  // user@host, ASCII
};

struct MailMessage {
  Mailbox from;
  std::vector<Mailbox> to;
  std::string reply_to;   // an address; "" for none
  std::string subject;    // UTF-8
  std::string text;       // the text/plain part, UTF-8, "\n" line ends
  std::string html;       // the text/html part, a whole document
  std::string calendar;   // an RFC 5545 VCALENDAR; "" for none
  std::string calendar_method;  // "REQUEST" or "CANCEL", with a calendar
  TimePoint date;
  std::string message_id; // without angle brackets: "<unique>@<host>"
};

// Parses "Name <user@host>" or "user@host". Throws InvalidInput naming the
// text when there is no address with a local part and a domain.
Mailbox ParseMailbox(const std::string& text);

// An unstructured header value (a subject) with each run of words that is
// not printable ASCII as RFC 2047 "B" encoded words ("=?UTF-8?B?...?="),
// each at most 75 characters and never splitting a UTF-8 sequence; the
// ASCII words stay readable. Folded to keep lines short.
std::string EncodeHeaderText(const std::string& text);

// A mailbox for From/To: the display name quoted when ASCII, an encoded
// word otherwise, then "<address>".
std::string FormatMailbox(const Mailbox& mailbox);

// The whole message with CRLF line ends, ready for SMTP DATA. Throws
// InvalidInput when a recipient or the sender has no valid address, or an
// address holds a character that could break a header.
std::string BuildMessage(const MailMessage& message);

// Base64 of `data` in lines of 76 characters joined by CRLF.
std::string Base64Lines(const std::string& data);

// `text` with & < > " ' as HTML entities.
std::string EscapeHtml(const std::string& text);

}  // namespace omni::notify
