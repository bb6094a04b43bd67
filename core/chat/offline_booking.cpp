// The offline booking dialogue's language. See offline_booking.hpp.
//
// A message is read in passes over its lower-cased text, each blanking what
// it used so that the next pass does not read it again: the email and the
// phone number first (their digits are no date or time), then dates, then
// times and parts of the day. The name is read from the text as typed.
#include "core/chat/offline_booking.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

#include <nlohmann/json.hpp>

#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/common/text.hpp"

namespace omni::chat {
namespace {

using nlohmann::json;
using std::chrono::year_month_day;

constexpr int kNoon = 12 * 60;
constexpr std::size_t kMaxParsedBytes = 1000;

// Typographic apostrophes made plain ("women’s"), before anything else
// reads the text.
std::string PlainQuotes(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xE2 && i + 2 < text.size() &&
        static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(text[i + 2]) == 0x98 || static_cast<unsigned char>(text[i + 2]) == 0x99)) {
      out += '\'';
      i += 2;
      continue;
    }
    out += text[i];
  }
  return out;
}

// ASCII lower case; the same length as its input, so positions carry over.
std::string Normalize(const std::string& text) {
  std::string out = text;
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void Blank(std::string& text, std::size_t position, std::size_t length) {
  for (std::size_t i = position; i < position + length && i < text.size(); ++i) text[i] = ' ';
}

// --- services -------------------------------------------------------------

// Words of a text for matching names: letters and digits, apostrophes
// dropped ("women's" is "womens"), a final "s" dropped from words over three
// letters ("haircuts", "womens").
std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (word.size() > 3 && word.back() == 's' && word[word.size() - 2] != 's') word.pop_back();
    if (!word.empty()) words.push_back(word);
    word.clear();
  };
  for (char c : Normalize(PlainQuotes(text))) {
    if (c == '\'') continue;
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word += c;
    } else {
      flush();
    }
  }
  flush();
  return words;
}

bool IsFiller(const std::string& word) {
  static const std::array<const char*, 8> kFillers = {"and", "the", "a", "of", "with", "for", "to", "in"};
  return std::find_if(kFillers.begin(), kFillers.end(), [&](const char* f) { return word == f; }) != kFillers.end();
}

// Two typos only in long words: "something" is two edits from "smoothing".
int AllowedTypos(std::size_t length) { return length >= 10 ? 2 : length >= 4 ? 1 : 0; }

bool WordMatches(const std::string& said, const std::string& name_word) {
  if (said == name_word) return true;
  const int allowed = AllowedTypos(name_word.size());
  return allowed > 0 && EditDistance(said, name_word) <= allowed;
}

struct ServiceMatch {
  std::string service;
  std::vector<std::string> services;
};

// See ParseBookingMessage. `loose`: the customer is picking among a few
// services just offered, so any word of three letters or more picks.
ServiceMatch MatchServices(const std::string& text, const std::vector<ServiceNames>& services, bool loose) {
  auto said = Words(text);
  // "hair cut", "blow out": a name word may be written as two.
  const std::size_t single = said.size();
  for (std::size_t i = 0; i + 1 < single; ++i) said.push_back(said[i] + said[i + 1]);
  struct Score {
    std::size_t matched = 0;
    std::size_t words = 0;
    std::vector<std::string> matched_words;
  };
  // A service scores as the best of its name and aliases.
  const auto score_of = [&](const std::string& name) {
    Score score;
    for (const auto& word : Words(name)) {
      if (IsFiller(word)) continue;
      ++score.words;
      if (std::any_of(said.begin(), said.end(), [&](const std::string& s) { return WordMatches(s, word); })) {
        ++score.matched;
        score.matched_words.push_back(word);
      }
    }
    return score;
  };
  const auto better = [](const Score& a, const Score& b) {
    const bool a_full = a.words > 0 && a.matched == a.words;
    const bool b_full = b.words > 0 && b.matched == b.words;
    if (a_full != b_full) return a_full;
    return a_full ? a.words > b.words : a.matched > b.matched;
  };
  std::vector<Score> scores;
  for (const auto& service : services) {
    Score best = score_of(service.name);
    for (const auto& alias : service.aliases) {
      Score score = score_of(alias);
      if (better(score, best)) best = std::move(score);
    }
    scores.push_back(std::move(best));
  }
  ServiceMatch match;
  // Whole names first, the longest winning ("women's haircut" over "haircut").
  std::size_t best_full = 0;
  for (const auto& score : scores) {
    if (score.words > 0 && score.matched == score.words) best_full = std::max(best_full, score.words);
  }
  if (best_full > 0) {
    for (std::size_t i = 0; i < services.size(); ++i) {
      if (scores[i].words == best_full && scores[i].matched == best_full) match.services.push_back(services[i].name);
    }
  } else {
    const std::size_t min_length = loose ? 3 : 5;
    std::size_t best = 0;
    for (std::size_t i = 0; i < services.size(); ++i) {
      std::size_t strong = 0;
      for (const auto& word : scores[i].matched_words) strong += word.size() >= min_length;
      if (strong > best) {
        best = strong;
        match.services.clear();
      }
      if (strong > 0 && strong == best) match.services.push_back(services[i].name);
    }
  }
  if (match.services.size() == 1) {
    match.service = match.services.front();
    match.services.clear();
  }
  return match;
}

