// Format detection and text extraction: Markdown clean-up, HTML through
// gumbo, PDF through poppler-cpp (in omni_pdf.so, loaded on the first PDF),
// CSV and JSONL records.
#include "core/common/text.hpp"
#include "core/kb/extract.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/utf8.hpp"
#include "core/kb/detail/html_parse.hpp"
#include "core/kb/detail/pdf_module.hpp"

namespace omni::kb {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n\f\v");
  return text.substr(first, last - first + 1);
}

std::string_view StripBom(std::string_view bytes) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  return bytes;
}

// Rejects binary and invalid UTF-8 input to the text formats.
void CheckText(std::string_view bytes) {
  if (bytes.find('\0') != std::string_view::npos) {
    throw InvalidInput("looks binary (it contains NUL bytes)",
                       "Only text, Markdown, HTML, PDF, CSV and JSONL documents can be ingested.");
  }
  if (const std::size_t bad = FindInvalidUtf8(bytes); bad != std::string_view::npos) {
    throw InvalidInput("is not valid UTF-8 (at byte " + std::to_string(bad) + ")",
                       "Convert the file to UTF-8, for example with iconv.");
  }
}

std::string NormalizeNewlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

// ---- Markdown ----------------------------------------------------------

// Inline clean-up: links and images keep their text, emphasis and code
// markers and HTML comments go.
std::string MarkdownInline(std::string_view line) {
  std::string out;
  std::size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if ((c == '[' || (c == '!' && i + 1 < line.size() && line[i + 1] == '['))) {
      const std::size_t open = c == '!' ? i + 1 : i;
      const std::size_t close = line.find(']', open);
      if (close != std::string_view::npos && close + 1 < line.size() && line[close + 1] == '(') {
        const std::size_t end = line.find(')', close);
        if (end != std::string_view::npos) {
          out += MarkdownInline(line.substr(open + 1, close - open - 1));
          i = end + 1;
          continue;
        }
      }
    }
    if (line.substr(i, 4) == "<!--") {
      const std::size_t end = line.find("-->", i);
      i = end == std::string_view::npos ? line.size() : end + 3;
      continue;
    }
    if (c == '`' || line.substr(i, 2) == "**" || line.substr(i, 2) == "__") {
      i += c == '`' ? 1 : 2;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

bool IsMarkdownRule(std::string_view line) {
  if (line.empty()) return false;
  if (line.find_first_not_of('=') == std::string_view::npos) return true;
  if (line.size() >= 3 && line.find_first_not_of("-* ") == std::string_view::npos) return true;
  return line.front() == '|' && line.find('-') != std::string_view::npos &&
         line.find_first_not_of("|-: ") == std::string_view::npos;
}

ExtractedDocument ExtractMarkdown(std::string_view source) {
  const std::string text = NormalizeNewlines(source);
  auto lines = Lines(text);
  ExtractedDocument doc;
  std::size_t first = 0;
  // YAML front matter: its title wins, the block is not text.
  if (!lines.empty() && Trim(lines[0]) == "---") {
    for (std::size_t i = 1; i < lines.size(); ++i) {
      if (Trim(lines[i]) == "---") {
        for (std::size_t j = 1; j < i; ++j) {
          if (lines[j].substr(0, 6) == "title:") {
            std::string_view title = Trim(lines[j].substr(6));
            if (title.size() >= 2 && (title.front() == '"' || title.front() == '\'') &&
                title.back() == title.front()) {
              title = title.substr(1, title.size() - 2);
            }
            doc.title = std::string(title);
          }
        }
        first = i + 1;
        break;
      }
    }
  }
  std::string out;
  std::string previous;
  bool in_fence = false;
  for (std::size_t i = first; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    const std::string_view trimmed = Trim(line);
    if (trimmed.substr(0, 3) == "```" || trimmed.substr(0, 3) == "~~~") {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence) {
      out.append(line);
      out.push_back('\n');
      continue;
    }
    // Setext heading underlines, rules and table rules are not text.
    if (IsMarkdownRule(trimmed)) {
      if (trimmed.front() == '=' && doc.title.empty()) doc.title = previous;
      continue;
    }
    std::size_t hashes = 0;
    while (hashes < trimmed.size() && trimmed[hashes] == '#') ++hashes;
    std::string content;
    if (hashes > 0 && hashes <= 6 && (hashes == trimmed.size() || trimmed[hashes] == ' ')) {
      content = MarkdownInline(Trim(trimmed.substr(hashes)));
      while (!content.empty() && (content.back() == '#' || content.back() == ' ')) content.pop_back();
      if (hashes == 1 && doc.title.empty()) doc.title = content;
      // A heading is a paragraph of its own.
      while (!out.empty() && !EndsWith(out, "\n\n")) out.push_back('\n');
      out += content;
      out += "\n\n";
      previous = content;
      continue;
    }
    std::string_view body = trimmed;
    while (!body.empty() && body.front() == '>') body = Trim(body.substr(1));
    if (body.size() >= 2 && (body[0] == '-' || body[0] == '*' || body[0] == '+') && body[1] == ' ') {
      body = body.substr(2);
    }
    content = MarkdownInline(body);
    if (Trim(content).empty() && EndsWith(out, "\n\n")) continue;  // one blank line is enough
    if (trimmed.find('|') != std::string_view::npos && trimmed.front() == '|') {
      std::replace(content.begin(), content.end(), '|', ' ');
      content = std::string(Trim(content));
    }
    out += content;
    out.push_back('\n');
    previous = content;
  }
  doc.text = std::string(Trim(out));
  return doc;
}

// ---- HTML ---------------------------------------------------------------

class HtmlText {
 public:
  // `nested`: collecting a title or heading, which holds no title of its own.
  explicit HtmlText(bool nested = false) : nested_(nested) {}

  // Walks the descendants of `parent` with a stack of its own: the tree may
  // be hundreds of levels deep, deeper than the estimate the parser checked
  // (it adds tbody and tr, and rebuilds formatting elements left open).
  void WalkChildren(const GumboNode* parent) {
    struct Frame {
      const GumboNode* node;
      unsigned next;
    };
    std::vector<Frame> stack{{parent, 0}};
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const GumboVector& children = ChildrenOf(frame.node);
      if (frame.next == children.length) {
        if (stack.size() > 1) Leave(frame.node);
        stack.pop_back();
        continue;
      }
      const auto* child = static_cast<const GumboNode*>(children.data[frame.next++]);
      if (Enter(child)) stack.push_back({child, 0});
    }
  }

  std::string text() const { return std::string(Trim(out_)); }
  std::string title() const { return title_.empty() ? first_h1_ : title_; }

 private:
  static const GumboVector& ChildrenOf(const GumboNode* node) {
    return node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children : node->v.element.children;
  }

  // Handles a node on the way down; true when its children are to be walked.
  bool Enter(const GumboNode* node) {
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE:
        AppendText(node->v.text.text);
        return false;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        break;
      default:
        return false;
    }
    const GumboTag tag = node->v.element.tag;
    switch (tag) {
      case GUMBO_TAG_TITLE:
        if (title_.empty() && !nested_) title_ = CollectText(node);
        return false;
      case GUMBO_TAG_SCRIPT:
      case GUMBO_TAG_STYLE:
      case GUMBO_TAG_NAV:
      case GUMBO_TAG_NOSCRIPT:
      case GUMBO_TAG_TEMPLATE:
      case GUMBO_TAG_SVG:
      case GUMBO_TAG_IFRAME:
      case GUMBO_TAG_HEAD:
        if (tag == GUMBO_TAG_HEAD) WalkHeadForTitle(node);
        return false;
      case GUMBO_TAG_BR:
        LineBreak();
        return false;
      case GUMBO_TAG_H1:
        if (first_h1_.empty() && !nested_) first_h1_ = CollectText(node);
        break;
      default:
        break;
    }
    if (IsBlock(tag)) ParagraphBreak();
    if (tag == GUMBO_TAG_PRE) ++in_pre_;
    return true;
  }

  // Handles an element on the way up, after its children.
  void Leave(const GumboNode* node) {
    const GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_PRE) --in_pre_;
    if (IsBlock(tag)) ParagraphBreak();
    if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) pending_space_ = true;
  }

  static bool IsBlock(GumboTag tag) {
    switch (tag) {
      case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE:
      case GUMBO_TAG_MAIN: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_ASIDE:
      case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4:
      case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_UL: case GUMBO_TAG_OL:
      case GUMBO_TAG_LI: case GUMBO_TAG_DL: case GUMBO_TAG_DT: case GUMBO_TAG_DD:
      case GUMBO_TAG_TABLE: case GUMBO_TAG_TR: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_PRE:
      case GUMBO_TAG_FIGURE: case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_HR:
      case GUMBO_TAG_FORM: case GUMBO_TAG_FIELDSET: case GUMBO_TAG_DETAILS: case GUMBO_TAG_SUMMARY:
        return true;
      default:
        return false;
    }
  }

  void WalkHeadForTitle(const GumboNode* head) {
    if (nested_) return;
    const GumboVector& children = head->v.element.children;
    for (unsigned i = 0; i < children.length; ++i) {
      const auto* child = static_cast<const GumboNode*>(children.data[i]);
      if (child->type == GUMBO_NODE_ELEMENT && child->v.element.tag == GUMBO_TAG_TITLE &&
          title_.empty()) {
        title_ = CollectText(child);
      }
    }
  }

  static std::string CollectText(const GumboNode* node) {
    HtmlText inner(true);
    inner.WalkChildren(node);
    std::string text = inner.text();
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
  }

  void AppendText(const char* text) {
    for (const char* p = text; *p != '\0'; ++p) {
      const char c = *p;
      if (in_pre_ > 0) {
        Flush();
        out_.push_back(c);
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        pending_space_ = true;
      } else {
        Flush();
        out_.push_back(c);
      }
    }
  }

  void Flush() {
    if (out_.empty()) {
      pending_break_ = 0;
      pending_space_ = false;
      return;
    }
    if (pending_break_ > 0) {
      out_.append(static_cast<std::size_t>(pending_break_), '\n');
    } else if (pending_space_ && out_.back() != '\n') {
      out_.push_back(' ');
    }
    pending_break_ = 0;
    pending_space_ = false;
  }

  void ParagraphBreak() { pending_break_ = 2; }
  void LineBreak() { pending_break_ = std::max(pending_break_, 1); }

  bool nested_;
  std::string out_;
  std::string title_;
  std::string first_h1_;
  int pending_break_ = 0;
  bool pending_space_ = false;
  int in_pre_ = 0;
};

