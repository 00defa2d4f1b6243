# install.cmake -- installing acar and finding it again.
#
# Included at the end of the top CMakeLists.txt.  `cmake --install` puts:
#
#   bin/acar                                   the command
#   include/acar.h                             the whole API
#   lib/libacar.so.0.1.0, .so.0, .so           shared library (SONAME libacar.so.0)
#   lib/libacar.a                              static library
#   lib/pkgconfig/acar.pc                      pkg-config --cflags --libs acar
#   lib/cmake/acar/acarConfig*.cmake           find_package(acar): acar::acar,
#                                              acar::shared, acar::static
#   share/man/man1/acar.1                      man acar
#   share/bash-completion/completions/acar     bash completion
#   share/doc/acar/docs, share/doc/acar/examples  the guides and the C examples
#
# The same target names (acar::acar, acar::shared, acar::static) exist when
# acar is built inside another project (add_subdirectory, FetchContent).
# It also registers the tests of the installed tree and of the symbols the
# shared library exports.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ACAR_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)
get_filename_component(ACAR_ROOT ${ACAR_ROOT} ABSOLUTE)

if(CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR)
  set(ACAR_TOP_LEVEL ON)
else()
  set(ACAR_TOP_LEVEL OFF)
endif()
option(ACAR_INSTALL "Generate acar's install rules" ${ACAR_TOP_LEVEL})

