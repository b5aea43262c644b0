# SPDX-License-Identifier: GPL-2.0-or-later
# Unsanitized builds of targets, for rlm_isp.so in the sanitized (ISPBOX_SANITIZE) build.
#
# Why: FreeRADIUS dlopen()s modules with RTLD_DEEPBIND, which the ASan runtime refuses outright
# ("incompatible with sanitizer runtime"), and an unsanitized /usr/sbin/freeradius would also need
# libasan preloaded. So the module and everything linked into it (the core, the store, common) are
# always built without the sanitizer flags; the core's logic is unit-tested in-process in the
# sanitized build instead (tests/rlm_isp), and the .so itself by the FreeRADIUS integration test.

# Removes ISPBOX_SAN_FLAGS from a target: targets copy the directory's COMPILE_OPTIONS and
# LINK_OPTIONS (where cmake/ispbox.cmake puts them) when they are created.
function(ispbox_strip_sanitizer target)
  foreach(prop COMPILE_OPTIONS LINK_OPTIONS INTERFACE_COMPILE_OPTIONS INTERFACE_LINK_OPTIONS)
    get_target_property(opts ${target} ${prop})
    if(opts)
      list(REMOVE_ITEM opts ${ISPBOX_SAN_FLAGS})
      set_property(TARGET ${target} PROPERTY ${prop} "${opts}")
    endif()
  endforeach()
endfunction()

# The static libraries of this project that `target` links, directly or not, in link order.
function(_ispbox_project_static_deps target out)
  set(seen "")
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue t)
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(NOT libs)
      continue()
    endif()
    foreach(lib IN LISTS libs)
      if(TARGET ${lib} AND NOT lib IN_LIST seen)
        get_target_property(type ${lib} TYPE)
        get_target_property(imported ${lib} IMPORTED)
        if(type STREQUAL "STATIC_LIBRARY" AND NOT imported)
          list(APPEND seen ${lib})
          list(APPEND queue ${lib})
        endif()
      endif()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# Maps the names in a link list to their `suffix` copies where one exists.
function(_ispbox_map_links libs copies suffix out)
  set(mapped "")
  foreach(lib IN LISTS libs)
    foreach(c IN LISTS copies)
      if(lib STREQUAL c)
        set(lib ${c}${suffix})
      elseif(lib STREQUAL "$<LINK_ONLY:${c}>")
        set(lib "$<LINK_ONLY:${c}${suffix}>")
      endif()
    endforeach()
    list(APPEND mapped "${lib}")
  endforeach()
  set(${out} "${mapped}" PARENT_SCOPE)
endfunction()

# ispbox_unsanitized_copies(<target>...): for each target and every project static library it
# links, defines <name>_nosan: the same sources, include directories, definitions and options
# (our -Werror included), minus the sanitizer, linking the other _nosan copies.
function(ispbox_unsanitized_copies)
  set(all "")
  foreach(t IN LISTS ARGN)
    _ispbox_project_static_deps(${t} deps)
    list(APPEND all ${t} ${deps})
  endforeach()
  list(REMOVE_DUPLICATES all)
  foreach(t IN LISTS all)
    if(TARGET ${t}_nosan)
      continue()
    endif()
    get_target_property(srcs ${t} SOURCES)
    get_target_property(src_dir ${t} SOURCE_DIR)
    get_target_property(bin_dir ${t} BINARY_DIR)
    set(abs "")
    foreach(s IN LISTS srcs)
      if(NOT IS_ABSOLUTE "${s}")
        if(EXISTS "${src_dir}/${s}")
          set(s "${src_dir}/${s}")
        else()
          set(s "${bin_dir}/${s}")
        endif()
      endif()
      list(APPEND abs "${s}")
      # Source properties are per directory (e.g. -w on generated protobuf code): carry them.
      foreach(prop COMPILE_OPTIONS COMPILE_DEFINITIONS)
        get_source_file_property(v "${s}" DIRECTORY "${src_dir}" ${prop})
        if(v)
          set_source_files_properties("${s}" PROPERTIES ${prop} "${v}")
        endif()
      endforeach()
    endforeach()
    add_library(${t}_nosan STATIC ${abs})
    foreach(prop INCLUDE_DIRECTORIES INTERFACE_INCLUDE_DIRECTORIES COMPILE_DEFINITIONS
                 INTERFACE_COMPILE_DEFINITIONS COMPILE_OPTIONS INTERFACE_COMPILE_OPTIONS
                 COMPILE_FEATURES CXX_VISIBILITY_PRESET VISIBILITY_INLINES_HIDDEN)
      get_target_property(v ${t} ${prop})
      if(v)
        set_property(TARGET ${t}_nosan PROPERTY ${prop} "${v}")
      endif()
    endforeach()
    foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(v ${t} ${prop})
      if(v)
        _ispbox_map_links("${v}" "${all}" _nosan mapped)
        set_property(TARGET ${t}_nosan PROPERTY ${prop} "${mapped}")
      endif()
    endforeach()
    ispbox_strip_sanitizer(${t}_nosan)
    # Generated sources (store/records.pb.cc) have their rule in the original's directory.
    add_dependencies(${t}_nosan ${t})
  endforeach()
endfunction()
