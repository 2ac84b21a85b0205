#!/usr/bin/env bash
# Makes sure the PostgreSQL server binaries are on this machine (Debian's postgresql package); the tests start
# their own throwaway cluster from them. Prints the bin folder.
set -euo pipefail
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL server binaries are missing; install Debian's postgresql package (as root: apt-get install -y postgresql)" >&2
    exit 1
  fi
  echo "installing PostgreSQL (Debian package postgresql)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi
echo "$bin"
