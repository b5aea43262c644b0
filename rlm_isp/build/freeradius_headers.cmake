# SPDX-License-Identifier: GPL-2.0-or-later
# The FreeRADIUS header overlay (and pristine raddb), made at configure time in the build directory.
#
# Debian 12's libfreeradius-dev lacks headers that radiusd.h and autoconf.h include (automask.h,
# clients.h, connection.h, listen.h, log.h, process.h, tmpl.h, xlat.h, ...; upstream only fixed
# its install list in 3.2.9). They are in the Debian source package of the very same version, so:
#   1. read the installed version and check the server, its library and the -dev package agree
#      (the module ABI is not stable across 3.2.x: a mismatch must stop the build);
#   2. `apt-get source --download-only freeradius=<version>` (needs a deb-src entry, which
#      scripts/deps.sh adds) and unpack it with dpkg-source, which applies Debian's patches, so a
#      stable update that patches a struct in clients.h gives us the patched layout;
#   3. overlay = /usr/include/freeradius/*.h (these hold Debian's generated autoconf.h, features.h,
#      attributes.h, ...) + every src/include/*.h not among them, with <freeradius-devel/X>
#      rewritten to <freeradius/X> (upstream's own install rule does the same sed).
# Also Debian's pristine configuration of that version (the freeradius-config .deb, unpacked), for
# tests: /etc/freeradius/3.0 is readable only by root and group freerad, and may carry local edits.
# The result is cached per version under <build>/freeradius; only headers and raddb are kept.
#
# Offline: set ISPBOX_FREERADIUS_SOURCE_DIR to a directory holding freeradius_<version>.dsc, the
# tarballs it names and freeradius-config_<version>_<arch>.deb (`apt-get source --download-only
# freeradius=<version>; apt-get download freeradius-config=<version>` on a connected machine).
#
# Sets in the caller's scope: FREERADIUS_OVERLAY_INCLUDE_DIR (use with -isystem, before
# /usr/include), FREERADIUS_RADDB_DIR (the pristine raddb) and FREERADIUS_VERSION.

set(ISPBOX_FREERADIUS_SOURCE_DIR "" CACHE PATH
    "FreeRADIUS's downloaded Debian source and freeradius-config .deb (default: apt)")

function(_ispbox_fr_pkg_version pkg out)
  execute_process(COMMAND dpkg-query -W "-f=\${Status}|\${Version}" ${pkg}
                  OUTPUT_VARIABLE v ERROR_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT v MATCHES "^install ok installed\\|(.+)$")
    message(FATAL_ERROR "rlm_isp: Debian package ${pkg} is not installed: run scripts/deps.sh")
  endif()
  set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

