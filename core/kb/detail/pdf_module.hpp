// The C interface of the PDF text module (omni_pdf.so, built from
// core/kb/pdf_module/). poppler-cpp and the two dozen libraries it pulls in
// (NSS, freetype, fontconfig, image codecs) live only in that module, which
// kb loads with dlopen on the first PDF: every other omni and omnid start
// skips mapping and relocating them. A C interface, because the module and
// its caller share no C++ objects and no exceptions cross it.
#pragma once

#include <cstddef>

extern "C" {

// What OmniPdfExtract passes to the sink: the document's Title entry once,
// then each page's text, in order. `text` is UTF-8, valid during the call.
enum OmniPdfPart { kOmniPdfTitle = 0, kOmniPdfPage = 1 };
typedef void (*OmniPdfSink)(void* context, int part, const char* text, std::size_t size);

// Results of OmniPdfExtract.
enum OmniPdfResult { kOmniPdfOk = 0, kOmniPdfUnreadable = 1, kOmniPdfLocked = 2 };

// Reads the PDF in bytes[0, size) and passes its title and pages to `sink`.
// Never throws.
typedef int (*OmniPdfExtractFn)(const char* bytes, std::size_t size, OmniPdfSink sink, void* context);
#define OMNI_PDF_EXTRACT_SYMBOL "OmniPdfExtract"

}  // extern "C"