ExtractedDocument ExtractHtml(std::string_view source) {
  const detail::ParsedHtml parsed = detail::ParseHtml(source, detail::DefaultHtmlLimits(source.size()));
  HtmlText walker;
  walker.WalkChildren(parsed.document());
  return {"", walker.title(), walker.text()};
}

// ---- PDF ----------------------------------------------------------------

// The directory of the running binary, where an installed omni_pdf.so is
// found (OMNI_PDF_MODULE_FROM_BINDIR: bin/ to lib/omni/).
std::string BinaryDir() {
  char path[4096];
  const ssize_t size = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (size <= 0) return {};
  const std::string binary(path, static_cast<std::size_t>(size));
  return binary.substr(0, binary.rfind('/'));
}

// The module's entry point, loaded once: installed next to the binary, else
// from the build tree (omni run from its build directory, and the tests).
OmniPdfExtractFn LoadPdfModule() {
  static const OmniPdfExtractFn extract = []() -> OmniPdfExtractFn {
    for (const std::string& path :
         {BinaryDir() + "/" OMNI_PDF_MODULE_FROM_BINDIR "/omni_pdf.so", std::string(OMNI_PDF_MODULE_BUILD_PATH)}) {
      if (void* module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        return reinterpret_cast<OmniPdfExtractFn>(::dlsym(module, OMNI_PDF_EXTRACT_SYMBOL));
      }
    }
    return nullptr;
  }();
  if (extract == nullptr) {
    throw Unavailable("cannot read PDF files: the PDF module omni_pdf.so is not installed",
                      "Reinstall omni with its lib/omni/omni_pdf.so, or convert the PDF to text first.");
  }
  return extract;
}

