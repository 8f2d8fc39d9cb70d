# hedgerow_module(NAME SOURCES ... DEPS ...) declares one module: library target
# hedgerow_<NAME>, public headers in include/hedgerow/<NAME>/, sources in src/<NAME>/.
# DEPS lists other modules (by short name) and external targets; edges form a DAG
# (see ARCHITECTURE.md), so a module never names one above it.
function(hedgerow_module NAME)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;EXTERNAL" ${ARGN})
  add_library(hedgerow_${NAME} STATIC ${ARG_SOURCES})
  target_include_directories(hedgerow_${NAME}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  foreach(dep IN LISTS ARG_DEPS)
    target_link_libraries(hedgerow_${NAME} PUBLIC hedgerow_${dep})
  endforeach()
  target_link_libraries(hedgerow_${NAME} PUBLIC ${ARG_EXTERNAL})
endfunction()

# hedgerow_test(MODULE SOURCES ...) builds tests/<MODULE> into one Catch2 binary
# linked only against that module (and so its dependencies) and registers it with ctest.
function(hedgerow_test MODULE)
  cmake_parse_arguments(ARG "" "" "SOURCES;EXTRA" ${ARGN})
  set(target hedgerow_${MODULE}_test)
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE hedgerow_${MODULE} hedgerow_test_main ${ARG_EXTRA})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  add_test(NAME ${MODULE} COMMAND ${target} --reporter console)
  set_tests_properties(${MODULE} PROPERTIES LABELS ${MODULE} TIMEOUT 600)
endfunction()
