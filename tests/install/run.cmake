# run.cmake -- ctest install/consumer: install this build into a scratch
# prefix and build a small consumer against the installed tree, as a user
# would: find_package(acar) (shared, static, C++) and pkg-config (shared,
# static).  Every program built is run and must print "ok VERSION".
#
#   cmake -D ACAR_BUILD_DIR=... -D ACAR_SOURCE_DIR=... -D WORK_DIR=...
#         -D GENERATOR=... -D C_COMPILER=... [-D CXX_COMPILER=...]
#         [-D EXTRA_FLAGS=-fsanitize=...] [-D ACAR_CONFIG=...] [-D NO_PKG_CONFIG=1]
#         -P run.cmake
#
# EXTRA_FLAGS are the sanitizer flags of the build under test: an
# instrumented library needs an instrumented program.

cmake_minimum_required(VERSION 3.16)

function(fail)
  string(JOIN "" msg ${ARGN})
  message(FATAL_ERROR "install test: ${msg}")
endfunction()

# Runs a command; fails the test with its output when it fails.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    fail("${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(RUN_OUT "${out}" PARENT_SCOPE)
endfunction()

# Runs a consumer program and checks that it says "ok <version>".
function(expect_ok what)
  run("${what}" ${ARGN})
  if(NOT RUN_OUT MATCHES "^ok ${VERSION}\n$")
    fail("${what} printed '${RUN_OUT}', not 'ok ${VERSION}'")
  endif()
  message(STATUS "${what}: ${RUN_OUT}")
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# ---- install ----
set(config_args)
if(ACAR_CONFIG)
  set(config_args --config ${ACAR_CONFIG})
endif()
run("cmake --install" ${CMAKE_COMMAND} --install ${ACAR_BUILD_DIR} --prefix ${prefix} ${config_args})

file(STRINGS ${ACAR_SOURCE_DIR}/include/acar.h version_line REGEX "#define ACAR_VERSION_STRING")
string(REGEX REPLACE ".*\"(.*)\".*" "\\1" VERSION "${version_line}")
string(REGEX REPLACE "^([0-9]+)\\..*" "\\1" MAJOR "${VERSION}")

# lib/ or lib/<multiarch>/, as GNUInstallDirs chose.
file(GLOB_RECURSE pcfile ${prefix}/acar.pc)
list(FILTER pcfile INCLUDE REGEX "/pkgconfig/acar\\.pc$")
if(NOT pcfile)
  fail("no pkgconfig/acar.pc under ${prefix}")
endif()
get_filename_component(pcdir ${pcfile} DIRECTORY)
get_filename_component(libdir ${pcdir} DIRECTORY)
foreach(f bin/acar include/acar.h share/man/man1/acar.1 share/bash-completion/completions/acar
          ${libdir}/libacar.a ${libdir}/libacar.so ${libdir}/libacar.so.${MAJOR}
          ${libdir}/libacar.so.${VERSION} ${libdir}/cmake/acar/acarConfig.cmake
          ${libdir}/cmake/acar/acarConfigVersion.cmake ${libdir}/cmake/acar/acarTargets.cmake)
  if(NOT IS_ABSOLUTE ${f})
    set(f ${prefix}/${f})
  endif()
  if(NOT EXISTS ${f})
    fail("${f} was not installed")
  endif()
endforeach()
run("installed acar --version" ${prefix}/bin/acar --version)
if(NOT RUN_OUT STREQUAL "acar ${VERSION}\n")
  fail("installed acar --version printed '${RUN_OUT}'")
endif()