struct PdfParts {
  std::string title;
  std::vector<std::string> pages;
};

void CollectPdfPart(void* context, int part, const char* text, std::size_t size) {
  auto& parts = *static_cast<PdfParts*>(context);
  if (part == kOmniPdfTitle) {
    parts.title.assign(text, size);
  } else {
    parts.pages.emplace_back(text, size);
  }
}

ExtractedDocument ExtractPdf(std::string_view bytes) {
  PdfParts parts;
  switch (LoadPdfModule()(bytes.data(), bytes.size(), &CollectPdfPart, &parts)) {
    case kOmniPdfOk:
      break;
    case kOmniPdfLocked:
      throw InvalidInput("is a password-protected PDF", "Remove the password and ingest it again.");
    default:
      throw InvalidInput("is not a readable PDF", "Check that the file is a complete, valid PDF.");
  }
  ExtractedDocument doc;
  doc.title = std::string(Trim(parts.title));
  for (const std::string& page : parts.pages) {
    std::string text = NormalizeNewlines(page);
    std::replace(text.begin(), text.end(), '\f', '\n');
    if (Trim(text).empty()) continue;
    if (!doc.text.empty()) doc.text += "\n\n";
    doc.text += std::string(Trim(text));
  }
  if (doc.text.empty() || !IsValidUtf8(doc.text)) {
    throw InvalidInput("has no extractable text",
                       "The PDF may be scanned images; run OCR on it first.");
  }
  return doc;
}

