// MIME building for notify's mail. See mime.hpp.
#include "core/notify/mime.hpp"

#include <date/date.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdio>
#include <vector>

#include "core/common/error.hpp"
#include "core/common/text.hpp"

namespace omni::notify {
namespace {

constexpr std::size_t kBase64LineChars = 76;
// An encoded word is at most 75 characters ("=?UTF-8?B?" and "?=" take
// 12); 39 octets make 52 of base64, so that a word after "Subject: " still
// ends before column 78.
constexpr std::size_t kEncodedWordOctets = 39;

bool PlainAscii(const std::string& text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return false;
  }
  return true;
}

// Control characters (CR and LF above all) would end a header early.
std::string WithoutControls(const std::string& text) {
  std::string clean;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    clean += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return clean;
}

void CheckAddress(const std::string& address, const std::string& role) {
  auto at = address.find('@');
  bool ok = at != std::string::npos && at > 0 && at + 1 < address.size() && address.find('@', at + 1) == std::string::npos;
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';' || c == '(' || c == ')' ||
        c == '\\' || c == '[' || c == ']' || c == ':') {
      ok = false;
    }
  }
  if (!ok) throw InvalidInput("invalid " + role + " address \"" + WithoutControls(address) + "\"");
}

std::string Crlf(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') continue;
    if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string RfcDate(TimePoint when) {
  return date::format("%a, %d %b %Y %H:%M:%S +0000", std::chrono::floor<std::chrono::seconds>(when));
}

// A boundary no base64 line can contain ("=_" never occurs in base64), the
// same for the same message.
std::string Boundary(const std::string& message_id) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(message_id.data()), message_id.size(), digest);
  std::string hex;
  char byte[3];
  for (int i = 0; i < 8; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return "=_omni_" + hex;
}

void Part(std::string& out, const std::string& boundary, const std::string& content_type, const std::string& body) {
  out += "--" + boundary + "\r\n";
  out += "Content-Type: " + content_type + "\r\n";
  out += "Content-Transfer-Encoding: base64\r\n\r\n";
  out += Base64Lines(body);
  out += "\r\n";
}

}  // namespace

