#!/usr/bin/env bash
# The one set-up command, for people and for CI (.ci/run):
#   bash scripts/setup.sh          what the app needs, then:  .venv/bin/nimeet
#   bash scripts/setup.sh --dev    and what the tests need, then:  .venv/bin/python -m pytest
# On apt systems (Debian, Ubuntu) it installs the missing system packages itself (as root, or through sudo); it
# checks each by the library or command it provides, so a second run installs nothing. Then a Python 3.11-3.13
# virtual environment in .venv with NIMeet installed into it (editable), re-installed only when pyproject.toml
# changed.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    -h | --help)
      sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "setup.sh: unknown option $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

say() { echo "setup.sh: $*"; }

# ---- a Python 3.11-3.13 ------------------------------------------------------------------------------------------

python_ok() { # the interpreter runs, is 3.11-3.13, and can make a venv with pip in it (Debian splits that off)
  "$1" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null
}
find_python() {
  local candidate
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# ---- system packages ---------------------------------------------------------------------------------------------

have_apt=0
command -v apt-get >/dev/null 2>&1 && have_apt=1
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    return 1
  fi
}
# apt-get install "$@" with a one-line reason; where that is impossible, say what is needed and carry on (the app
# then names what is missing when it starts).
install_packages() {
  local why=$1
  shift
  if ((have_apt == 0)); then
    say "please install with your package manager: $* ($why)"
    return 0
  fi
  say "installing $* ($why)"
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    say "cannot install them (not root, no sudo); as root run: apt-get install $*"
    return 0
  fi
  local log
  log=$(mktemp)
  # apt's chatter goes to a log, shown only when something fails.
  if ! { [ -n "${apt_updated:-}" ] || as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq; } >"$log" 2>&1 ||
    ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    say "installing $* failed" >&2
    return 1
  fi
  apt_updated=1
  rm -f "$log"
}

python=$(find_python || true)
if [ -z "$python" ]; then
  install_packages "NIMeet runs on Python 3.11-3.13" python3 python3-venv
  python=$(find_python || true)
  if [ -z "$python" ]; then
    say "no Python 3.11-3.13 found; install one (e.g. python3.12) and run this again" >&2
    exit 1
  fi
fi
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  install_packages "Debian's Python cannot make a virtual environment without it" "python$version-venv"
fi

# Libraries in the loader's cache (ldconfig lives in /sbin, which a normal user's PATH may lack). Elsewhere than on
# Linux the system libraries are not ours to check: Qt's and PortAudio's wheels bring their own.
if [ "$(uname -s)" = Linux ]; then
  ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
  libraries=$("$ldconfig" -p 2>/dev/null | awk 'NR > 1 { print $1 }' | sort -u || true)
  have_library() { grep -qxF "$1" <<<"$libraries"; }
else
  have_library() { true; }
fi