// ---- Records ------------------------------------------------------------

struct FieldChoice {
  std::string title, text, id;  // empty: absent
};

// Resolves the configured or default field names against the names present.
FieldChoice ChooseFields(const RecordFields& fields, const std::vector<std::string>& present) {
  const auto has = [&](const std::string& name) {
    return std::find(present.begin(), present.end(), name) != present.end();
  };
  const auto first_of = [&](std::initializer_list<const char*> names) -> std::string {
    for (const char* name : names) {
      if (has(name)) return name;
    }
    return {};
  };
  std::string names;
  for (const auto& name : present) names += (names.empty() ? "" : ", ") + name;
  const auto require = [&](const std::string& name, const char* role) {
    if (!has(name)) {
      throw InvalidInput(std::string("has no ") + role + " field \"" + name + "\" (fields: " + names + ")",
                         std::string("Name the ") + role + " field with --" + role + "-field.");
    }
    return name;
  };
  FieldChoice choice;
  choice.title = fields.title.empty() ? first_of({"title"}) : require(fields.title, "title");
  choice.text = fields.text.empty() ? first_of({"text", "content", "body"}) : require(fields.text, "text");
  choice.id = fields.id.empty() ? first_of({"_id", "id"}) : require(fields.id, "id");
  if (choice.text.empty()) {
    throw InvalidInput("has no text field (fields: " + names + ")",
                       "Name the field holding the text with --text-field.");
  }
  return choice;
}

std::vector<std::vector<std::string>> ParseCsv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  std::size_t i = 0;
  const auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  while (i < text.size()) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field.push_back(c);
      }
      ++i;
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n' || c == '\r') {
      end_field();
      if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));
      row.clear();
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      field.push_back(c);
      field_started = true;
    }
    ++i;
  }
  if (quoted) throw InvalidInput("has an unterminated quoted CSV field");
  if (field_started || !row.empty()) {
    end_field();
    rows.push_back(std::move(row));
  }
  return rows;
}

void AddRecord(Extraction& out, std::string where, std::string id, std::string title,
               std::string text) {
  if (Trim(text).empty()) {
    out.record_errors.push_back(where + ": empty text");
    return;
  }
  if (id.empty()) {
    out.record_errors.push_back(where + ": empty id");
    return;
  }
  out.documents.push_back({std::move(id), std::string(Trim(title)), std::string(Trim(text))});
}

Extraction ExtractCsv(std::string_view text, const RecordFields& fields) {
  const auto rows = ParseCsv(text);
  if (rows.empty()) throw InvalidInput("is empty");
  const FieldChoice choice = ChooseFields(fields, rows[0]);
  const auto column = [&](const std::string& name) -> std::ptrdiff_t {
    if (name.empty()) return -1;
    return std::find(rows[0].begin(), rows[0].end(), name) - rows[0].begin();
  };
  const auto title_col = column(choice.title);
  const auto text_col = column(choice.text);
  const auto id_col = column(choice.id);
  Extraction out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const auto cell = [&](std::ptrdiff_t col) {
      return col >= 0 && static_cast<std::size_t>(col) < row.size() ? row[static_cast<std::size_t>(col)]
                                                                     : std::string();
    };
    std::string id = id_col >= 0 ? std::string(Trim(cell(id_col))) : std::to_string(r);
    AddRecord(out, "row " + std::to_string(r), std::move(id), cell(title_col), cell(text_col));
  }
  return out;
}

std::string JsonText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return {};
  return value.dump();
}

