# Writes OUTPUT, a C++ file defining omni::omnid::WidgetScript() that returns
# the text of INPUT (daemon/web/widget.js), so that omnid serves the script
# from its binary. Run at build time: cmake -DINPUT=... -DOUTPUT=... -P embed.cmake
file(READ "${INPUT}" content)
string(FIND "${content}" ")omni_widget_js\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )omni_widget_js\"")
endif()
file(WRITE "${OUTPUT}"
  "// Generated from daemon/web/widget.js by daemon/web/embed.cmake; do not edit.\n"
  "#include \"daemon/widget_handlers.hpp\"\n\n"
  "namespace omni::omnid {\n\n"
  "std::string_view WidgetScript() {\n"
  "  static constexpr char kScript[] = R\"omni_widget_js(${content})omni_widget_js\";\n"
  "  return {kScript, sizeof(kScript) - 1};\n"
  "}\n\n"
  "}  // namespace omni::omnid\n")