# The header is found in the source tree while building and in
# <prefix>/include once installed (a source path must not leak into the
# installed package).
foreach(t acar_static acar_shared)
  set_property(TARGET ${t} PROPERTY INTERFACE_INCLUDE_DIRECTORIES
               $<BUILD_INTERFACE:${ACAR_ROOT}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()
set_target_properties(acar_static PROPERTIES EXPORT_NAME static)
set_target_properties(acar_shared PROPERTIES EXPORT_NAME shared)

# The names an embedding project links against, as find_package gives them.
if(NOT TARGET acar::shared)
  add_library(acar::shared ALIAS acar_shared)
  add_library(acar::static ALIAS acar_static)
  add_library(acar::acar ALIAS acar_shared)
endif()

if(ACAR_INSTALL)
  set(ACAR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/acar)

  install(TARGETS acar_shared EXPORT acarTargets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  install(TARGETS acar_static EXPORT acarTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development)
  install(TARGETS acar RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
  install(FILES ${ACAR_ROOT}/include/acar.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          COMPONENT development)

  # find_package(acar)
  install(EXPORT acarTargets NAMESPACE acar:: FILE acarTargets.cmake
          DESTINATION ${ACAR_CMAKE_DIR} COMPONENT development)
  configure_package_config_file(${ACAR_ROOT}/cmake/acarConfig.cmake.in
                                ${PROJECT_BINARY_DIR}/acarConfig.cmake
                                INSTALL_DESTINATION ${ACAR_CMAKE_DIR})
  # 0.x: a minor release may change the API, so only 0.1.* satisfies 0.1.
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/acarConfigVersion.cmake
                                   COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/acarConfig.cmake ${PROJECT_BINARY_DIR}/acarConfigVersion.cmake
          DESTINATION ${ACAR_CMAKE_DIR} COMPONENT development)

  # pkg-config.  acar.pc names the prefix given at install time (cmake
  # --install --prefix P), not the configured one: it is written by the
  # install step itself, from a template that keeps @ACAR_PC_PREFIX@.
  foreach(d LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
      set(ACAR_PC_${d} "${CMAKE_INSTALL_${d}}")
    else()
      set(ACAR_PC_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
    endif()
  endforeach()
  set(ACAR_PC_PREFIX "@ACAR_PC_PREFIX@")
  configure_file(${ACAR_ROOT}/cmake/acar.pc.in ${PROJECT_BINARY_DIR}/acar.pc.in @ONLY)
  install(CODE "set(ACAR_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file(\"${PROJECT_BINARY_DIR}/acar.pc.in\" \"${PROJECT_BINARY_DIR}/pkgconfig/acar.pc\" @ONLY)"
    COMPONENT development)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/acar.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
          COMPONENT development)

  install(FILES ${ACAR_ROOT}/docs/acar.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT cli)
  # bash-completion loads completions/NAME when NAME is first completed.
  install(FILES ${ACAR_ROOT}/contrib/acar.bash-completion
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME acar COMPONENT cli)

  file(GLOB ACAR_DOCS CONFIGURE_DEPENDS ${ACAR_ROOT}/docs/*.md)
  file(GLOB ACAR_EXAMPLES CONFIGURE_DEPENDS ${ACAR_ROOT}/examples/*.c)
  # docs/ and examples/ side by side, as in the source tree, so links hold.
  install(FILES ${ACAR_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs COMPONENT doc)
  install(FILES ${ACAR_EXAMPLES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT doc)
endif()

if(ACAR_TESTS AND ACAR_TOP_LEVEL)
  find_program(PYTHON3 python3)

  # Installs this build into a scratch prefix and builds a small C and C++
  # consumer against it with find_package(acar) and with pkg-config, linking
  # the shared and the static library.  The consumer is compiled with this
  # build's sanitizer flags, since the installed library carries them.
  if(ACAR_INSTALL)
    set(ACAR_CONSUMER_FLAGS "")
    if(ACAR_FUZZ)
      set(ACAR_CONSUMER_FLAGS "-fsanitize=fuzzer-no-link,address,undefined")
    elseif(ACAR_SANITIZE)
      set(ACAR_CONSUMER_FLAGS "-fsanitize=address,undefined")
    endif()
    include(CheckLanguage)
    check_language(CXX)
    add_test(NAME install/consumer
             COMMAND ${CMAKE_COMMAND}
                     -D ACAR_BUILD_DIR=${PROJECT_BINARY_DIR}
                     -D ACAR_SOURCE_DIR=${ACAR_ROOT}
                     -D ACAR_CONFIG=$<CONFIG>
                     -D WORK_DIR=${PROJECT_BINARY_DIR}/install-test
                     -D GENERATOR=${CMAKE_GENERATOR}
                     -D C_COMPILER=${CMAKE_C_COMPILER}
                     -D CXX_COMPILER=${CMAKE_CXX_COMPILER}
                     -D EXTRA_FLAGS=${ACAR_CONSUMER_FLAGS}
                     -P ${ACAR_ROOT}/tests/install/run.cmake)
    set_tests_properties(install/consumer PROPERTIES TIMEOUT 120)
  endif()

  # Only acar_* symbols leave the shared library, exactly those the header
  # declares, and its SONAME carries the major version; the static library
  # defines no global name outside acar_.
  find_program(ACAR_READELF NAMES readelf)
  if(NOT ACAR_READELF)
    set(ACAR_READELF "")
  endif()
  if(PYTHON3 AND CMAKE_NM AND NOT APPLE AND NOT WIN32)
    add_test(NAME install/exported_symbols
             COMMAND ${PYTHON3} ${ACAR_ROOT}/tests/install/check_symbols.py
                     $<TARGET_FILE:acar_shared> $<TARGET_FILE:acar_static> ${ACAR_ROOT}/include/acar.h
                     ${CMAKE_NM} "${ACAR_READELF}")
  endif()

  if(PYTHON3)
    # docs/api.md is what tools/gen_api_docs.py makes of include/acar.h now.
    add_test(NAME install/api_docs_current
             COMMAND ${PYTHON3} ${ACAR_ROOT}/tools/gen_api_docs.py --check)
    # The man page and the bash completion know every command and option
    # that `acar help COMMAND` lists; docs/index.md has no broken links.
    add_test(NAME install/cli_docs
             COMMAND ${PYTHON3} ${ACAR_ROOT}/tests/install/check_cli_docs.py $<TARGET_FILE:acar>
             WORKING_DIRECTORY ${ACAR_ROOT})
  endif()
endif()
