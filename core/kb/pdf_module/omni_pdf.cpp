// omni_pdf.so: PDF text through poppler-cpp, behind the C interface of
// core/kb/detail/pdf_module.hpp. Loaded by kb on the first PDF only.
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <memory>
#include <string>

#include "core/kb/detail/pdf_module.hpp"

namespace {

void SilencePoppler(const std::string&, void*) {}

void Send(OmniPdfSink sink, void* context, int part, const poppler::ustring& text) {
  const auto bytes = text.to_utf8();
  sink(context, part, bytes.data(), bytes.size());
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int OmniPdfExtract(const char* bytes, std::size_t size,
                                                                     OmniPdfSink sink, void* context) {
  try {
    static const bool silenced = [] {
      poppler::set_debug_error_function(&SilencePoppler, nullptr);
      return true;
    }();
    (void)silenced;
    std::unique_ptr<poppler::document> document(
        poppler::document::load_from_raw_data(bytes, static_cast<int>(size)));
    if (!document) return kOmniPdfUnreadable;
    if (document->is_locked()) return kOmniPdfLocked;
    Send(sink, context, kOmniPdfTitle, document->get_title());
    for (int i = 0; i < document->pages(); ++i) {
      std::unique_ptr<poppler::page> page(document->create_page(i));
      if (page) Send(sink, context, kOmniPdfPage, page->text());
    }
    return kOmniPdfOk;
  } catch (...) {
    return kOmniPdfUnreadable;
  }
}
