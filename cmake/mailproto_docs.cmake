# The API reference: `cmake --build <build> --target docs` runs Doxygen over the public
# headers (include/mailproto) into <build>/docs/api/html. Not part of `all`. Included from
# the root CMakeLists.txt; without Doxygen it only says so (install it: apt-get install
# doxygen). Every undocumented public name is a warning (WARN_IF_UNDOCUMENTED, EXTRACT_ALL
# off); the target prints them per folder. -DMAILPROTO_DOCS_WARN_AS_ERROR=ON makes them fail
# the target.
#
# The same file is also the counting script (cmake -P, see the end).

if(CMAKE_SCRIPT_MODE_FILE)
  # cmake -DLOG=<warnings log> [-DFAIL=ON] -P mailproto_docs.cmake: count the warnings per
  # folder (and fail when there are any, with FAIL).
  set(counts "")
  set(total 0)
  set(undocumented 0)
  if(EXISTS "${LOG}")
    file(STRINGS "${LOG}" lines)
  else()
    set(lines "")
  endif()
  foreach(line IN LISTS lines)
    if(line MATCHES "^(.*/include/mailproto/[^:]*):[0-9]+: warning: (.*)$")
      math(EXPR total "${total} + 1")
      set(file "${CMAKE_MATCH_1}")
      if(CMAKE_MATCH_2 MATCHES "is not documented")
        math(EXPR undocumented "${undocumented} + 1")
      endif()
      string(REGEX REPLACE "^.*/include/(mailproto/.*)/[^/]*$" "\\1" folder "${file}")
      if(folder STREQUAL file)
        set(folder "mailproto")
      endif()
      string(MAKE_C_IDENTIFIER "${folder}" key)
      if(NOT DEFINED n_${key})
        set(n_${key} 0)
        list(APPEND counts "${folder}")
      endif()
      math(EXPR n_${key} "${n_${key}} + 1")
    endif()
  endforeach()
  message("docs: ${total} Doxygen warning(s) in the public headers, ${undocumented} about undocumented names")
  list(SORT counts)
  foreach(folder IN LISTS counts)
    string(MAKE_C_IDENTIFIER "${folder}" key)
    message("docs:   include/${folder}/: ${n_${key}}")
  endforeach()
  if(total GREATER 0)
    message("docs: details in ${LOG}")
    if(FAIL)
      message(FATAL_ERROR "docs: MAILPROTO_DOCS_WARN_AS_ERROR is on and there are warnings")
    endif()
  endif()
  return()
endif()

find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "mailproto: Doxygen not found: no `docs` target (apt-get install doxygen)")
  return()
endif()

option(MAILPROTO_DOCS_WARN_AS_ERROR "Fail the docs target on any Doxygen warning" OFF)
set(MAILPROTO_DOCS_DIR ${PROJECT_BINARY_DIR}/docs)
set(MAILPROTO_DOCS_MAINPAGE ${PROJECT_SOURCE_DIR}/README.md)
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${MAILPROTO_DOCS_DIR}/Doxyfile @ONLY)

file(GLOB_RECURSE mailproto_public_headers CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/include/mailproto/*.hpp)
add_custom_target(docs
  COMMAND ${CMAKE_COMMAND} -E remove -f ${MAILPROTO_DOCS_DIR}/doxygen-warnings.log
  COMMAND Doxygen::doxygen ${MAILPROTO_DOCS_DIR}/Doxyfile
  COMMAND ${CMAKE_COMMAND} -DLOG=${MAILPROTO_DOCS_DIR}/doxygen-warnings.log
          -DFAIL=${MAILPROTO_DOCS_WARN_AS_ERROR} -P ${CMAKE_CURRENT_LIST_FILE}
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  DEPENDS ${MAILPROTO_DOCS_DIR}/Doxyfile ${mailproto_public_headers}
  COMMENT "Doxygen: API reference in ${MAILPROTO_DOCS_DIR}/api/html/index.html"
  VERBATIM)
