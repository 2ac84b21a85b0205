#!/usr/bin/env bash
# Makes sure Debian's chromium is at /usr/bin/chromium: the dashboard's browser tests drive it through Playwright
# (no browser is downloaded). Prints its path.
set -euo pipefail
chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "$chromium is missing; install Debian's chromium package (as root: apt-get update && apt-get install -y chromium)" >&2
    exit 1
  fi
  echo "installing Chromium (Debian package chromium)" >&2
  # The package lists may be missing or old on a fresh machine: without the update apt cannot locate the package.
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
echo "$chromium"
