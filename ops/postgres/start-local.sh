#!/usr/bin/env bash
# Starts a local PostgreSQL for Ledger in a folder of your choice (default ./.ledger-postgres), on 127.0.0.1.
# Usage: ops/postgres/start-local.sh [data-folder] [port]
# Prints the connection string to use with: ledger --store "postgres:<connection string>"
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$("$here/ensure-installed.sh")
data=$(realpath -m "${1:-.ledger-postgres}")
port=${2:-5433}
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the postgres user.
  as_owner=(runuser -u postgres --)
  mkdir -p "$data"
  chown postgres "$data"
fi
if [ ! -f "$data/PG_VERSION" ]; then
  "${as_owner[@]}" "$bin/initdb" -D "$data" -U ledger --auth=trust --locale=C.UTF-8 --encoding=UTF8 >/dev/null
fi
"${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $data" start >/dev/null
"$bin/createdb" -h 127.0.0.1 -p "$port" -U ledger ledger 2>/dev/null || true
echo "Host=127.0.0.1;Port=$port;Username=ledger;Database=ledger"
echo "stop it with: ${as_owner[*]} $bin/pg_ctl -D $data stop" >&2
