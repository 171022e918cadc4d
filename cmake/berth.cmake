# Helpers that give every src/ folder the same shape: one static library per folder, and one test
# binary per (folder, label) whose tests CTest discovers and labels.

# berth_library(NAME SOURCES a.cc b.cc DEPS berth_base ...)
function(berth_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(berth_${name} STATIC ${ARG_SOURCES})
  target_include_directories(berth_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(berth_${name} PUBLIC ${ARG_DEPS})
endfunction()

# berth_optimise_for_size(TARGET...): -Os except in Debug builds, for the code berth-runtime is
# made of. A container start maps that code twice (the runtime re-executes itself, see
# runtime/process/sealed_exe.h) and most of the start's peak memory is code: fault-around maps
# 64 KB of it for every page touched. The code mostly waits for system calls, so smaller code does
# not make it slower.
function(berth_optimise_for_size)
  foreach(target ${ARGN})
    target_compile_options(${target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-Os>)
  endforeach()
endfunction()

# The target `unit_tests` builds every unit test binary and nothing else (the sanitizer run).
add_custom_target(unit_tests)

# berth_test(NAME LABEL unit|root|e2e SOURCES a_test.cc DEPS berth_x ...)
function(berth_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  if(ARG_LABEL STREQUAL "unit")
    add_dependencies(unit_tests ${name})
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name}
    PROPERTIES LABELS ${ARG_LABEL}
    ENVIRONMENT "BERTH_BUILD_DIR=${PROJECT_BINARY_DIR}"
    ENVIRONMENT_MODIFICATION "BERTH_SOURCE_DIR=set:${PROJECT_SOURCE_DIR}"
    DISCOVERY_TIMEOUT 30)
endfunction()

# Fuzz targets. With -DBERTH_FUZZ=ON (clang: -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang)
# each is a libFuzzer binary, and all code is built with coverage, ASan and UBSan; run it as
# `NAME -max_total_time=600 CORPUS`. Otherwise the same source is linked with a replay driver
# that runs every file of its corpus, registered as a `unit` test, so every build (and the
# sanitizer build) replays the corpus kept in the repository.
option(BERTH_FUZZ "Build fuzz targets with libFuzzer (needs clang)" OFF)
if(BERTH_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "BERTH_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# berth_fuzz(NAME SOURCES a_fuzz.cc DEPS berth_x ... CORPUS dir)
function(berth_fuzz name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(BERTH_FUZZ)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/fuzz_replay_main.cc)
    add_dependencies(unit_tests ${name})
    add_test(NAME ${name} COMMAND ${name} ${ARG_CORPUS})
    set_tests_properties(${name} PROPERTIES LABELS unit)
  endif()
endfunction()
