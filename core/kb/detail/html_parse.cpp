// The nesting estimate, and gumbo run on a counted allocator with a budget.
#include "core/kb/detail/html_parse.hpp"

#include <time.h>

#include <csetjmp>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/common/error.hpp"

namespace omni::kb::detail {
namespace {

constexpr const char* kComplexHint =
    "Simplify the page's markup, or save its text as a .txt file and ingest that.";

// ---- Depth estimate ---------------------------------------------------------

enum NameFlag : unsigned {
  kVoid = 1 << 0,           // never open: <br>, <img>...
  kIgnored = 1 << 1,        // html, head, body: merged into the one root
  kRawText = 1 << 2,        // content is text up to the matching end tag
  kPlaintext = 1 << 3,      // the rest of the document is text
  kForeign = 1 << 4,        // svg, math: "/>" closes, no raw text
  kSpecial = 1 << 5,        // the HTML5 "special" category
  kScope = 1 << 6,          // bounds "has an element in scope"
  kListScope = 1 << 7,      // also bounds list item scope
  kButtonScope = 1 << 8,    // also bounds button scope
  kTableScope = 1 << 9,     // bounds table scope
  kTableEnd = 1 << 10,      // its end tag looks in table scope
  kClosesP = 1 << 11,       // its start tag closes an open <p>
  kTablePart = 1 << 12,     // ignored outside a table
};

unsigned Classify(std::string_view name) {
  static const std::unordered_map<std::string_view, unsigned> kFlags = [] {
    std::unordered_map<std::string_view, unsigned> flags;
    const auto add = [&](std::initializer_list<std::string_view> names, unsigned flag) {
      for (const auto item : names) flags[item] |= flag;
    };
    add({"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img", "input",
         "keygen", "link", "meta", "param", "source", "track", "wbr"},
        kVoid);
    add({"html", "head", "body"}, kIgnored);
    add({"script", "style", "xmp", "iframe", "noembed", "noframes", "title", "textarea"}, kRawText);
    add({"plaintext"}, kPlaintext);
    add({"svg", "math"}, kForeign);
    add({"address", "applet", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote", "body",
         "br", "button", "caption", "center", "col", "colgroup", "dd", "details", "dir", "div", "dl", "dt",
         "embed", "fieldset", "figcaption", "figure", "footer", "form", "frame", "frameset", "h1", "head",
         "header", "hgroup", "hr", "html", "iframe", "img", "input", "keygen", "li", "link", "listing", "main",
         "marquee", "menu", "meta", "nav", "noembed", "noframes", "noscript", "object", "ol", "p", "param",
         "plaintext", "pre", "script", "section", "select", "source", "style", "summary", "table", "tbody",
         "td", "template", "textarea", "tfoot", "th", "thead", "title", "tr", "track", "ul", "wbr", "xmp",
         "mi", "mo", "mn", "ms", "mtext", "annotation-xml", "foreignobject", "desc"},
        kSpecial);
    // A <select> ignores every end tag but its own: it bounds them all.
    add({"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "mi", "mo", "mn",
         "ms", "mtext", "annotation-xml", "foreignobject", "desc", "title", "select"},
        kScope | kListScope | kButtonScope);
    add({"ol", "ul"}, kListScope);
    add({"button"}, kButtonScope);
    add({"html", "table", "template"}, kTableScope);
    add({"table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption"}, kTableEnd);
    add({"caption", "colgroup", "tbody", "thead", "tfoot", "tr", "td", "th"}, kTablePart);
    add({"address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl",
         "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p",
         "section", "summary", "ul", "h1", "pre", "listing", "li", "dd", "dt", "xmp"},
        kClosesP);
    return flags;
  }();
  const auto found = kFlags.find(name);
  return found == kFlags.end() ? 0 : found->second;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Follows the HTML5 tokenizer closely enough that markup it hides (in
// comments, raw text, quoted values) is hidden here too, and the tree
// builder's nesting with a stack of open elements. Closing is only ever
// applied where the tree builder surely closes, so the estimate errs high
// rather than low. Each step is O(1) amortized: every entry knows the
// nearest entry at or below it that stops each kind of end tag.
class DepthEstimator {
 public:
  DepthEstimator(std::string_view html, std::size_t stop_above) : html_(html), stop_above_(stop_above) {
    p_ = Intern("p");
    li_ = Intern("li");
    dd_ = Intern("dd");
    dt_ = Intern("dt");
    heading_ = Intern("h1");
    option_ = Intern("option");
    optgroup_ = Intern("optgroup");
    td_ = Intern("td");
    th_ = Intern("th");
    tr_ = Intern("tr");
    tbody_ = Intern("tbody");
    thead_ = Intern("thead");
    tfoot_ = Intern("tfoot");
    a_ = Intern("a");
    nobr_ = Intern("nobr");
    button_ = Intern("button");
    table_ = Intern("table");
    template_ = Intern("template");
    select_ = Intern("select");
    div_ = Intern("div");
    address_ = Intern("address");
  }

  std::size_t Run() {
    const std::size_t n = html_.size();
    while (pos_ < n && max_depth_ <= stop_above_) {
      const std::size_t open = html_.find('<', pos_);
      if (open == std::string_view::npos || open + 1 >= n) break;
      pos_ = open + 1;
      const char c = html_[pos_];
      if (c == '!') {
        SkipMarkupDeclaration();
      } else if (c == '?') {
        SkipPast('>');
      } else if (c == '/') {
        if (pos_ + 1 < n && IsAsciiAlpha(html_[pos_ + 1])) {
          ++pos_;
          const std::string name = ReadName();
          bool self_closing = false;
          if (!SkipAttributes(self_closing)) break;  // a tag cut by the end is dropped
          EndTag(name);
        } else {
          SkipPast('>');
        }
      } else if (IsAsciiAlpha(c)) {
        const std::string name = ReadName();
        bool self_closing = false;
        if (!SkipAttributes(self_closing)) break;
        if (!StartTag(name, self_closing)) break;
      }
    }
    return max_depth_ > stop_above_ ? stop_above_ + 1 : max_depth_;
  }

 private:
  struct Entry {
    int id;
    // Index of the nearest entry at or below this one of each kind; -1: none.
    int special, scope, list_scope, button_scope, table_scope;
    int item_stop;  // what stops an <li>, <dd> or <dt> closing an open one: special but address, div, p
  };
  struct Name {
    unsigned flags;
    std::vector<int> positions;  // where it is open on the stack, lowest first
  };

  int Intern(std::string name) {
    if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') name = "h1";  // one family
    const auto [it, inserted] = ids_.try_emplace(std::move(name), static_cast<int>(names_.size()));
    if (inserted) names_.push_back({Classify(it->first), {}});
    return it->second;
  }

  void SkipPast(char c) {
    const std::size_t found = html_.find(c, pos_);
    pos_ = found == std::string_view::npos ? html_.size() : found + 1;
  }

  // At the '!' of "<!": a comment ends at "-->" or "--!>" ("<!-->" and
  // "<!--->" are empty comments); anything else at the next '>'.
  void SkipMarkupDeclaration() {
    const std::size_t n = html_.size();
    if (html_.substr(pos_, 3) != "!--") {
      SkipPast('>');
      return;
    }
    std::size_t i = pos_ + 3;
    if (i < n && html_[i] == '>') {
      pos_ = i + 1;
      return;
    }
    if (i + 1 < n && html_[i] == '-' && html_[i + 1] == '>') {
      pos_ = i + 2;
      return;
    }
    while (true) {
      const std::size_t dashes = html_.find("--", i);
      if (dashes == std::string_view::npos) {
        pos_ = n;
        return;
      }
      std::size_t k = dashes + 2;
      while (k < n && html_[k] == '-') ++k;
      if (k < n && html_[k] == '>') {
        pos_ = k + 1;
        return;
      }
      if (k + 1 < n && html_[k] == '!' && html_[k + 1] == '>') {
        pos_ = k + 2;
        return;
      }
      i = k;
    }
  }

  std::string ReadName() {
    std::string name;
    while (pos_ < html_.size() && !IsSpace(html_[pos_]) && html_[pos_] != '/' && html_[pos_] != '>') {
      name.push_back(AsciiLower(html_[pos_++]));
    }
    return name;
  }

  // Past the attributes and the closing '>'; false when the input ends
  // first. Only a quote right after '=' opens a quoted value.
  bool SkipAttributes(bool& self_closing) {
    const std::size_t n = html_.size();
    while (pos_ < n) {
      const char c = html_[pos_];
      if (IsSpace(c)) {
        ++pos_;
        continue;
      }
      if (c == '>') {
        ++pos_;
        return true;
      }
      if (c == '/') {
        ++pos_;
        if (pos_ < n && html_[pos_] == '>') {
          self_closing = true;
          ++pos_;
          return true;
        }
        continue;
      }
      ++pos_;  // the name's first character may be anything, '=' included
      while (pos_ < n && !IsSpace(html_[pos_]) && html_[pos_] != '/' && html_[pos_] != '>' &&
             html_[pos_] != '=') {
        ++pos_;
      }
      while (pos_ < n && IsSpace(html_[pos_])) ++pos_;
      if (pos_ >= n || html_[pos_] != '=') continue;
      ++pos_;
      while (pos_ < n && IsSpace(html_[pos_])) ++pos_;
      if (pos_ < n && (html_[pos_] == '"' || html_[pos_] == '\'')) {
        const std::size_t close = html_.find(html_[pos_], pos_ + 1);
        if (close == std::string_view::npos) return false;
        pos_ = close + 1;
      } else {
        while (pos_ < n && !IsSpace(html_[pos_]) && html_[pos_] != '>') ++pos_;
      }
    }
    return false;
  }

  // Past the end tag of raw text element `name` (or to the end).
  void SkipRawText(const std::string& name) {
    const std::size_t n = html_.size();
    std::size_t i = pos_;
    while ((i = html_.find("</", i)) != std::string_view::npos) {
      i += 2;
      const std::size_t end = i + name.size();
      if (end >= n) break;
      bool same = true;
      for (std::size_t k = 0; k < name.size() && same; ++k) same = AsciiLower(html_[i + k]) == name[k];
      if (same && (IsSpace(html_[end]) || html_[end] == '/' || html_[end] == '>')) {
        pos_ = end;
        bool self_closing = false;
        if (!SkipAttributes(self_closing)) pos_ = n;
        return;
      }
    }
    pos_ = n;
  }

  bool TopIs(int id) const { return !stack_.empty() && stack_.back().id == id; }
  bool PopIfTop(int id) {
    if (!TopIs(id)) return false;
    Pop();
    return true;
  }

  void Push(int id) {
    const int index = static_cast<int>(stack_.size());
    const unsigned flags = names_[id].flags;
    const Entry below = stack_.empty() ? Entry{-1, -1, -1, -1, -1, -1, -1} : stack_.back();
    const bool item_stop = (flags & kSpecial) && id != p_ && id != div_ && id != address_;
    stack_.push_back({id, (flags & kSpecial) ? index : below.special, (flags & kScope) ? index : below.scope,
                      (flags & kListScope) ? index : below.list_scope,
                      (flags & kButtonScope) ? index : below.button_scope,
                      (flags & kTableScope) ? index : below.table_scope, item_stop ? index : below.item_stop});
    names_[id].positions.push_back(index);
    if (flags & kForeign) ++foreign_;
    if (stack_.size() > max_depth_) max_depth_ = stack_.size();
  }

  void Pop() {
    const int id = stack_.back().id;
    names_[id].positions.pop_back();
    if (names_[id].flags & kForeign) --foreign_;
    stack_.pop_back();
  }

  // A new list item closes the open one of its kind unless something
  // special other than address, div or p stands in between.
  void CloseItem(const std::vector<int>& positions) {
    if (positions.empty() || positions.back() < stack_.back().item_stop) return;
    const int open = positions.back();
    while (static_cast<int>(stack_.size()) > open) Pop();
  }

  // False when the rest of the input is text.
  bool StartTag(const std::string& tag, bool self_closing) {
    const int id = Intern(tag);
    const unsigned flags = names_[id].flags;
    if (flags & kIgnored) return true;
    if ((flags & kTablePart) && names_[table_].positions.empty() && names_[template_].positions.empty()) {
      return true;
    }
    // Only the closings the tree builder surely makes: the element on top.
    if (flags & kClosesP) PopIfTop(p_);
    if (id == li_) {
      CloseItem(names_[li_].positions);
      PopIfTop(p_);
    } else if (id == dd_ || id == dt_) {
      CloseItem(names_[dd_].positions.empty() ? names_[dt_].positions
                : names_[dt_].positions.empty() ? names_[dd_].positions
                : names_[dd_].positions.back() > names_[dt_].positions.back() ? names_[dd_].positions
                                                                              : names_[dt_].positions);
      PopIfTop(p_);
    } else if (id == select_ && !names_[select_].positions.empty()) {
      // A <select> in a <select> only closes it.
      const std::size_t open = names_[select_].positions.size();
      EndTag("select");
      if (names_[select_].positions.size() < open) return true;
    } else if (id == heading_ || id == a_ || id == nobr_ || id == button_) {
      PopIfTop(id);
    } else if (id == option_ || id == optgroup_) {
      PopIfTop(option_);
    } else if (id == td_ || id == th_) {
      if (!PopIfTop(td_)) PopIfTop(th_);
    } else if (id == tr_ || id == tbody_ || id == thead_ || id == tfoot_) {
      if (!PopIfTop(td_)) PopIfTop(th_);
      PopIfTop(tr_);
      if (id != tr_ && !PopIfTop(tbody_) && !PopIfTop(thead_)) PopIfTop(tfoot_);
    }
    if (flags & kVoid) return true;
    if (self_closing && foreign_ > 0) return true;
    Push(id);
    if (foreign_ == 0) {
      if (flags & kPlaintext) return false;
      if (flags & kRawText) {
        SkipRawText(tag);
        Pop();
      }
    }
    return true;
  }

  void EndTag(std::string tag) {
    if (tag.size() == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6') tag = "h1";
    const auto found = ids_.find(tag);
    if (found == ids_.end() || stack_.empty()) return;
    const int id = found->second;
    const Name& name = names_[id];
    if (name.positions.empty() || (name.flags & kIgnored)) return;
    const Entry& top = stack_.back();
    int barrier = top.special;  // an ordinary end tag stops at a special element
    if (name.flags & kTableEnd) {
      barrier = top.table_scope;
    } else if (id == li_) {
      barrier = top.list_scope;
    } else if (id == p_) {
      barrier = top.button_scope;
    } else if (name.flags & kSpecial) {
      barrier = top.scope;
    }
    const int open = name.positions.back();
    if (open < barrier) return;  // the tree builder ignores it
    while (static_cast<int>(stack_.size()) > open) Pop();
  }

  std::string_view html_;
  std::size_t stop_above_;
  std::size_t pos_ = 0;
  std::size_t max_depth_ = 0;
  int foreign_ = 0;
  std::vector<Entry> stack_;
  std::unordered_map<std::string, int> ids_;
  std::vector<Name> names_;
  int p_, li_, dd_, dt_, heading_, option_, optgroup_, td_, th_, tr_, tbody_, thead_, tfoot_, a_, nobr_,
      button_, table_, template_, select_, div_, address_;
};

// ---- Bounded gumbo ----------------------------------------------------------

std::int64_t ThreadCpuNs() {
  // CPU time, not wall time: a loaded machine must not fail a real page.
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

struct alignas(std::max_align_t) Block {
  Block* prev;
  Block* next;
  std::size_t size;
};

}  // namespace

// Every block gumbo allocates, linked so that an abandoned parse can be freed
// without gumbo (whose own destroy also recurses once per level).
struct ParsedHtml::Arena {
  enum class Stop { kNone, kMemory, kTime };

  Arena() { head.prev = head.next = &head; }
  ~Arena() {
    for (Block* block = head.next; block != &head;) {
      Block* next = block->next;
      std::free(block);
      block = next;
    }
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  Block head{};
  std::size_t live_bytes = 0;
  std::size_t max_bytes = 0;
  std::uint64_t allocations = 0;
  std::int64_t cpu_deadline_ns = 0;
  Stop stop = Stop::kNone;
  GumboOptions options{};
  GumboOutput* output = nullptr;
  std::jmp_buf escape{};
};

namespace {

using Arena = ParsedHtml::Arena;

[[noreturn]] void Escape(Arena* arena, Arena::Stop why) {
  arena->stop = why;
  std::longjmp(arena->escape, 1);
}

// gumbo checks no allocation, so an exhausted budget leaves it by longjmp
// back to ParseOrEscape; gumbo is C, with no destructor to skip.
void* Allocate(void* userdata, std::size_t bytes) {
  auto* arena = static_cast<Arena*>(userdata);
  if (bytes > arena->max_bytes - arena->live_bytes) Escape(arena, Arena::Stop::kMemory);
  // gumbo allocates for every tag and run of text, so this is checked often.
  if (++arena->allocations % 1024 == 0 && ThreadCpuNs() > arena->cpu_deadline_ns) {
    Escape(arena, Arena::Stop::kTime);
  }
  auto* block = static_cast<Block*>(std::malloc(sizeof(Block) + bytes));
  if (block == nullptr) Escape(arena, Arena::Stop::kMemory);
  block->size = bytes;
  block->prev = &arena->head;
  block->next = arena->head.next;
  arena->head.next->prev = block;
  arena->head.next = block;
  arena->live_bytes += bytes;
  return block + 1;
}

void Deallocate(void* userdata, void* pointer) {
  if (pointer == nullptr) return;
  auto* arena = static_cast<Arena*>(userdata);
  Block* block = static_cast<Block*>(pointer) - 1;
  block->prev->next = block->next;
  block->next->prev = block->prev;
  arena->live_bytes -= block->size;
  std::free(block);
}

// Null when the budget ran out. Nothing here may have a destructor: the
// longjmp that lands here skips the frames in between.
[[gnu::noinline]] GumboOutput* ParseOrEscape(Arena* arena, const char* data, std::size_t size) {
  if (setjmp(arena->escape) != 0) return nullptr;
  return gumbo_parse_with_options(&arena->options, data, size);
}

std::string Seconds(std::int64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000);
  const std::int64_t tenths = (ms + 50) / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

}  // namespace

HtmlLimits DefaultHtmlLimits(std::size_t html_bytes) {
  constexpr std::size_t kMiB = 1024 * 1024;
  HtmlLimits limits;
  limits.max_parser_bytes = 64 * kMiB + 64 * html_bytes;
  limits.max_parser_cpu_ms = 2000 + static_cast<std::int64_t>(html_bytes * 1000 / kMiB);
  return limits;
}

std::size_t EstimateHtmlDepth(std::string_view html, std::size_t stop_above) {
  return DepthEstimator(html, stop_above).Run();
}

ParsedHtml::ParsedHtml(std::unique_ptr<Arena> arena) : arena_(std::move(arena)) {}
ParsedHtml::~ParsedHtml() = default;
ParsedHtml::ParsedHtml(ParsedHtml&&) noexcept = default;

const GumboNode* ParsedHtml::document() const { return arena_->output->document; }

ParsedHtml ParseHtml(std::string_view html, const HtmlLimits& limits) {
  if (EstimateHtmlDepth(html, limits.max_depth) > limits.max_depth) {
    throw InvalidInput("has HTML nested deeper than " + std::to_string(limits.max_depth) + " levels",
                       kComplexHint);
  }
  auto arena = std::make_unique<Arena>();
  arena->max_bytes = limits.max_parser_bytes;
  arena->cpu_deadline_ns = ThreadCpuNs() + limits.max_parser_cpu_ms * 1'000'000;
  arena->options = kGumboDefaultOptions;
  arena->options.allocator = &Allocate;
  arena->options.deallocator = &Deallocate;
  arena->options.userdata = arena.get();
  // Each recorded parse error copies the open elements: unused, and
  // quadratic in memory for deep or broken markup.
  arena->options.max_errors = 0;
  arena->output = ParseOrEscape(arena.get(), html.data(), html.size());
  if (arena->output == nullptr) {
    if (arena->stop == Arena::Stop::kTime) {
      throw InvalidInput("has HTML too complex to parse (it takes more than " +
                             Seconds(limits.max_parser_cpu_ms) + " s)",
                         kComplexHint);
    }
    throw InvalidInput("has HTML too complex to parse (it needs more than " +
                           std::to_string(limits.max_parser_bytes / (1024 * 1024)) + " MiB)",
                       kComplexHint);
  }
  return ParsedHtml(std::move(arena));
}

}  // namespace omni::kb::detail
