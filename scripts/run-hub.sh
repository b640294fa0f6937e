#!/usr/bin/env bash
# Builds the hub jar when needed, makes sure local PostgreSQL is up, and runs one hub on
# $HERALD_HTTP_PORT (8080). Every HERALD_* variable of docs/operations.md is passed through.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-postgres.sh
scripts/build-hub.sh

# A development token that survives restarts, so the README's curl commands keep working.
HERALD_ADMIN_TOKEN=$(scripts/dev-token.sh)
export HERALD_ADMIN_TOKEN
echo "admin token: $HERALD_ADMIN_TOKEN" >&2

exec java ${HERALD_JAVA_OPTS:-} -jar hub/target/herald-hub.jar