Extraction ExtractJsonl(std::string_view text, const RecordFields& fields) {
  Extraction out;
  std::optional<FieldChoice> choice;
  std::size_t line_number = 0;
  std::size_t records = 0;
  for (const std::string_view line : Lines(text)) {
    ++line_number;
    if (Trim(line).empty()) continue;
    const std::string where = "line " + std::to_string(line_number);
    const auto row = nlohmann::json::parse(line, nullptr, false);
    if (row.is_discarded() || !row.is_object()) {
      out.record_errors.push_back(where + ": not a JSON object");
      continue;
    }
    ++records;
    if (!choice) {
      std::vector<std::string> present;
      for (const auto& item : row.items()) present.push_back(item.key());
      choice = ChooseFields(fields, present);
    }
    const auto field = [&](const std::string& name) {
      return name.empty() || !row.contains(name) ? std::string() : JsonText(row[name]);
    };
    std::string id = choice->id.empty() ? std::to_string(records) : field(choice->id);
    AddRecord(out, where, std::move(id), field(choice->title), field(choice->text));
  }
  if (records == 0 && out.record_errors.empty()) throw InvalidInput("is empty");
  return out;
}

}  // namespace

const char* FormatName(Format format) {
  switch (format) {
    case Format::kText: return "text";
    case Format::kMarkdown: return "markdown";
    case Format::kHtml: return "html";
    case Format::kPdf: return "pdf";
    case Format::kCsv: return "csv";
    case Format::kJsonl: return "jsonl";
  }
  return "text";
}

Format DetectFormat(std::string_view name, std::string_view bytes, std::string_view content_type) {
  std::string lowered = Lower(name);
  if (const auto cut = lowered.find_first_of("?#"); cut != std::string::npos) lowered.resize(cut);
  const std::pair<const char*, Format> extensions[] = {
      {".txt", Format::kText},    {".text", Format::kText},      {".md", Format::kMarkdown},
      {".markdown", Format::kMarkdown}, {".html", Format::kHtml}, {".htm", Format::kHtml},
      {".xhtml", Format::kHtml},  {".pdf", Format::kPdf},        {".csv", Format::kCsv},
      {".jsonl", Format::kJsonl}, {".ndjson", Format::kJsonl}};
  for (const auto& [extension, format] : extensions) {
    if (EndsWith(lowered, extension)) return format;
  }
  const std::string type = Lower(content_type);
  if (type.find("text/html") != std::string::npos || type.find("xhtml") != std::string::npos) {
    return Format::kHtml;
  }
  if (type.find("application/pdf") != std::string::npos) return Format::kPdf;
  if (type.find("text/markdown") != std::string::npos) return Format::kMarkdown;
  if (type.find("text/csv") != std::string::npos) return Format::kCsv;
  if (type.find("ndjson") != std::string::npos || type.find("jsonl") != std::string::npos) {
    return Format::kJsonl;
  }
  if (bytes.substr(0, 5) == "%PDF-") return Format::kPdf;
  const std::string head = Lower(Trim(StripBom(bytes.substr(0, 512))));
  if (head.rfind("<!doctype html", 0) == 0 || head.rfind("<html", 0) == 0) return Format::kHtml;
  return Format::kText;
}

Extraction Extract(Format format, std::string_view bytes, const RecordFields& fields) {
  if (Trim(bytes).empty()) throw InvalidInput("is empty", "Remove the file or give it some text.");
  if (format == Format::kPdf) {
    Extraction out;
    out.documents.push_back(ExtractPdf(bytes));
    return out;
  }
  CheckText(bytes);
  const std::string_view text = StripBom(bytes);
  Extraction out;
  switch (format) {
    case Format::kCsv:
      return ExtractCsv(text, fields);
    case Format::kJsonl:
      return ExtractJsonl(text, fields);
    case Format::kMarkdown:
      out.documents.push_back(ExtractMarkdown(text));
      break;
    case Format::kHtml:
      out.documents.push_back(ExtractHtml(text));
      break;
    case Format::kText:
    case Format::kPdf:
      out.documents.push_back({"", "", std::string(Trim(NormalizeNewlines(text)))});
      break;
  }
  if (out.documents.front().text.empty()) {
    throw InvalidInput("has no text", "Remove the file or give it some text.");
  }
  return out;
}

}  // namespace omni::kb
