# Shared build settings. Our targets call ispbox_target(); third-party and generated code does not,
# so -Werror only ever fires on code we wrote.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

set(ISPBOX_WARNINGS -Wall -Wextra -Werror -Wshadow=local -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Wformat=2 -Wimplicit-fallthrough)

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