function(ispbox_freeradius_headers)
  _ispbox_fr_pkg_version(freeradius server_version)
  _ispbox_fr_pkg_version(libfreeradius3 lib_version)
  _ispbox_fr_pkg_version(libfreeradius-dev dev_version)
  _ispbox_fr_pkg_version(freeradius-config config_version)
  if(NOT server_version STREQUAL lib_version OR NOT server_version STREQUAL dev_version OR
     NOT server_version STREQUAL config_version)
    message(FATAL_ERROR "rlm_isp: FreeRADIUS packages disagree: freeradius ${server_version}, "
            "libfreeradius3 ${lib_version}, libfreeradius-dev ${dev_version}, freeradius-config "
            "${config_version}. The module must be built against the server it loads into: "
            "apt-get install freeradius libfreeradius3 libfreeradius-dev freeradius-config "
            "(same version).")
  endif()
  set(version "${server_version}")
  # Re-run configure (and this check) whenever one of these packages is upgraded.
  foreach(pkg freeradius libfreeradius3 libfreeradius-dev freeradius-config)
    file(GLOB lists /var/lib/dpkg/info/${pkg}.list /var/lib/dpkg/info/${pkg}:*.list)
    if(lists AND NOT CMAKE_SCRIPT_MODE_FILE)
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${lists})
    endif()
  endforeach()

  set(root "${CMAKE_BINARY_DIR}/freeradius")
  set(include_dir "${root}/include")
  set(raddb_dir "${root}/raddb")
  set(stamp "${root}/version")
  set(FREERADIUS_OVERLAY_INCLUDE_DIR "${include_dir}" PARENT_SCOPE)
  set(FREERADIUS_RADDB_DIR "${raddb_dir}" PARENT_SCOPE)
  set(FREERADIUS_VERSION "${version}" PARENT_SCOPE)
  if(EXISTS "${stamp}" AND EXISTS "${include_dir}/freeradius/radiusd.h" AND
     EXISTS "${raddb_dir}/radiusd.conf")
    file(READ "${stamp}" cached)
    if(cached STREQUAL version)
      return()
    endif()
  endif()

  message(STATUS "rlm_isp: building the FreeRADIUS ${version} header overlay and raddb")
  file(REMOVE_RECURSE "${root}")
  set(fetch "${root}/fetch")
  file(MAKE_DIRECTORY "${fetch}")
  # dpkg-source names the .dsc without the epoch (none today, but be exact).
  string(REGEX REPLACE "^[0-9]+:" "" file_version "${version}")
  set(dsc "freeradius_${file_version}.dsc")
  execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE arch
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(config_deb "freeradius-config_${file_version}_${arch}.deb")

  if(ISPBOX_FREERADIUS_SOURCE_DIR)
    if(NOT EXISTS "${ISPBOX_FREERADIUS_SOURCE_DIR}/${dsc}")
      message(FATAL_ERROR "rlm_isp: ${ISPBOX_FREERADIUS_SOURCE_DIR}/${dsc} not found "
              "(ISPBOX_FREERADIUS_SOURCE_DIR must hold the source of the installed ${version})")
    endif()
    set(dsc_path "${ISPBOX_FREERADIUS_SOURCE_DIR}/${dsc}")
    set(deb_path "${ISPBOX_FREERADIUS_SOURCE_DIR}/${config_deb}")
  else()
    # As root, apt warns that it downloads unsandboxed (user _apt cannot write here): harmless.
    execute_process(COMMAND apt-get source --download-only -qq "freeradius=${version}"
                    WORKING_DIRECTORY "${fetch}" RESULT_VARIABLE rc
                    OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0 OR NOT EXISTS "${fetch}/${dsc}")
      message(FATAL_ERROR "rlm_isp: `apt-get source --download-only freeradius=${version}` "
              "failed:\n${out}${err}\n"
              "It needs a deb-src entry (scripts/deps.sh adds one) and the archive must still "
              "carry source version ${version}; if the archive has moved on, upgrade the "
              "installed packages (scripts/deps.sh, then apt-get install --only-upgrade freeradius "
              "libfreeradius3 libfreeradius-dev freeradius-config), or set "
              "ISPBOX_FREERADIUS_SOURCE_DIR.")
    endif()
    set(dsc_path "${fetch}/${dsc}")
    execute_process(COMMAND apt-get download -qq "freeradius-config=${version}"
                    WORKING_DIRECTORY "${fetch}" RESULT_VARIABLE rc
                    OUTPUT_VARIABLE out ERROR_VARIABLE err)
    set(deb_path "${fetch}/${config_deb}")
  endif()
  if(NOT EXISTS "${deb_path}")
    message(FATAL_ERROR "rlm_isp: no ${config_deb} (apt-get download freeradius-config=${version}"
            "):\n${out}${err}")
  endif()

  # Checks the tarballs against the .dsc's checksums; the signature cannot be checked without
  # debian-keyring (a warning), but apt already verified the files against the signed index.
  execute_process(COMMAND dpkg-source -x "${dsc_path}" "${fetch}/src"
                  WORKING_DIRECTORY "${fetch}" RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT EXISTS "${fetch}/src/src/include/radiusd.h")
    message(FATAL_ERROR "rlm_isp: dpkg-source -x ${dsc_path} failed:\n${out}${err}")
  endif()

  file(MAKE_DIRECTORY "${include_dir}/freeradius")
  file(GLOB installed LIST_DIRECTORIES false /usr/include/freeradius/*.h)
  file(COPY ${installed} DESTINATION "${include_dir}/freeradius")
  file(GLOB from_source LIST_DIRECTORIES false "${fetch}/src/src/include/*.h")
  set(added "")
  foreach(h IN LISTS from_source)
    get_filename_component(name "${h}" NAME)
    if(NOT EXISTS "${include_dir}/freeradius/${name}")
      file(COPY "${h}" DESTINATION "${include_dir}/freeradius")
      list(APPEND added "${name}")
    endif()
  endforeach()
  foreach(required automask.h clients.h connection.h listen.h log.h process.h tmpl.h xlat.h)
    if(NOT EXISTS "${include_dir}/freeradius/${required}")
      message(FATAL_ERROR "rlm_isp: ${required} is in neither /usr/include/freeradius nor the "
              "FreeRADIUS ${version} source")
    endif()
  endforeach()
  file(GLOB overlay LIST_DIRECTORIES false "${include_dir}/freeradius/*.h")
  foreach(h IN LISTS overlay)
    file(READ "${h}" text)
    string(REPLACE "freeradius-devel/" "freeradius/" text "${text}")
    file(WRITE "${h}" "${text}")
  endforeach()

  execute_process(COMMAND dpkg-deb -x "${deb_path}" "${fetch}/deb" RESULT_VARIABLE rc
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT EXISTS "${fetch}/deb/etc/freeradius/3.0/radiusd.conf")
    message(FATAL_ERROR "rlm_isp: dpkg-deb -x ${deb_path} failed: ${err}")
  endif()
  file(RENAME "${fetch}/deb/etc/freeradius/3.0" "${raddb_dir}")

  file(REMOVE_RECURSE "${fetch}")
  file(WRITE "${stamp}" "${version}")
  list(LENGTH added n)
  message(STATUS "rlm_isp: header overlay and raddb ready (${n} headers added from the source)")
endfunction()
