# Helpers that keep the build modular: one OBJECT library per module, a dependency closure
# for tests, and the common flags in one place.

set(MAILPROTO_ALL_MODULES "" CACHE INTERNAL "")

function(mailproto_apply_flags target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  # Options are aggregates with a default for every member, written with designated
  # initialisers (net::connect_options{.host = ..., .port = ...}); g++ 12's -Wextra warns
  # about every member such an initialiser leaves to its default, which is the point.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  if(MAILPROTO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(MAILPROTO_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${MAILPROTO_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${MAILPROTO_SANITIZE})
  endif()
endfunction()

# Usage requirements shared by every module and every consumer.
if(NOT TARGET mailproto_usage)
  add_library(mailproto_usage INTERFACE)
  target_include_directories(mailproto_usage INTERFACE
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/generated>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  # Asio is compiled once, in src/net/asio.cpp; everyone who includes it must agree.
  # ASIO_DISABLE_STD_ALIGNED_ALLOC: Asio 1.22 picks std::aligned_alloc or operator new by
  # whether <cstdlib> was seen before its config (include order), so two translation units
  # can pair aligned_alloc with operator delete (ASan alloc-dealloc-mismatch, Valgrind
  # "Mismatched free"); one choice for every unit.
  target_compile_definitions(mailproto_usage INTERFACE ASIO_SEPARATE_COMPILATION ASIO_NO_DEPRECATED
                                                       ASIO_DISABLE_STD_ALIGNED_ALLOC)
  target_link_libraries(mailproto_usage INTERFACE OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
endif()

# mailproto_module(NAME [DEPENDS m...]): OBJECT library mailproto_NAME from src/NAME/*.cpp.
function(mailproto_module name)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  set_property(GLOBAL PROPERTY MAILPROTO_DEPS_${name} "${ARG_DEPENDS}")
  if(NOT srcs OR name IN_LIST MAILPROTO_SKIP_MODULES)
    return()
  endif()
  add_library(mailproto_${name} OBJECT ${srcs})
  target_link_libraries(mailproto_${name} PUBLIC mailproto_usage)
  target_include_directories(mailproto_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  mailproto_apply_flags(mailproto_${name})
  set(all ${MAILPROTO_ALL_MODULES})
  list(APPEND all ${name})
  set(MAILPROTO_ALL_MODULES "${all}" CACHE INTERNAL "")
endfunction()

# mailproto_closure(OUT m...): the modules m and everything they depend on, that have sources.
function(mailproto_closure out)
  set(todo ${ARGN})
  set(done "")
  while(todo)
    list(POP_FRONT todo m)
    if(m IN_LIST done)
      continue()
    endif()
    list(APPEND done ${m})
    get_property(deps GLOBAL PROPERTY MAILPROTO_DEPS_${m})
    list(APPEND todo ${deps})
  endwhile()
  set(result "")
  foreach(m IN LISTS done)
    if(TARGET mailproto_${m})
      list(APPEND result ${m})
    endif()
  endforeach()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# mailproto_link_modules(TARGET m...): link the objects of m and its dependencies into TARGET.
function(mailproto_link_modules target)
  mailproto_closure(mods ${ARGN})
  foreach(m IN LISTS mods)
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:mailproto_${m}>)
  endforeach()
  target_link_libraries(${target} PRIVATE mailproto_usage)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
endfunction()

# The library users link: every module's objects in one static (or shared) library.
function(mailproto_library)
  set(objs "")
  foreach(m IN LISTS MAILPROTO_ALL_MODULES)
    list(APPEND objs $<TARGET_OBJECTS:mailproto_${m}>)
  endforeach()
  add_library(mailproto ${objs})
  add_library(mailproto::mailproto ALIAS mailproto)
  target_link_libraries(mailproto PUBLIC mailproto_usage)
  set_target_properties(mailproto PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
  mailproto_apply_flags(mailproto)
endfunction()