// --- dates ----------------------------------------------------------------

const char* kMonthPattern =
    "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    "oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?";
const char* kDayPattern = "(\\d{1,2})(?:st|nd|rd|th)?";

unsigned MonthOf(const std::string& name) {
  static const std::array<const char*, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};
  for (unsigned i = 0; i < 12; ++i) {
    if (name.compare(0, 3, kMonths[i]) == 0) return i + 1;
  }
  return 0;
}

std::chrono::sys_days Days(year_month_day day) { return std::chrono::sys_days{day}; }

// The first `month`/`day` on or after today; nullopt when no year has it
// soon (February 30).
std::optional<year_month_day> NextDate(unsigned month, unsigned day, year_month_day today) {
  for (int add = 0; add <= 4; ++add) {
    const year_month_day candidate{today.year() + std::chrono::years{add}, std::chrono::month{month},
                                   std::chrono::day{day}};
    if (candidate.ok() && Days(candidate) >= Days(today)) return candidate;
  }
  return std::nullopt;
}

int WeekdayOf(const std::string& name) {  // 0 Sunday .. 6 Saturday
  static const std::array<const char*, 7> kDays = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  for (int i = 0; i < 7; ++i) {
    if (name.compare(0, 3, kDays[i]) == 0) return i;
  }
  return -1;
}

year_month_day Plus(year_month_day day, int days) { return year_month_day{Days(day) + std::chrono::days{days}}; }