# What Qt (GUI, widgets, network, SVG) and its xcb platform plugin link, library by library: the table the app's
# own start-up check uses (nimeet_desktop/qt_preflight.py), so the two never disagree.
table=$(PYTHONPATH=. "$python" -c '
from nimeet_desktop.qt_preflight import DEBIAN_PACKAGES
for library, package in DEBIAN_PACKAGES.items():
    print(library, package)')
missing=()
while read -r library package; do
  have_library "$library" || missing+=("$package")
done <<<"$table"
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  install_packages "libraries Qt needs to open a window" "${missing[@]}"
fi
have_library libportaudio.so.2 || install_packages "PortAudio: the microphone and the speaker" libportaudio2
# Without any font Qt shows no text (and warns, which fails a UI test).
if [ "$(uname -s)" = Linux ] && ! { command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q .; }; then
  install_packages "a font for the window's text" fontconfig fonts-dejavu-core
fi
# Reactions in meetings (👍 👏 …) are emoji: without a font that has them they show as empty boxes.
if [ "$(uname -s)" = Linux ] && ! { command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi emoji; }; then
  install_packages "a font for the reactions' emoji" fonts-noto-color-emoji
fi
# pynput (push-to-talk's key listener) depends on evdev on Linux, which PyPI has only as source: pip builds it with
# a C compiler, the kernel's input headers and Python's own. (The installers bundle no evdev: they never compile.)
if [ "$(uname -s)" = Linux ]; then
  build=()
  command -v cc >/dev/null 2>&1 || build+=(gcc libc6-dev)
  [ -e /usr/include/linux/input.h ] || build+=(linux-libc-dev)
  if ! "$python" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
    build+=("python$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-dev")
  fi
  ((${#build[@]} == 0)) || install_packages "pip builds pynput's evdev from source" "${build[@]}"
fi
if ((dev)); then
  # The tests start a throwaway PostgreSQL cluster of their own, an X server (Xvfb) for screen capture, coturn,
  # Redis and Janus.
  if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then
    install_packages "the tests run the server on PostgreSQL too" postgresql
  fi
  command -v Xvfb >/dev/null 2>&1 || install_packages "the screen-capture tests run an X server of their own" xvfb
  command -v trayer >/dev/null 2>&1 || install_packages "the tray test embeds the tray icon in a tray host" trayer
  command -v dbus-daemon >/dev/null 2>&1 || install_packages "the file manager tests run a D-Bus session bus" dbus
  command -v gdbus >/dev/null 2>&1 || install_packages "Show in folder asks the file manager through gdbus" libglib2.0-bin
  if ! command -v turnserver >/dev/null 2>&1; then
    install_packages "the TURN tests run a coturn of their own between network namespaces" coturn
    # Debian may start coturn's system service on install, on every interface: the tests need only the program, so
    # the service just installed is stopped and disabled (a coturn that was here before is left alone).
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet coturn 2>/dev/null; then
      as_root systemctl disable --now coturn >/dev/null 2>&1 || true
    fi
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    install_packages "the tests run several server nodes on a Redis of their own" redis-server
    # As with coturn: the tests start their own throwaway Redis; the system service just installed is not needed.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
      as_root systemctl disable --now redis-server >/dev/null 2>&1 || true
    fi
  fi
  if ! command -v janus >/dev/null 2>&1; then
    install_packages "the SFU tests run a Janus of their own (deploy/janus's configuration)" janus
    # Debian starts Janus's system service on install with its sample configuration (sample rooms, every plugin,
    # the API on every interface): the tests need only the program, so the service just installed is stopped and
    # disabled (a Janus that was here before is left alone).
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet janus 2>/dev/null; then
      as_root systemctl disable --now janus >/dev/null 2>&1 || true
    fi
  fi
  # tests/frozen builds the installers: PyInstaller and packaging/prune.py read and strip ELF files.
  { command -v readelf && command -v strip; } >/dev/null 2>&1 || install_packages "building the installers" binutils
fi

# ---- the virtual environment --------------------------------------------------------------------------------------

if [ -x .venv/bin/python ] && ! python_ok .venv/bin/python; then
  say ".venv has $(.venv/bin/python --version 2>&1 || echo 'a broken Python'); making it again with $python"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $("$python" --version)"
  "$python" -m venv .venv
fi
extra=$([ "$dev" -eq 1 ] && echo '[dev]' || true)
# Installing again is skipped when nothing it depends on changed: pyproject.toml and the extras asked for.
stamp=".venv/.nimeet-installed"
project=$({ sha256sum pyproject.toml 2>/dev/null || shasum -a 256 pyproject.toml; } | cut -d' ' -f1)
wanted="$project .$extra"
installed=$(cat "$stamp" 2>/dev/null || true)
if [ "$installed" != "$wanted" ] && [ "$installed" != "$project .[dev]" ]; then  # [dev] includes the rest
  say "installing NIMeet into .venv (pip install -e '.$extra')"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extra"
  echo "$wanted" >"$stamp"
fi
say "ready ($(.venv/bin/python --version))"
