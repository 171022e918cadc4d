# Helpers that give every src/ folder the same shape: one static library per folder, and one test
# binary per (folder, label) whose tests CTest discovers and labels.

# berth_library(NAME SOURCES a.cc b.cc DEPS berth_base ...)
function(berth_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(berth_${name} STATIC ${ARG_SOURCES})
  target_include_directories(berth_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(berth_${name} PUBLIC ${ARG_DEPS})
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