// Reads the first date in `text` and blanks it.
std::optional<year_month_day> TakeDate(std::string& text, const ParseContext& context, bool ordinals_are_dates) {
  const auto today = context.today;
  std::smatch m;
  auto take = [&](const std::regex& pattern) {
    if (!std::regex_search(text, m, pattern)) return false;
    return true;
  };
  auto done = [&](std::optional<year_month_day> day) {
    Blank(text, static_cast<std::size_t>(m.position(0)), static_cast<std::size_t>(m.length(0)));
    return day;
  };
  static const std::regex iso(R"(\b(\d{4})-(\d{2})-(\d{2})\b)");
  if (take(iso)) {
    const year_month_day day{std::chrono::year{std::stoi(m[1])}, std::chrono::month{unsigned(std::stoi(m[2]))},
                             std::chrono::day{unsigned(std::stoi(m[3]))}};
    return done(day.ok() ? std::optional(day) : std::nullopt);
  }
  static const std::regex relative(R"(\b(day after tomorrow|today|tonight|tomorrow|tmrw|tmr|tomorow|tommorow)\b)");
  if (take(relative)) {
    const std::string word = m[1];
    return done(Plus(today, word == "day after tomorrow" ? 2 : word == "today" || word == "tonight" ? 0 : 1));
  }
  static const std::regex month_day(std::string("\\b") + kMonthPattern + "\\s+(?:the\\s+)?" + kDayPattern +
                                    "(?:,?\\s+(\\d{4}))?\\b");
  static const std::regex day_month(std::string("\\b(?:the\\s+)?") + kDayPattern + "\\s+(?:of\\s+)?" +
                                    kMonthPattern + "(?:,?\\s+(\\d{4}))?");
  for (const auto* pattern : {&month_day, &day_month}) {
    if (!take(*pattern)) continue;
    const bool month_first = pattern == &month_day;
    const unsigned month = MonthOf(m[month_first ? 1 : 2]);
    const unsigned day = unsigned(std::stoi(m[month_first ? 2 : 1]));
    if (m[3].matched) {
      const year_month_day exact{std::chrono::year{std::stoi(m[3])}, std::chrono::month{month}, std::chrono::day{day}};
      return done(exact.ok() ? std::optional(exact) : std::nullopt);
    }
    return done(NextDate(month, day, today));
  }
  static const std::regex numeric(R"(\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b)");
  if (take(numeric)) {
    unsigned first = unsigned(std::stoi(m[1]));
    unsigned second = unsigned(std::stoi(m[2]));
    const unsigned month = context.date_order == DateOrder::kMonthFirst ? first : second;
    const unsigned day = context.date_order == DateOrder::kMonthFirst ? second : first;
    if (m[3].matched) {
      int year = std::stoi(m[3]);
      if (year < 100) year += 2000;
      const year_month_day exact{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
      return done(exact.ok() ? std::optional(exact) : std::nullopt);
    }
    return done(NextDate(month, day, today));
  }
  static const std::regex weekday(
      R"(\b(?:(next|this|coming)\s+)?(monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun)s?\b)");
  if (take(weekday)) {
    const int want = WeekdayOf(m[2]);
    const int now = static_cast<int>(std::chrono::weekday{Days(today)}.c_encoding());
    int ahead = (want - now + 7) % 7;
    if (ahead == 0 && m[1].matched && m[1] == "next") ahead = 7;
    return done(Plus(today, ahead));
  }
  if (ordinals_are_dates) {
    static const std::regex ordinal(R"(\b(?:the\s+)(\d{1,2})(?:st|nd|rd|th)\b|\b(\d{1,2})(?:st|nd|rd|th)\b)");
    if (take(ordinal)) {
      const unsigned day = unsigned(std::stoi(m[1].matched ? m[1] : m[2]));
      std::optional<year_month_day> found;
      for (int add = 0; add < 3 && !found; ++add) {
        auto first = year_month_day{today.year(), today.month(), std::chrono::day{1}};
        const auto shifted = std::chrono::year_month{first.year(), first.month()} + std::chrono::months{add};
        const year_month_day candidate{shifted.year(), shifted.month(), std::chrono::day{day}};
        if (candidate.ok() && Days(candidate) >= Days(today)) found = candidate;
      }
      return done(found);
    }
  }
  return std::nullopt;
}

// --- times ----------------------------------------------------------------

int NumberWord(const std::string& word) {
  static const std::array<const char*, 13> kWords = {"zero", "one", "two",   "three", "four",   "five",  "six",
                                                     "seven", "eight", "nine", "ten", "eleven", "twelve"};
  for (int i = 0; i < 13; ++i) {
    if (word == kWords[i]) return i;
  }
  return -1;
}

// An hour said without am or pm: business hours decide.
int BareHour(int hour) { return hour >= 1 && hour <= 7 ? hour + 12 : hour; }

const char* kHourPattern = "(\\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)";
const char* kMeridiemPattern = "\\s*(a\\.?m\\.?|p\\.?m\\.?|o'?clock)?(?![a-z0-9])";

int HourValue(const std::string& text) {
  const int word = NumberWord(text);
  return word >= 0 ? word : std::stoi(text);
}

// Minutes of "H[:MM] [am|pm]" from a match's hour, minute and meridiem
// groups; nullopt when out of range. `bare`: no minutes, no meridiem.
std::optional<int> ClockValue(const std::string& hour_text, const std::string& minute_text,
                              const std::string& meridiem, bool* bare = nullptr) {
  int hour = HourValue(hour_text);
  const int minute = minute_text.empty() ? 0 : std::stoi(minute_text);
  if (hour > 23 || minute > 59) return std::nullopt;
  const bool am = !meridiem.empty() && meridiem[0] == 'a';
  const bool pm = !meridiem.empty() && meridiem[0] == 'p';
  if (bare != nullptr) *bare = minute_text.empty() && meridiem.empty();
  if (am || pm) {
    if (hour == 0 || hour > 12) return std::nullopt;
    hour = hour % 12 + (pm ? 12 : 0);
  } else if (hour <= 12) {
    hour = BareHour(hour);
  }
  return hour * 60 + minute;
}

// A time at the start of `text` (after spaces): its minutes and length.
struct ClockMatch {
  int minutes = 0;
  std::size_t length = 0;
  bool bare = false;  // a plain number, a time only where a time is expected
};
std::optional<ClockMatch> ClockAt(const std::string& text) {
  std::smatch m;
  static const std::regex noon(R"(^\s*(noon|midday|12\s*noon)\b)");
  if (std::regex_search(text, m, noon)) return ClockMatch{kNoon, static_cast<std::size_t>(m.length(0)), false};
  static const std::regex words(std::string(R"(^\s*(half|quarter)\s+(past|after|to)\s+)") + kHourPattern +
                                "(?![a-z0-9])");
  if (std::regex_search(text, m, words)) {
    const int hour = BareHour(HourValue(m[3]));
    int minutes = hour * 60 + (m[1] == "half" ? 30 : 15);
    if (m[2] == "to") minutes = hour * 60 - 15;
    return ClockMatch{minutes, static_cast<std::size_t>(m.length(0)), false};
  }
  static const std::regex clock(std::string("^\\s*") + kHourPattern + "(?:[:.](\\d{2}))?" + kMeridiemPattern);
  if (std::regex_search(text, m, clock)) {
    bool bare = false;
    const std::string meridiem = m[3].matched ? std::string(m[3]) : "";
    const auto minutes = ClockValue(m[1], m[2].matched ? std::string(m[2]) : "",
                                    meridiem.find("clock") != std::string::npos ? "" : meridiem, &bare);
    if (!minutes) return std::nullopt;
    if (meridiem.find("clock") != std::string::npos) bare = false;
    // "2 people", "10 minutes": a bare number followed by a word is no time.
    return ClockMatch{*minutes, static_cast<std::size_t>(m.length(0)), bare};
  }
  return std::nullopt;
}

struct Times {
  std::optional<int> time;
  std::optional<TimeRange> range;
};

// Reads the first time or part of the day in `text` and blanks it.
Times TakeTimes(std::string& text, bool time_expected) {
  Times found;
  static const std::regex between(R"(\bbetween\s+)");
  static const std::regex edge(R"(\b(after|later than|from|before|earlier than|no later than)\s+)");
  static const std::regex at(R"((?:\b(?:at|around|about|for|make it|say|(?:move|change|push)(?: it| that)? to)|@)\s*)");
  static const std::regex part(R"(\b(morning|afternoon|evening|tonight|after work|lunch ?time|midday)\b)");
  std::smatch m;
  if (std::regex_search(text, m, between)) {
    const std::size_t start = static_cast<std::size_t>(m.position(0));
    const std::size_t after = start + static_cast<std::size_t>(m.length(0));
    const std::string rest = text.substr(after);
    if (const auto first = ClockAt(rest)) {
      std::smatch and_match;
      const std::string tail = rest.substr(first->length);
      static const std::regex and_word(R"(^\s*(?:and|to|-)\s*)");
      if (std::regex_search(tail, and_match, and_word)) {
        const std::string last_text = tail.substr(static_cast<std::size_t>(and_match.length(0)));
        if (const auto last = ClockAt(last_text)) {
          found.range = TimeRange{first->minutes, last->minutes};
          Blank(text, start, m.length(0) + first->length + and_match.length(0) + last->length);
          return found;
        }
      }
    }
  }
  for (auto it = std::sregex_iterator(text.begin(), text.end(), edge); it != std::sregex_iterator(); ++it) {
    const auto& e = *it;
    const std::size_t start = static_cast<std::size_t>(e.position(0));
    const std::size_t after = start + static_cast<std::size_t>(e.length(0));
    const auto clock = ClockAt(text.substr(after));
    if (!clock) continue;
    const std::string word = e[1];
    const bool lower_bound = word == "after" || word == "later than" || word == "from";
    found.range = lower_bound ? TimeRange{clock->minutes, 24 * 60} : TimeRange{0, clock->minutes};
    Blank(text, start, e.length(0) + clock->length);
    return found;
  }
  for (auto it = std::sregex_iterator(text.begin(), text.end(), at); it != std::sregex_iterator(); ++it) {
    const auto& e = *it;
    const std::size_t start = static_cast<std::size_t>(e.position(0));
    const std::size_t after = start + static_cast<std::size_t>(e.length(0));
    const auto clock = ClockAt(text.substr(after));
    if (!clock) continue;
    found.time = clock->minutes;
    Blank(text, start, e.length(0) + clock->length);
    return found;
  }
  // A time anywhere with its own marks ("10am", "10:30", "half past two").
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && std::isalnum(static_cast<unsigned char>(text[i - 1]))) continue;
    if (!std::isalnum(static_cast<unsigned char>(text[i]))) continue;
    const auto clock = ClockAt(text.substr(i));
    if (!clock || clock->bare) continue;
    found.time = clock->minutes;
    Blank(text, i, clock->length);
    return found;
  }
  if (std::regex_search(text, m, part)) {
    const std::string word = m[1];
    if (word == "morning") found.range = TimeRange{0, kNoon};
    if (word == "afternoon") found.range = TimeRange{kNoon, 17 * 60};
    if (word == "evening" || word == "tonight" || word == "after work") found.range = TimeRange{17 * 60, 24 * 60};
    if (word.rfind("lunch", 0) == 0 || word == "midday") found.range = TimeRange{11 * 60 + 30, 14 * 60};
    Blank(text, static_cast<std::size_t>(m.position(0)), static_cast<std::size_t>(m.length(0)));
    return found;
  }
  if (time_expected) {
    // The answer to "which time?": just "10" or "ten".
    static const std::regex alone(std::string(R"(^[\s,.!]*(?:ok|okay|let's do|lets do|make it|how about)?\s*)") +
                                  kHourPattern + R"((?:[:.](\d{2}))?\s*(?:please)?[\s,.!?]*$)");
    if (std::regex_search(text, m, alone)) {
      if (const auto minutes = ClockValue(m[1], m[2].matched ? std::string(m[2]) : "", "")) {
        found.time = *minutes;
        Blank(text, 0, text.size());
      }
    }
  }
  return found;
}

