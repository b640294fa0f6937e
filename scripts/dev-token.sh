#!/usr/bin/env bash
# Prints the admin token for local runs: $HERALD_ADMIN_TOKEN, else one kept in .herald-dev-token.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${HERALD_ADMIN_TOKEN:-}" ]; then
  echo "$HERALD_ADMIN_TOKEN"
  exit 0
fi
if [ ! -s .herald-dev-token ]; then
  head -c 24 /dev/urandom | base64 | tr -d '/+=' > .herald-dev-token
fi
cat .herald-dev-token
