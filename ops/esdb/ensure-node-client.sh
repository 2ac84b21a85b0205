#!/usr/bin/env bash
# Installs the official KurrentDB Node.js client (pinned in ops/bench/esdb-node/package.json) for the interoperability
# tests and the esdb-append bench, when it is not there yet. Node.js and npm must be on the machine.
set -euo pipefail
cd "$(dirname "$0")/../bench/esdb-node"
if [ ! -d node_modules/@kurrent/kurrentdb-client ]; then
  command -v npm >/dev/null || { echo "npm is needed for the official KurrentDB client (apt-get install -y nodejs npm)" >&2; exit 1; }
  npm install --no-audit --no-fund --no-package-lock >/dev/null
fi