// --- the rest ---------------------------------------------------------------

BookingIntent IntentOf(const std::string& text) {
  static const std::regex cancel(
      R"(\b(cancel\w*|call off|can'?t make it|cannot make it|won'?t make it|can'?t come|not coming)\b)");
  static const std::regex reschedule(
      R"(\b(re-?schedul\w*|re-?book\w*|move (my|it|the|our|this|that)|change (my|the|it|our) (appointment|booking|time|date|day)|change (it|the time|the date|the day) to|push (it|my|the) back|postpone\w*|different (time|day|date))\b)");
  static const std::regex book(
      R"(\b(book\w*|appointments?|appt|schedule|reserve|reservation|come in|availab\w*|any (time|slot|opening)s?|free (slot|time|spot)s?|openings?|slots?)\b)");
  if (std::regex_search(text, cancel)) return BookingIntent::kCancel;
  if (std::regex_search(text, reschedule)) return BookingIntent::kReschedule;
  if (std::regex_search(text, book)) return BookingIntent::kBook;
  return BookingIntent::kNone;
}

// "I'd like a ...", "can I get a ...": booking, when a service follows; on
// its own ("can I get a refund?") it is not.
bool AsksForSomething(const std::string& text) {
  static const std::regex asks(
      R"(\b(get (a|an|my|me)|i'?d like|i would like|i want|i need|can i (get|have)|could i (get|have)|looking for|do you have)\b)");
  return std::regex_search(text, asks);
}