# ---- find_package(acar) ----
set(with_cxx OFF)
set(cxx_args)
if(CXX_COMPILER)
  set(with_cxx ON)
  set(cxx_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
run("configuring the consumer" ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/consumer -B ${WORK_DIR}/build
    -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_C_COMPILER=${C_COMPILER} ${cxx_args} -DWITH_CXX=${with_cxx}
    "-DCMAKE_C_FLAGS=${EXTRA_FLAGS}" "-DCMAKE_CXX_FLAGS=${EXTRA_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${EXTRA_FLAGS}")
file(READ ${WORK_DIR}/build/acar_dir.txt found_dir)
if(NOT found_dir STREQUAL "${libdir}/cmake/acar")
  fail("find_package(acar) found ${found_dir}, not the one in ${prefix}")
endif()
run("building the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
expect_ok("find_package, shared" ${WORK_DIR}/build/consumer_shared)
expect_ok("find_package, static" ${WORK_DIR}/build/consumer_static)
if(with_cxx)
  expect_ok("find_package, C++" ${WORK_DIR}/build/consumer_cxx)
endif()

# ---- pkg-config ----
# Without pkg-config on the machine, the .pc file is read here instead: its
# variables expanded as pkg-config does, so its content is still tested.
if(NO_PKG_CONFIG)
  set(PKG_CONFIG "")
else()
  find_program(PKG_CONFIG NAMES pkg-config pkgconf)
endif()
function(pc_query out)
  if(PKG_CONFIG)
    set(ENV{PKG_CONFIG_PATH} ${pcdir})
    run("pkg-config ${ARGN}" ${PKG_CONFIG} ${ARGN} acar)
    string(STRIP "${RUN_OUT}" flags)
  else()
    file(STRINGS ${pcfile} lines)
    set(vars "pcfiledir=${pcdir}")
    set(flags "")
    foreach(line IN LISTS lines)
      foreach(v IN LISTS vars)
        string(REGEX MATCH "^[^=]*" name "${v}")
        string(REGEX REPLACE "^[^=]*=" "" value "${v}")
        string(REPLACE "\${${name}}" "${value}" line "${line}")
      endforeach()
      if(line MATCHES "^([A-Za-z_]+)=(.*)$")
        list(APPEND vars "${CMAKE_MATCH_1}=${CMAKE_MATCH_2}")
      elseif(line MATCHES "^Cflags: (.*)$" AND "--cflags" IN_LIST ARGN)
        string(APPEND flags " ${CMAKE_MATCH_1}")
      elseif(line MATCHES "^Libs: (.*)$" AND "--libs" IN_LIST ARGN)
        string(APPEND flags " ${CMAKE_MATCH_1}")
      elseif(line MATCHES "^Libs.private: (.*)$" AND "--static" IN_LIST ARGN)
        string(APPEND flags " ${CMAKE_MATCH_1}")
      endif()
    endforeach()
    string(STRIP "${flags}" flags)
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  set(${out} ${flags} PARENT_SCOPE)
endfunction()

if(PKG_CONFIG)
  message(STATUS "pkg-config: ${PKG_CONFIG}")
else()
  message(STATUS "pkg-config: not found, reading acar.pc directly")
endif()
separate_arguments(extra UNIX_COMMAND "${EXTRA_FLAGS}")
set(src ${CMAKE_CURRENT_LIST_DIR}/consumer/consumer.c)

pc_query(shared_flags --cflags --libs)
run("pkg-config build, shared" ${C_COMPILER} -std=c11 -Wall -Wextra -Wpedantic -Werror ${extra}
    ${src} ${shared_flags} -o ${WORK_DIR}/pc_shared)
set(ENV{LD_LIBRARY_PATH} ${libdir})
expect_ok("pkg-config, shared" ${WORK_DIR}/pc_shared)

# -L to a directory holding only libacar.a makes -lacar the static library;
# the test is whether `--static --libs` names everything it needs.
file(MAKE_DIRECTORY ${WORK_DIR}/static-only)
file(COPY ${libdir}/libacar.a DESTINATION ${WORK_DIR}/static-only)
pc_query(static_flags --cflags --static --libs)
run("pkg-config build, static" ${C_COMPILER} -std=c11 -Wall -Wextra -Wpedantic -Werror ${extra}
    ${src} -L${WORK_DIR}/static-only ${static_flags} -o ${WORK_DIR}/pc_static)
unset(ENV{LD_LIBRARY_PATH})
expect_ok("pkg-config, static" ${WORK_DIR}/pc_static)

# The shared build really uses libacar.so.MAJOR and the static one does not.
find_program(READELF readelf)
if(READELF)
  run("readelf" ${READELF} -d ${WORK_DIR}/pc_shared)
  if(NOT RUN_OUT MATCHES "\\[libacar\\.so\\.${MAJOR}\\]")
    fail("pc_shared does not load libacar.so.${MAJOR}:\n${RUN_OUT}")
  endif()
  run("readelf" ${READELF} -d ${WORK_DIR}/pc_static)
  if(RUN_OUT MATCHES "libacar")
    fail("pc_static loads libacar:\n${RUN_OUT}")
  endif()
endif()

file(REMOVE_RECURSE ${WORK_DIR})
