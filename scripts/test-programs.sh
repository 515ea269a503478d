#!/usr/bin/env bash
# The real programs shoal's tests and benchmarks drive, and the one place that
# installs them. `.ci/run` and `npm test` both call this script; an issue that
# adds a real component (a peer, a server, a browser) adds its line here and
# nowhere else.
#
#   bash scripts/test-programs.sh install   install every package (CI)
#   bash scripts/test-programs.sh check     what `npm test` runs first: nothing
#       when all are present; installs what is missing when it may (root, or
#       sudo without a password, and apt-get); otherwise one line naming the
#       command to run, and exit 1. With SHOAL_SKIP_INTEROP=1 a missing program
#       is only reported: the suites that drive it skip, and say so at the end.
#   bash scripts/test-programs.sh packages  the package names, one per line
set -euo pipefail

# command (or check)   Debian package      what for
PROGRAMS=(
  "transmission-cli    transmission-cli    Transmission: a real peer (with transmission-create, -show)"
  "aria2c              aria2               aria2: a real peer"
  "/usr/bin/chromium   chromium            Chromium: the browser the web UI tests drive (through playwright-core, headless; no browser download)"
  "/usr/bin/firefox-esr firefox-esr       Firefox ESR: the web UI's Firefox test drives it headless over WebDriver BiDi (test/e2e/firefox-bidi.ts; loopback only)"
  "python3:libtorrent  python3-libtorrent  libtorrent (through Python): a real peer, the speed reference"
  "mktorrent           mktorrent           mktorrent: the reference of the create benchmark"
  "opentracker         opentracker         opentracker: a real tracker, the reference of the tracker benchmark"
  "ip                  iproute2            ip: network namespaces for LAN tests"
  "unshare             util-linux          unshare, taskset: the loopback-only namespace, pinning benchmarks"
  "/usr/bin/time       time                GNU time: CPU seconds of benchmarked children"
  "redis-server        redis-server        Redis: the shared swarm store of several tracker instances"
  "callgrind_control   valgrind            valgrind's callgrind: Redis's instructions per announce (bench/redis-instructions.ts)"
  "openssl             openssl             OpenSSL: certificates for the HTTPS tests"
  "transmission-daemon transmission-daemon transmission-daemon: the reference of the daemon benchmark (run with its own config dir, never as a service)"
  "python3:zeroconf    python3-zeroconf    python-zeroconf: an ordinary mDNS/DNS-SD browser that sees an advertised tracker"
)

field() { # field N LINE
  local n=$1
  shift
  # shellcheck disable=SC2086
  set -- $1
  echo "${!n}"
}

packages() {
  local line
  for line in "${PROGRAMS[@]}"; do field 2 "$line"; done
}

# True when the program of a line is there. `python3:libtorrent` means Debian's
# python3 can import the module (a pyenv python earlier on PATH may not).
present() {
  local what=$1
  case "$what" in
  python3:*) /usr/bin/python3 -c "import ${what#python3:}" >/dev/null 2>&1 ;;
  /*) [ -x "$what" ] ;;
  *) command -v "$what" >/dev/null 2>&1 ;;
  esac
}

missing_packages() {
  local line
  for line in "${PROGRAMS[@]}"; do
    present "$(field 1 "$line")" || field 2 "$line"
  done
}

# Prints the command prefix that may install packages ("" for root, "sudo -n"),
# or fails when nothing may.
installer() {
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ "$(id -u 2>/dev/null)" = 0 ]; then
    echo ""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    echo "sudo -n"
  else
    return 1
  fi
}

install_packages() { # install_packages PREFIX PACKAGE...
  local prefix=$1
  shift
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/shoal-apt.XXXXXX")
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if $prefix apt-get update -qq >"$log" 2>&1 &&
    $prefix apt-get install -y -qq "$@" >>"$log" 2>&1; then
    rm -f "$log"
  else
    echo "shoal: apt-get could not install $* (its output is in $log; last lines below)" >&2
    tail -n 5 "$log" >&2
    return 1
  fi
}

case "${1:-check}" in
packages)
  packages
  ;;
install)
  prefix=$(installer) || {
    echo "shoal: installing the test programs needs root or sudo, and apt-get: sudo apt-get install -y $(packages | tr '\n' ' ')" >&2
    exit 1
  }
  # shellcheck disable=SC2046
  install_packages "$prefix" $(packages)
  ;;
check)
  mapfile -t missing < <(missing_packages)
  [ ${#missing[@]} = 0 ] && exit 0
  if [ "${SHOAL_SKIP_INTEROP:-}" = 1 ]; then
    echo "shoal: SHOAL_SKIP_INTEROP=1 and ${missing[*]} not installed: the suites that drive them will skip" >&2
    exit 0
  fi
  if prefix=$(installer); then
    echo "shoal: installing ${missing[*]} with apt-get (real programs the tests drive; once, about a minute)" >&2
    install_packages "$prefix" "${missing[@]}"
    mapfile -t still < <(missing_packages)
    if [ ${#still[@]} != 0 ]; then
      echo "shoal: ${still[*]} still missing after apt-get install" >&2
      exit 1
    fi
  else
    echo "shoal: npm test drives real programs that are not installed; run: sudo apt-get install -y ${missing[*]} (or SHOAL_SKIP_INTEROP=1 npm test to skip those suites)" >&2
    exit 1
  fi
  ;;
*)
  echo "usage: bash scripts/test-programs.sh check|install|packages" >&2
  exit 2
  ;;
esac