std::optional<bool> YesNo(const std::string& text) {
  static const std::regex yes(
      R"(^[\s"']*(yes|yeah|yea|yep|yup|ya|sure|ok|okay|k|correct|confirm\w*|right|please( do)?|go ahead|sounds good|perfect|great|absolutely|definitely|of course|that works|works for me|do it|book it|y)\b)");
  static const std::regex no(
      R"(^[\s"']*(no|nope|nah|not (quite|really|right)|wrong|don'?t|do not|n)\b)");
  if (std::regex_search(text, no)) return false;
  if (std::regex_search(text, yes)) return true;
  return std::nullopt;
}

std::optional<int> ChoiceOf(const std::string& text, bool bare_numbers) {
  static const std::regex ordinal(
      R"(\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last)\b|\boption\s*#?\s*(\d)\b|\bnumber\s*(\d)\b|#(\d)\b)");
  std::smatch m;
  if (std::regex_search(text, m, ordinal)) {
    if (!m[1].matched) return std::stoi(m[2].matched ? m[2] : m[3].matched ? m[3] : m[4]);
    const std::string word = m[1];
    if (word == "last") return -1;
    static const std::array<const char*, 6> kWords = {"first", "second", "third", "fourth", "fifth", "sixth"};
    for (int i = 0; i < 6; ++i) {
      if (word == kWords[i] || word[0] == char('1' + i)) return i + 1;
    }
  }
  static const std::regex alone(R"(^[\s(]*([1-9])[\s).!]*$)");
  if (bare_numbers && std::regex_search(text, m, alone)) return std::stoi(m[1]);
  return std::nullopt;
}

bool IsNameWord(const std::string& word) {
  if (word.empty() || !std::isalpha(static_cast<unsigned char>(word[0]))) return false;
  for (unsigned char c : word) {
    if (!std::isalpha(c) && c != '\'' && c != '-' && c != '.' && c < 0x80) return false;
  }
  return true;
}

// Words that end a name: "I'm Maria and my email is ...".
bool EndsName(const std::string& lower) {
  static const std::array<const char*, 12> kEnds = {"and", "my", "email", "phone", "number", "at",
                                                    "on", "for", "please", "thanks", "thank", "here"};
  return std::find_if(kEnds.begin(), kEnds.end(), [&](const char* e) { return lower == e; }) != kEnds.end();
}

