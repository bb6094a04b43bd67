# Writes OUTPUT, a C++ file defining omni::omnid::FUNCTION() (WidgetScript
# unless given) that returns the text of INPUT, declared in HEADER
# (daemon/widget_handlers.hpp unless given), so that omnid serves the file
# from its binary. Run at build time:
#   cmake -DINPUT=... -DOUTPUT=... [-DFUNCTION=... -DHEADER=...] -P embed.cmake
if(NOT FUNCTION)
  set(FUNCTION WidgetScript)
endif()
if(NOT HEADER)
  set(HEADER daemon/widget_handlers.hpp)
endif()
file(READ "${INPUT}" content)
string(FIND "${content}" ")omni_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )omni_embed\"")
endif()
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}"
  "// Generated from daemon/web/${name} by daemon/web/embed.cmake; do not edit.\n"
  "#include \"${HEADER}\"\n\n"
  "namespace omni::omnid {\n\n"
  "std::string_view ${FUNCTION}() {\n"
  "  static constexpr char kText[] = R\"omni_embed(${content})omni_embed\";\n"
  "  return {kText, sizeof(kText) - 1};\n"
  "}\n\n"
  "}  // namespace omni::omnid\n")