std::string Base64Lines(const std::string& data) {
  std::string encoded(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  encoded.resize(static_cast<std::size_t>(n));
  std::string out;
  for (std::size_t pos = 0; pos < encoded.size(); pos += kBase64LineChars) {
    if (pos) out += "\r\n";
    out.append(encoded, pos, kBase64LineChars);
  }
  return out;
}

std::string EscapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Mailbox ParseMailbox(const std::string& text) {
  std::string trimmed = Trim(text);
  Mailbox mailbox;
  if (auto open = trimmed.rfind('<'); open != std::string::npos && !trimmed.empty() && trimmed.back() == '>') {
    mailbox.address = Trim(trimmed.substr(open + 1, trimmed.size() - open - 2));
    std::string name = Trim(trimmed.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    mailbox.name = name;
  } else {
    mailbox.address = trimmed;
  }
  try {
    CheckAddress(mailbox.address, "mail");
  } catch (const InvalidInput&) {
    throw InvalidInput("invalid mail address \"" + WithoutControls(text) + "\": expected user@host or Name <user@host>");
  }
  return mailbox;
}

namespace {

// The whole of `clean` as encoded words joined by folding whitespace (which
// decoders drop between adjacent words).
std::string EncodeWords(const std::string& clean) {
  std::string out;
  std::size_t pos = 0;
  while (pos < clean.size()) {
    std::size_t cut = std::min(clean.size(), pos + kEncodedWordOctets);
    // Back up over continuation bytes so that each word decodes on its own.
    while (cut < clean.size() && cut > pos && (static_cast<unsigned char>(clean[cut]) & 0xC0) == 0x80) --cut;
    if (cut == pos) cut = std::min(clean.size(), pos + kEncodedWordOctets);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64Lines(clean.substr(pos, cut - pos)) + "?=";
    pos = cut;
  }
  return out;
}

// A word that can stand as it is in unstructured text: printable ASCII and
// nothing a decoder could take for an encoded word.
bool PlainWord(const std::string& word) { return PlainAscii(word) && word.find("=?") == std::string::npos; }

}  // namespace

std::string EncodeHeaderText(const std::string& text) {
  const std::string clean = WithoutControls(text);
  if (PlainWord(clean)) return clean;
  // Only the runs of words that need it are encoded, so "Confirmed: Coupe
  // femme at Café Lumière" keeps its ASCII words readable. The spaces inside
  // a run are encoded with it; those around it stay literal.
  std::vector<std::string> words;
  for (std::size_t pos = 0; pos <= clean.size();) {
    std::size_t end = clean.find(' ', pos);
    if (end == std::string::npos) end = clean.size();
    words.push_back(clean.substr(pos, end - pos));
    pos = end + 1;
  }
  std::vector<std::string> atoms;
  for (std::size_t i = 0; i < words.size();) {
    if (PlainWord(words[i])) {
      atoms.push_back(words[i++]);
      continue;
    }
    std::string run = words[i++];
    while (i < words.size() && !PlainWord(words[i])) run += " " + words[i++];
    atoms.push_back(EncodeWords(run));
  }
  // Fold between atoms to keep lines short; "Subject: " comes before.
  std::string out;
  std::size_t line = 9;
  for (std::size_t i = 0; i < atoms.size(); ++i) {
    const std::size_t first_line = atoms[i].find("\r\n");
    const std::size_t width = first_line == std::string::npos ? atoms[i].size() : first_line;
    if (i > 0) {
      if (line + 1 + width > 76) {
        out += "\r\n ";
        line = 1;
      } else {
        out += " ";
        ++line;
      }
    }
    out += atoms[i];
    const std::size_t last_break = atoms[i].rfind("\r\n");
    line = last_break == std::string::npos ? line + atoms[i].size() : atoms[i].size() - last_break - 2;
  }
  return out;
}

std::string FormatMailbox(const Mailbox& mailbox) {
  std::string name = WithoutControls(mailbox.name);
  if (name.empty()) return "<" + mailbox.address + ">";
  // A display name is a phrase, where a plain word holding "," or "." would
  // need quoting: a name with any non-ASCII is encoded whole.
  if (!PlainAscii(name)) return EncodeWords(name) + "\r\n <" + mailbox.address + ">";
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\" <" + mailbox.address + ">";
}

std::string BuildMessage(const MailMessage& message) {
  CheckAddress(message.from.address, "sender");
  if (message.to.empty()) throw InvalidInput("a mail message needs a recipient");
  std::string to;
  for (const Mailbox& recipient : message.to) {
    CheckAddress(recipient.address, "recipient");
    if (!to.empty()) to += ",\r\n ";
    to += FormatMailbox(recipient);
  }
  if (!message.reply_to.empty()) CheckAddress(message.reply_to, "reply-to");
  const std::string boundary = Boundary(message.message_id);
  std::string out;
  out += "From: " + FormatMailbox(message.from) + "\r\n";
  out += "To: " + to + "\r\n";
  if (!message.reply_to.empty()) out += "Reply-To: <" + message.reply_to + ">\r\n";
  out += "Subject: " + EncodeHeaderText(message.subject) + "\r\n";
  out += "Date: " + RfcDate(message.date) + "\r\n";
  out += "Message-ID: <" + WithoutControls(message.message_id) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  Part(out, boundary, "text/plain; charset=UTF-8", Crlf(message.text));
  Part(out, boundary, "text/html; charset=UTF-8", Crlf(message.html));
  if (!message.calendar.empty()) {
    const std::string method = message.calendar_method == "CANCEL" ? "CANCEL" : "REQUEST";
    Part(out, boundary, "text/calendar; charset=UTF-8; method=" + method, message.calendar);
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace omni::notify