std::string NameOf(const std::string& original, bool expected) {
  // The text as typed, cut into words at spaces and punctuation that ends a name.
  std::vector<std::string> words;
  std::string word;
  for (char c : original + " ") {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == ';' || c == '!' || c == '?' || c == ':') {
      if (!word.empty()) words.push_back(word);
      word.clear();
      if (c != ' ' && c != '\t' && c != '\n' && !words.empty()) words.push_back(std::string(1, c));
    } else {
      word += c;
    }
  }
  auto lower = [](const std::string& w) { return Normalize(w); };
  auto collect = [&](std::size_t from, bool need_capital) {
    std::string name;
    for (std::size_t i = from; i < words.size() && i < from + 4; ++i) {
      std::string w = words[i];
      while (!w.empty() && w.back() == '.') w.pop_back();
      if (!IsNameWord(w) || EndsName(lower(w))) break;
      if (need_capital && !std::isupper(static_cast<unsigned char>(w[0]))) break;
      name += (name.empty() ? "" : " ") + w;
      if (words[i].back() == '.') break;
    }
    return name;
  };
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string w = lower(words[i]);
    const std::string next = i + 1 < words.size() ? lower(words[i + 1]) : "";
    if ((w == "name" && (next == "is" || next == "'s")) || w == "name's") {
      const std::size_t from = i + (w == "name's" ? 1 : 2);
      if (auto name = collect(from, false); !name.empty()) return name;
    }
    if (w == "name" && next == ":") {
      if (auto name = collect(i + 2, false); !name.empty()) return name;
    }
    // "I'm Maria", "this is Maria": only a capitalised name, since "I'm
    // free on Friday" names nobody.
    const bool intro = w == "i'm" || w == "im" || w == "it's" || ((w == "i" && next == "am") || (w == "this" && next == "is")) ||
                       (w == "call" && next == "me");
    if (intro) {
      const std::size_t from = i + (w == "i'm" || w == "im" || w == "it's" ? 1 : 2);
      if (auto name = collect(from, !expected); !name.empty()) return name;
    }
  }
  if (!expected) return "";
  // The answer to "may I have your name?": the whole message, if it is one
  // (not a question, not a word of conversation).
  static const std::array<const char*, 22> kNotNames = {
      "what", "why",   "how",  "who",   "when",  "where", "hmm",  "hm",   "huh",  "ok",    "okay",
      "hi",   "hello", "hey",  "thanks", "thank", "sorry", "sure", "wait", "yes",  "no",    "please"};
  if (original.find('?') != std::string::npos) return "";
  for (const auto& w : words) {
    const std::string l = lower(w);
    if (std::find_if(kNotNames.begin(), kNotNames.end(), [&](const char* n) { return l == n; }) != kNotNames.end()) {
      return "";
    }
  }
  std::size_t count = 0;
  for (const auto& w : words) count += IsNameWord(w);
  if (count == 0 || count > 4) return "";
  std::string name;
  for (const auto& w : words) {
    if (w.size() == 1 && std::ispunct(static_cast<unsigned char>(w[0]))) continue;
    if (!IsNameWord(w)) return "";
    name += (name.empty() ? "" : " ") + w;
  }
  return name;
}

}  // namespace

const char* IntentName(BookingIntent intent) {
  switch (intent) {
    case BookingIntent::kBook:
      return "book";
    case BookingIntent::kReschedule:
      return "reschedule";
    case BookingIntent::kCancel:
      return "cancel";
    default:
      return "none";
  }
}

DateOrder DateOrderFor(const std::string& time_zone) {
  static const std::array<const char*, 16> kUnitedStates = {
      "America/New_York", "America/Chicago",  "America/Denver",  "America/Phoenix",
      "America/Los_Angeles", "America/Anchorage", "America/Detroit", "America/Boise",
      "America/Juneau",   "America/Sitka",    "America/Adak",    "America/Nome",
      "America/Menominee", "America/Metlakatla", "America/Yakutat", "Pacific/Honolulu"};
  for (const auto* zone : kUnitedStates) {
    if (time_zone == zone) return DateOrder::kMonthFirst;
  }
  for (const auto* prefix : {"America/Indiana/", "America/Kentucky/", "America/North_Dakota/", "US/"}) {
    if (time_zone.rfind(prefix, 0) == 0) return DateOrder::kMonthFirst;
  }
  if (time_zone == "Asia/Manila") return DateOrder::kMonthFirst;
  return DateOrder::kDayFirst;
}

int EditDistance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

