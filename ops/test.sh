#!/usr/bin/env bash
# The README's test command: builds once, runs every test project, and ends with one line
# "N passed, N failed, N skipped" summed over all test projects.
set -uo pipefail
cd "$(dirname "$0")/.."

# Snapshots are committed: a missing one is a failure, never silently created.
export SNAPSHOOTER_STRICT_MODE=true
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The store tests start a throwaway PostgreSQL cluster from the server binaries; install them if missing.
bash ops/postgres/ensure-installed.sh >/dev/null || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
# The dashboard's browser tests drive Debian's chromium; install it if missing.
bash ops/browser/ensure-installed.sh >/dev/null || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
# The EventStoreDB interoperability tests drive the official KurrentDB Node.js client; install it if missing.
bash ops/esdb/ensure-node-client.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

started=$SECONDS
dotnet build Ledger.sln -c Release -warnaserror --nologo -v quiet || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
echo "== build ($((SECONDS - started)) s)"

log=$(mktemp)
status=0
for project in tests/*/*.csproj; do
  out=$(mktemp)
  started=$SECONDS
  dotnet test "$project" -c Release --no-build --nologo > "$out" 2>&1 || status=1
  echo "== $project ($((SECONDS - started)) s)"
  cat "$out" >> "$log"
  grep -E '^\s*(Passed|Failed)!' "$out" || true
  # Each failure with its message and the top of its stack, so that a CI log says why.
  awk '/^ *Failed [A-Za-z]/ { n = 60; trace = -1 }
       n > 0 { print; n--; if ($0 ~ /Stack Trace:/) trace = 6 }
       trace > 0 { if (--trace == 0) n = 0 }' "$out"
  grep -E '(error|warning) [A-Z]+[0-9]+:' "$out" | head -20 || true
  rm -f "$out"
done

summary=$(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+' "$log" |
  sed -E 's/.*Failed: +([0-9]+), +Passed: +([0-9]+), +Skipped: +([0-9]+).*/\1 \2 \3/' |
  awk '{f+=$1; p+=$2; s+=$3} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}')
projects=$(ls tests/*/*.csproj | wc -l)
ran=$(grep -cE '(Passed|Failed)! +- +Failed' "$log")
rm -f "$log"
if [ "$ran" -ne "$projects" ]; then
  echo "only $ran of $projects test projects reported results"
  status=1
fi
echo "$summary"
exit $status
