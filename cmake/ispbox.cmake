# Shared build settings. Our targets call ispbox_target(); third-party and generated code does not,
# so -Werror only ever fires on code we wrote.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

set(ISPBOX_WARNINGS -Wall -Wextra -Werror -Wshadow=local -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Wformat=2 -Wimplicit-fallthrough)
# GCC 12 at -O3 reports false -Wrestrict overlaps inside std::string's operator+ (GCC bug 105329),
# which would fail every Release build.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND ISPBOX_WARNINGS -Wno-restrict)
endif()

if(ISPBOX_SANITIZE)
  set(ISPBOX_SAN_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
      -fno-sanitize-recover=undefined)
  add_compile_options(${ISPBOX_SAN_FLAGS})
  add_link_options(${ISPBOX_SAN_FLAGS})
endif()

function(ispbox_target target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${ISPBOX_WARNINGS}>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Werror>)
endfunction()