BookingSlots ParseBookingMessage(const std::string& message, const ParseContext& context) {
  BookingSlots slots;
  // std::regex recurses once per character it repeats over, so a long
  // message could exhaust the stack; what a booking needs is said early.
  std::size_t keep = std::min(message.size(), kMaxParsedBytes);
  while (keep < message.size() && keep > 0 && (static_cast<unsigned char>(message[keep]) & 0xC0) == 0x80) --keep;
  const std::string original = message.substr(0, keep);
  std::string typed = PlainQuotes(original);  // for the name and email as typed, with what was read blanked
  std::string text = Normalize(typed);
  std::smatch m;

  static const std::regex email(R"([a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})");
  if (std::regex_search(text, m, email)) {
    slots.email = typed.substr(static_cast<std::size_t>(m.position(0)), static_cast<std::size_t>(m.length(0)));
    Blank(text, m.position(0), m.length(0));
    Blank(typed, m.position(0), m.length(0));
  }
  // An ISO date first: its digits would otherwise read as a phone number.
  std::optional<year_month_day> iso_date;
  static const std::regex iso(R"(\b\d{4}-\d{2}-\d{2}\b)");
  const bool has_iso = std::regex_search(text, iso);
  static const std::regex phone(R"((\+?\(?\d[\d\s().-]{5,}\d))");
  if (!has_iso && std::regex_search(text, m, phone) && Digits(m.str(1)).size() >= 7) {
    slots.phone = Trim(typed.substr(static_cast<std::size_t>(m.position(1)), static_cast<std::size_t>(m.length(1))));
    Blank(text, m.position(1), m.length(1));
    Blank(typed, m.position(1), m.length(1));
  }

  const bool picking = context.awaiting == Awaiting::kTime || context.awaiting == Awaiting::kService ||
                       context.awaiting == Awaiting::kAppointment;
  if (picking) slots.choice = ChoiceOf(text, context.awaiting != Awaiting::kTime);
  if (slots.choice) {
    static const std::regex ordinal(R"(\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last)\b)");
    text = std::regex_replace(text, ordinal, "      ");
  }

  static const std::regex stop(R"(\b(never ?mind|forget (it|about it)|start over|don'?t bother)\b)");
  slots.intent = IntentOf(text);
  // "never mind, cancel my appointment" is a new request, not a stop.
  slots.stop = slots.intent == BookingIntent::kNone && std::regex_search(text, stop);
  slots.yes = YesNo(text);

  // "move it from Tuesday at 10 to Thursday at 3": the first half names
  // the appointment, the second the new time.
  static const std::regex to_word(R"(\s(to|until|till)\s)");
  if (slots.intent == BookingIntent::kReschedule) {
    std::size_t split = std::string::npos;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), to_word); it != std::sregex_iterator(); ++it) {
      split = static_cast<std::size_t>(it->position(0));
    }
    if (split != std::string::npos) {
      std::string head = text.substr(0, split);
      std::string tail = text.substr(split);
      std::string head_probe = head;
      auto from_date = TakeDate(head_probe, context, true);
      auto from_times = TakeTimes(head_probe, false);
      std::string tail_probe = tail;
      auto to_date = TakeDate(tail_probe, context, true);
      auto to_times = TakeTimes(tail_probe, false);
      if ((from_date || from_times.time) && (to_date || to_times.time || to_times.range)) {
        slots.from_date = from_date;
        slots.from_time_min = from_times.time;
        text = std::string(head.size(), ' ') + tail;
      }
    }
  }

  slots.date = TakeDate(text, context, !slots.choice);
  const auto times = TakeTimes(text, context.awaiting == Awaiting::kTime);
  slots.time_min = times.time;
  slots.range = times.range;

  const auto services = MatchServices(text, context.services, context.awaiting == Awaiting::kService);
  slots.service = services.service;
  slots.services = services.services;
  if (slots.intent == BookingIntent::kNone && (!slots.service.empty() || !slots.services.empty()) &&
      AsksForSomething(text)) {
    slots.intent = BookingIntent::kBook;
  }

  const bool name_expected = context.awaiting == Awaiting::kName && slots.intent == BookingIntent::kNone &&
                             !slots.yes && !slots.stop && slots.service.empty() && slots.services.empty() &&
                             !slots.date && !slots.time_min && !slots.range;
  slots.name = NameOf(typed, name_expected);
  return slots;
}

DialogueState MergeSlots(DialogueState state, const BookingSlots& slots) {
  if (slots.stop) {
    DialogueState fresh;
    fresh.name = state.name;
    fresh.email = state.email;
    fresh.phone = state.phone;
    return fresh;
  }
  // Words of booking while a reschedule asks for its new time ("any
  // openings after 5?") continue the reschedule.
  const bool continues = slots.intent == BookingIntent::kBook && state.intent == BookingIntent::kReschedule;
  if (slots.intent != BookingIntent::kNone && slots.intent != state.intent && !continues) {
    DialogueState fresh;
    fresh.intent = slots.intent;
    fresh.name = state.name;
    fresh.email = state.email;
    fresh.phone = state.phone;
    state = std::move(fresh);
  }
  if (state.intent == BookingIntent::kNone && !slots.service.empty() && (slots.date || slots.time_min || slots.range)) {
    state.intent = BookingIntent::kBook;
  }
  if (slots.choice) {
    const auto pick = [&](const std::vector<std::string>& list) -> std::optional<std::string> {
      if (list.empty()) return std::nullopt;
      const int index = *slots.choice == -1 ? static_cast<int>(list.size()) : *slots.choice;
      if (index < 1 || index > static_cast<int>(list.size())) return std::nullopt;
      return list[static_cast<std::size_t>(index - 1)];
    };
    if (state.awaiting == Awaiting::kService) {
      if (auto service = pick(state.service_choices)) {
        state.service = *service;
        state.service_choices.clear();
      }
    } else if (state.awaiting == Awaiting::kAppointment) {
      if (auto id = pick(state.appointment_choices)) {
        state.appointment_id = *id;
        state.appointment_choices.clear();
      }
    } else if (auto start = pick(state.offered)) {
      state.date = booking::ParseDate(start->substr(0, 10), "offered start");
      state.time_min = business::ParseClockTime(start->substr(11, 5), "offered start");
      state.range.reset();
      state.offered.clear();
    }
  }
  if (!slots.service.empty() && slots.service != state.service) {
    state.service = slots.service;
    state.service_choices.clear();
    state.offered.clear();
  } else if (!slots.services.empty() && slots.service.empty()) {
    state.service_choices = slots.services;
  }
  if (slots.date) {
    state.date = slots.date;
    state.offered.clear();
  }
  if (slots.time_min) {
    // "10:30" after several days were offered: the day that had 10:30.
    if (!slots.date && !state.offered.empty()) {
      const std::string clock = business::FormatClockTime(*slots.time_min);
      std::vector<std::string> same;
      for (const auto& start : state.offered) {
        if (start.substr(11, 5) == clock) same.push_back(start);
      }
      if (same.size() == 1) state.date = booking::ParseDate(same[0].substr(0, 10), "offered start");
    }
    state.time_min = slots.time_min;
    state.range.reset();
    state.offered.clear();
  }
  if (slots.range) {
    state.range = slots.range;
    state.time_min.reset();
    state.offered.clear();
  }
  if (!slots.name.empty()) state.name = slots.name;
  if (!slots.email.empty()) state.email = slots.email;
  if (!slots.phone.empty()) state.phone = slots.phone;
  return state;
}

