#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the .deb packages from a build directory (CPack, into a private temporary directory) and
# checks them the way dpkg and apt see them: the packages and files expected, conffiles, the
# maintainer scripts' syntax, dependencies between our packages, every shared library an ELF file
# needs provided by a package in its Depends, and apt's view of installing them all on this
# Debian 12 machine (simulated).
#
#   tests/rootfs/packages_test.sh BUILD_DIR
set -euo pipefail
BUILD=$(realpath "$1")
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

[ -f "$BUILD/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $BUILD"
cpack -G DEB -B "$TMP" --config "$BUILD/CPackConfig.cmake" >"$TMP/cpack.log" 2>&1 ||
  { cat "$TMP/cpack.log" >&2; fail "cpack failed"; }

version=$(dpkg-deb -f "$TMP"/ispboxd_*.deb Version 2>/dev/null) || fail "no ispboxd package"
deb() { ls "$TMP/$1"_"$version"_*.deb 2>/dev/null || fail "package $1 was not built"; }

# Package: files it must contain (dpkg-deb -c paths without the leading dot).
declare -A FILES=(
  [ispbox-common]="/usr/sbin/ispbox-firstboot /lib/systemd/system/ispbox-firstboot.service /usr/share/doc/ispbox-common/copyright"
  [ispboxd]="/usr/sbin/ispboxd /lib/systemd/system/ispboxd.service /etc/ispbox/ispboxd.toml /usr/share/doc/ispboxd/copyright"
  [ispbox]="/usr/sbin/ispbox-console /lib/systemd/system/ispbox-console.service /lib/systemd/system/snmpd.service.d/ispbox.conf /etc/ispbox/snmp/snmpd.conf"
)
declare -A CONFFILES=([ispboxd]=/etc/ispbox/ispboxd.toml [ispbox]=/etc/ispbox/snmp/snmpd.conf)
if [ -f "$BUILD/rlm_isp/rlm_isp.so" ]; then
  FILES[ispbox-freeradius]="/usr/lib/freeradius/rlm_isp.so /usr/share/ispbox/freeradius/isp /usr/share/ispbox/freeradius/ispbox /usr/share/ispbox/freeradius/clients.conf /usr/lib/ispbox/freeradius-config.sh /usr/lib/ispbox/ispbox-freeradius-config /lib/systemd/system/freeradius.service.d/ispbox.conf /etc/ispbox/freeradius.env"
  CONFFILES[ispbox-freeradius]=/etc/ispbox/freeradius.env
fi
if [ -x "$BUILD/agentx/ispbox-agentx" ] || ls "$TMP"/ispbox-agentx_*.deb >/dev/null 2>&1; then
  FILES[ispbox-agentx]="/usr/sbin/ispbox-agentx /lib/systemd/system/ispbox-agentx.service"
fi

checked=0
for pkg in "${!FILES[@]}"; do
  f=$(deb "$pkg")
  [ "$(dpkg-deb -f "$f" Package)" = "$pkg" ] || fail "$f: wrong Package field"
  dpkg-deb -c "$f" | awk '{print substr($6, 2)}' >"$TMP/$pkg.files"
  for want in ${FILES[$pkg]}; do
    grep -qxF "$want" "$TMP/$pkg.files" || fail "$pkg does not contain $want"
  done
  # Nothing outside the places a package may write to, and nothing from the build tree.
  if grep -vE '^/(usr|lib|etc)(/|$)' "$TMP/$pkg.files" | grep -q .; then
    fail "$pkg installs outside /usr, /lib, /etc: $(grep -vE '^/(usr|lib|etc)(/|$)' "$TMP/$pkg.files" | head -3)"
  fi
  mkdir -p "$TMP/ctl/$pkg" "$TMP/root/$pkg"
  dpkg-deb -e "$f" "$TMP/ctl/$pkg"
  dpkg-deb -x "$f" "$TMP/root/$pkg"
  want_conf=${CONFFILES[$pkg]:-}
  if [ -n "$want_conf" ]; then
    grep -qxF "$want_conf" "$TMP/ctl/$pkg/conffiles" 2>/dev/null || fail "$pkg: $want_conf is not a conffile"
  fi
  # Every file under /etc is a conffile (dpkg must not overwrite the administrator's changes).
  while read -r path; do
    [ -f "$TMP/root/$pkg$path" ] || continue
    grep -qxF "$path" "$TMP/ctl/$pkg/conffiles" 2>/dev/null || fail "$pkg: $path is not a conffile"
  done < <(grep '^/etc/' "$TMP/$pkg.files")
  for s in postinst prerm postrm; do
    [ -f "$TMP/ctl/$pkg/$s" ] || continue
    [ -x "$TMP/ctl/$pkg/$s" ] || fail "$pkg: $s is not executable"
    sh -n "$TMP/ctl/$pkg/$s" || fail "$pkg: $s has a syntax error"
    ! grep -q '@HELPERS@' "$TMP/ctl/$pkg/$s" || fail "$pkg: $s still has the @HELPERS@ placeholder"
  done
  depends=$(dpkg-deb -f "$f" Depends)
  if [ "$pkg" != ispbox-common ]; then
    grep -qF "ispbox-common (= $version)" <<<"$depends" || fail "$pkg does not depend on ispbox-common (= $version)"
  fi
  # Every library an ELF file needs comes from a package this one depends on.
  while read -r elf; do
    [ "$(head -c4 "$elf" | tail -c3)" = ELF ] || continue
    while read -r lib; do
      path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !f {print $NF; f = 1}')
      [ -n "$path" ] || path=$(ls /usr/lib/freeradius/"$lib" 2>/dev/null || true)
      [ -n "$path" ] || fail "$pkg: ${elf#"$TMP/root/$pkg"} needs $lib, not found on this machine"
      # Every reader here reads its whole input: one that quits early (head -1, awk's exit,
      # grep -q) can kill the writer with SIGPIPE, which pipefail and set -e turn into a silent exit.
      owner=$(dpkg -S "$(realpath "$path")" 2>/dev/null | sed -n '1s/:.*//p' || true)
      [ -n "$owner" ] || owner=$(dpkg -S "$path" 2>/dev/null | sed -n '1s/:.*//p' || true)
      [ -n "$owner" ] || fail "$pkg: no package owns $path"
      tr ',|' '\n\n' <<<"$depends" | awk '{print $1}' | grep -xF "$owner" >/dev/null ||
        fail "$pkg: ${elf#"$TMP/root/$pkg"} needs $lib from $owner, which is not in Depends: $depends"
    done < <(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    checked=$((checked + 1))
  done < <(find "$TMP/root/$pkg" -type f \( -perm -u+x -o -name '*.so' \))
  # The systemd units parse (no unknown sections or keys).
  for unit in "$TMP/root/$pkg"/lib/systemd/system/*.service; do
    [ -f "$unit" ] || continue
    if grep -vE '^\s*(#|$|\[(Unit|Service|Install)\]|[A-Za-z]+=)' "$unit" | grep -q .; then
      fail "$pkg: $(basename "$unit") has a line that is not a key=value"
    fi
  done
done
[ "$checked" -gt 0 ] || fail "no ELF file was checked"
[ "$(dpkg-deb -f "$(deb ispbox)" Architecture)" = all ] || fail "ispbox should be Architecture: all"

# apt's view: all of them together install on this machine (simulated; needs apt's lists).
if [ "$(id -u)" -eq 0 ] && [[ $(apt-cache policy snmpd 2>/dev/null) == *Candidate:* ]]; then
  debs=()
  for pkg in "${!FILES[@]}"; do debs+=("$(deb "$pkg")"); done
  apt-get install -s --no-install-recommends "${debs[@]}" >"$TMP/apt.log" 2>&1 ||
    { cat "$TMP/apt.log" >&2; fail "apt cannot install the packages"; }
  for pkg in "${!FILES[@]}"; do
    grep -qE "^(Inst|Conf) $pkg " "$TMP/apt.log" || fail "apt would not install $pkg"
  done
  echo "apt: the ${#debs[@]} packages install together (simulated)"
else
  echo "apt check skipped (needs root and apt lists)"
fi
echo "packages OK: ${!FILES[*]} ($checked ELF files' libraries covered by Depends)"
