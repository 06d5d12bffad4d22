#!/bin/sh
# Set up everything Samluat needs on Debian/Ubuntu, then start the app or run the tests.
#
#   sh build/dev.sh app     # set up, then open the desktop app on the study's forms
#   sh build/dev.sh test    # set up, then run lint, types, import contracts and all tests
#
# Idempotent: re-running only installs what is missing.
set -eu
cd "$(dirname "$0")/.."

mode="${1:-}"
case "$mode" in
  app|test|setup) shift ;;
  *) echo "usage: sh build/dev.sh app|test|setup" >&2; exit 2 ;;
esac

# Debian packages: Lao fonts, the Qt runtime libraries, a virtual screen for
# screenshots, poppler for looking at PDFs, venv support for Python, and a
# PostgreSQL server that the central-store tests start on their own.
DEB_PACKAGES="python3-venv fonts-noto-core libegl1 libgl1 libglib2.0-0 libxkbcommon0 \
libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
libxcb-shape0 libxcb-randr0 libxcb-render-util0 libxcb-xinerama0 libxcb-image0 xvfb xauth \
poppler-utils postgresql libpulse0"

if command -v dpkg-query >/dev/null 2>&1; then
  missing=""
  for pkg in $DEB_PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing="$missing $pkg"
    fi
  done
  if [ -n "$missing" ]; then
    echo "Installing Debian packages:$missing"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
  fi
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "Samluat needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.samluat-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$stamp"
fi

case "$mode" in
  setup) echo "Samluat is set up in .venv" ;;
  app) exec .venv/bin/samluat-app "$@" ;;
  test)
    .venv/bin/ruff check .
    .venv/bin/mypy
    .venv/bin/lint-imports
    exec .venv/bin/python -m pytest "$@"
    ;;
esac
