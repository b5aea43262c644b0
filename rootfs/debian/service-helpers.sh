# Shared by the maintainer scripts (inserted by rootfs/CMakeLists.txt in place of the HELPERS placeholder).
systemd_running() { [ -d /run/systemd/system ]; }
# Enables a unit on first install; on upgrade keeps the administrator's choice.
enable_unit() {
  if deb-systemd-helper --quiet was-enabled "$1"; then
    deb-systemd-helper enable "$1" >/dev/null || true
  elif [ -z "${2:-}" ]; then
    deb-systemd-helper enable "$1" >/dev/null || true
  else
    deb-systemd-helper update-state "$1" >/dev/null || true
  fi
}
reload_systemd() { if systemd_running; then systemctl --system daemon-reload >/dev/null || true; fi; }
restart_unit() { if systemd_running; then deb-systemd-invoke restart "$@" >/dev/null || true; fi; }
stop_unit() { if systemd_running; then deb-systemd-invoke stop "$@" >/dev/null || true; fi; }
add_system_user() { # name
  getent passwd "$1" >/dev/null ||
    useradd --system --gid ispbox --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin --comment "ispbox $1" "$1"
}
