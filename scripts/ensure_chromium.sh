#!/usr/bin/env bash
# The browser the end-to-end tests drive (tests/webui/, Playwright with executable_path): Debian's `chromium`.
# Quiet when /usr/bin/chromium is there; otherwise installs the package with apt-get (needs root or password-less
# sudo). Playwright's own browser download (`playwright install`) is not used: it does not work on every machine.
# MOTCUA_CHROMIUM overrides the path that is checked (the tests read the same variable).
set -euo pipefail

CHROMIUM="${MOTCUA_CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0

die() { echo "ensure_chromium: ERROR: $*" >&2; exit 1; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root to run: $*"
  fi
}

command -v apt-get >/dev/null 2>&1 || die "$CHROMIUM is missing and there is no apt-get to install Debian's chromium"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[ -x "$CHROMIUM" ] || die "installed the chromium package, but $CHROMIUM is still missing"
echo "ensure_chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
