# Writes a C++ source that defines `std::string_view FUNCTION() noexcept` in NAMESPACE, returning
# the bytes of INPUT (plus a terminating NUL outside the view), so a file ships inside the binary
# and is never read at run time. Run as a build step (cmake -P), so the source is regenerated
# whenever INPUT changes:
#   cmake -DINPUT=… -DOUTPUT=… -DINCLUDE=… -DNAMESPACE=… -DFUNCTION=… -P embed_text.cmake
# Bytes are written as hex, which needs no escaping and has no raw-string delimiter to collide with.
foreach(var INPUT OUTPUT INCLUDE NAMESPACE FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_text.cmake: ${var} is not set")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
# 16 bytes to a line keeps the generated file readable by compilers' diagnostics and editors
# (CMake's regular expressions have no {n} repetition).
string(REPEAT "'\\\\x[0-9a-f][0-9a-f]'," 16 line)
string(REGEX REPLACE "(${line})" "\\1\n    " bytes "${bytes}")
cmake_path(GET INPUT FILENAME input_name)

file(WRITE "${OUTPUT}" "// Generated from ${input_name} by cmake/embed_text.cmake: do not edit.
#include \"${INCLUDE}\"

namespace ${NAMESPACE} {
namespace {

constexpr char kText[${size} + 1] = {
    ${bytes}'\\0'};

}  // namespace

std::string_view ${FUNCTION}() noexcept { return {kText, ${size}}; }

}  // namespace ${NAMESPACE}
")
