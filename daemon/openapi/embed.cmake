# Writes OUTPUT, a C++ file defining omni::omnid::OpenApiFragments(): the
# text of every daemon/openapi/*.json (FILES, a ;-list) with its file name,
# in file-name order, so that omnid merges them into the document it serves
# (daemon/openapi.hpp). Run at build time: cmake -DFILES=... -DOUTPUT=... -P embed.cmake
list(SORT FILES)
set(entries "")
foreach(file IN LISTS FILES)
  file(READ "${file}" content)
  string(FIND "${content}" ")omni_openapi\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw string delimiter )omni_openapi\"")
  endif()
  get_filename_component(name "${file}" NAME)
  string(APPEND entries "      {\"${name}\", R\"omni_openapi(${content})omni_openapi\"},\n")
endforeach()
file(WRITE "${OUTPUT}"
  "// Generated from daemon/openapi/*.json by daemon/openapi/embed.cmake; do not edit.\n"
  "#include \"daemon/openapi.hpp\"\n\n"
  "namespace omni::omnid {\n\n"
  "const std::vector<OpenApiFragment>& OpenApiFragments() {\n"
  "  static const std::vector<OpenApiFragment> fragments = {\n"
  "${entries}"
  "  };\n"
  "  return fragments;\n"
  "}\n\n"
  "}  // namespace omni::omnid\n")
