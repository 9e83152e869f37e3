# Packaging: `cmake --install` puts the library, its headers, a CMake package
# (find_package(mailproto 0.1 REQUIRED) -> mailproto::mailproto) and a pkg-config file
# (mailproto.pc) under the prefix. Included at the end of the top-level CMakeLists.txt.
#
# Layout under the prefix:
#   include/mailproto/...                     public headers + generated version_macros.hpp
#   <libdir>/libmailproto.{a,so}
#   <libdir>/cmake/mailproto/mailprotoConfig.cmake, ...ConfigVersion.cmake, ...Targets.cmake
#   <libdir>/pkgconfig/mailproto.pc
include_guard(GLOBAL)

option(MAILPROTO_INSTALL "Generate the install rules (library, headers, CMake package, pkg-config)"
       ${PROJECT_IS_TOP_LEVEL})
if(NOT MAILPROTO_INSTALL OR NOT TARGET mailproto)
  return()
endif()

include(CMakePackageConfigHelpers)

set(MAILPROTO_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/mailproto"
    CACHE STRING "Where mailprotoConfig.cmake is installed (relative to the prefix)")
mark_as_advanced(MAILPROTO_INSTALL_CMAKEDIR)

# The library and the INTERFACE target that carries its usage requirements (include
# directory, ASIO_SEPARATE_COMPILATION / ASIO_NO_DEPRECATED, OpenSSL and Threads).
# Consumers see them as mailproto::mailproto and mailproto::mailproto_usage.
install(TARGETS mailproto mailproto_usage
  EXPORT mailprotoTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT mailproto_development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT mailproto_runtime
          NAMELINK_COMPONENT mailproto_development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT mailproto_runtime)
# (The include directory comes with mailproto_usage's $<INSTALL_INTERFACE:include>.)

# Public headers, and the version macros generated from project(VERSION).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/mailproto
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT mailproto_development
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/generated/mailproto/version_macros.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mailproto
  COMPONENT mailproto_development)

# The CMake package.
install(EXPORT mailprotoTargets
  NAMESPACE mailproto::
  FILE mailprotoTargets.cmake
  DESTINATION ${MAILPROTO_INSTALL_CMAKEDIR}
  COMPONENT mailproto_development)
# The same targets for a build tree (find_package with mailproto_DIR=<build dir>).
export(EXPORT mailprotoTargets NAMESPACE mailproto::
  FILE ${PROJECT_BINARY_DIR}/mailprotoTargets.cmake)

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/mailprotoConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mailprotoConfig.cmake
  INSTALL_DESTINATION ${MAILPROTO_INSTALL_CMAKEDIR})

# Before 1.0 a minor release may break the API: 0.1 accepts 0.1.x only (SameMinorVersion);
# from 1.0 on, the same major version.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(mailproto_compat SameMinorVersion)
else()
  set(mailproto_compat SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/mailprotoConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${mailproto_compat})

install(FILES
  ${PROJECT_BINARY_DIR}/mailprotoConfig.cmake
  ${PROJECT_BINARY_DIR}/mailprotoConfigVersion.cmake
  DESTINATION ${MAILPROTO_INSTALL_CMAKEDIR}
  COMPONENT mailproto_development)

# pkg-config. The prefix is found relative to the .pc file (${pcfiledir}), so the install
# may be moved or made with `cmake --install --prefix DIR`; an absolute libdir/includedir
# (e.g. -DCMAKE_INSTALL_LIBDIR=/usr/lib64) is written as it is.
set(mailproto_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(MAILPROTO_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH mailproto_pc_up "/root/${mailproto_pc_dir}" "/root")
  string(REGEX REPLACE "/$" "" mailproto_pc_up "${mailproto_pc_up}")
  set(MAILPROTO_PC_PREFIX "\${pcfiledir}/${mailproto_pc_up}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(MAILPROTO_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(MAILPROTO_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(MAILPROTO_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(MAILPROTO_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# A static library needs its own dependencies on the link line too; a shared one only
# when linking statically.
get_target_property(mailproto_type mailproto TYPE)
if(mailproto_type STREQUAL "STATIC_LIBRARY")
  set(MAILPROTO_PC_LIBS "-L\${libdir} -lmailproto -pthread")
  set(MAILPROTO_PC_LIBS_PRIVATE "")
else()
  set(MAILPROTO_PC_LIBS "-L\${libdir} -lmailproto")
  set(MAILPROTO_PC_LIBS_PRIVATE "-pthread")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/mailproto.pc.in ${PROJECT_BINARY_DIR}/mailproto.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mailproto.pc
  DESTINATION ${mailproto_pc_dir}
  COMPONENT mailproto_development)

# The CLI's man page (generated from docs/mailproto.1.md by scripts/gen-manpage), with the CLI.
if(TARGET mailproto_cli)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/mailproto.1
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
