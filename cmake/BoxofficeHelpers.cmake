# One helper per repeated pattern: protoc-c generation, a library of ours,
# an executable of ours, a Check test.

set(BO_WARNINGS -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wno-unused-parameter -Wformat=2 -Wvla)

# bo_protoc_c(<out-var> PROTO_ROOT <dir> FILES <relative .proto>...)
# Generates .pb-c.c/.h into the build tree; <out-var> receives the sources.
function(bo_protoc_c out)
  cmake_parse_arguments(A "" "PROTO_ROOT" "FILES" ${ARGN})
  set(gen_dir ${CMAKE_CURRENT_BINARY_DIR}/gen)
  set(srcs)
  foreach(f ${A_FILES})
    string(REGEX REPLACE "\\.proto$" "" base ${f})
    set(c ${gen_dir}/${base}.pb-c.c)
    set(h ${gen_dir}/${base}.pb-c.h)
    add_custom_command(
      OUTPUT ${c} ${h}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${gen_dir}
      COMMAND ${PROTOC_C} --proto_path=${A_PROTO_ROOT} --c_out=${gen_dir} ${f}
      DEPENDS ${A_PROTO_ROOT}/${f}
      WORKING_DIRECTORY ${A_PROTO_ROOT}
      COMMENT "protoc-c ${f}")
    list(APPEND srcs ${c} ${h})
  endforeach()
  set(${out} ${srcs} PARENT_SCOPE)
endfunction()

# bo_warnings(<target>): our code builds with warnings as errors.
function(bo_warnings target)
  target_compile_options(${target} PRIVATE ${BO_WARNINGS})
  target_compile_definitions(${target} PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
endfunction()

# bo_library(<name> SOURCES ... LIBS ... [PUBLIC_INCLUDE dir])
function(bo_library name)
  cmake_parse_arguments(A "" "PUBLIC_INCLUDE" "SOURCES;LIBS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  bo_warnings(${name})
  if(A_PUBLIC_INCLUDE)
    target_include_directories(${name} PUBLIC ${A_PUBLIC_INCLUDE})
  endif()
  target_link_libraries(${name} PUBLIC ${A_LIBS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# bo_executable(<name> SOURCES ... LIBS ...)
function(bo_executable name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  bo_warnings(${name})
  target_link_libraries(${name} PRIVATE ${A_LIBS})
endfunction()

# bo_check_test(<name> SOURCES ... LIBS ... [LABELS ...] [TIMEOUT s])
# A Check suite run by ctest. Integration suites get the label "integration"
# and find their servers through tests/support (started per suite).
function(bo_check_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  bo_warnings(${name})
  target_link_libraries(${name} PRIVATE ${A_LIBS} PkgConfig::CHECK)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${A_TIMEOUT} LABELS "${A_LABELS}"
    ENVIRONMENT "CK_DEFAULT_TIMEOUT=120;BOXOFFICE_SOURCE_DIR=${PROJECT_SOURCE_DIR};BOXOFFICE_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