std::string StateToJson(const DialogueState& state) {
  json out = {{"intent", IntentName(state.intent)}, {"awaiting", static_cast<int>(state.awaiting)}};
  if (!state.service.empty()) out["service"] = state.service;
  if (!state.service_choices.empty()) out["service_choices"] = state.service_choices;
  if (state.date) out["date"] = booking::FormatDate(*state.date);
  if (state.time_min) out["time"] = business::FormatClockTime(*state.time_min);
  if (state.range) out["range"] = {state.range->from_min, state.range->to_min};
  if (!state.name.empty()) out["name"] = state.name;
  if (!state.email.empty()) out["email"] = state.email;
  if (!state.phone.empty()) out["phone"] = state.phone;
  if (!state.appointment_id.empty()) out["appointment_id"] = state.appointment_id;
  if (!state.appointment_choices.empty()) out["appointment_choices"] = state.appointment_choices;
  if (!state.offered.empty()) out["offered"] = state.offered;
  return out.dump();
}

std::optional<DialogueState> StateFromJson(const std::string& text) {
  const json in = json::parse(text, nullptr, false);
  if (!in.is_object() || !in.contains("intent") || !in["intent"].is_string()) return std::nullopt;
  try {
    DialogueState state;
    const std::string intent = in["intent"];
    for (auto candidate : {BookingIntent::kNone, BookingIntent::kBook, BookingIntent::kReschedule,
                           BookingIntent::kCancel}) {
      if (intent == IntentName(candidate)) state.intent = candidate;
    }
    const int awaiting = in.value("awaiting", 0);
    if (awaiting >= 0 && awaiting <= static_cast<int>(Awaiting::kAppointment)) state.awaiting = Awaiting(awaiting);
    state.service = in.value("service", "");
    state.service_choices = in.value("service_choices", std::vector<std::string>{});
    if (in.contains("date")) state.date = booking::ParseDate(in["date"].get<std::string>(), "date");
    if (in.contains("time")) state.time_min = business::ParseClockTime(in["time"].get<std::string>(), "time");
    if (in.contains("range")) state.range = TimeRange{in["range"].at(0).get<int>(), in["range"].at(1).get<int>()};
    state.name = in.value("name", "");
    state.email = in.value("email", "");
    state.phone = in.value("phone", "");
    state.appointment_id = in.value("appointment_id", "");
    state.appointment_choices = in.value("appointment_choices", std::vector<std::string>{});
    state.offered = in.value("offered", std::vector<std::string>{});
    return state;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string FormatDay(year_month_day day) {
  static const std::array<const char*, 7> kWeekdays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
  static const std::array<const char*, 12> kMonths = {"January", "February", "March",     "April",
                                                      "May",     "June",     "July",      "August",
                                                      "September", "October", "November", "December"};
  const auto weekday = std::chrono::weekday{Days(day)}.c_encoding();
  return std::string(kWeekdays[weekday]) + ", " + kMonths[static_cast<unsigned>(day.month()) - 1] + " " +
         std::to_string(static_cast<unsigned>(day.day()));
}

std::string FormatClock(int minutes, DateOrder order) {
  if (order == DateOrder::kDayFirst) return business::FormatClockTime(minutes);
  const int hour = minutes / 60 % 24;
  char text[16];
  std::snprintf(text, sizeof text, "%d:%02d %s", hour % 12 == 0 ? 12 : hour % 12, minutes % 60, hour < 12 ? "AM" : "PM");
  return text;
}

}  // namespace omni::chat
