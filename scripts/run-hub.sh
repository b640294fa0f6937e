#!/usr/bin/env bash
# Builds the hub jar when needed, makes sure local PostgreSQL is up, and runs one hub on
# $HERALD_HTTP_PORT (8080). Every HERALD_* variable of docs/operations.md is passed through.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-postgres.sh

jar=hub/target/herald-hub.jar
if [ ! -f "$jar" ] || [ -n "$(find db/src hub/src pom.xml db/pom.xml hub/pom.xml -newer "$jar" -print -quit)" ]; then
  echo "building $jar ..." >&2
  mvn -q -B -DskipTests -pl hub -am package
fi

# A development token that survives restarts, so the README's curl commands keep working.
if [ -z "${HERALD_ADMIN_TOKEN:-}" ]; then
  if [ ! -s .herald-dev-token ]; then
    head -c 24 /dev/urandom | base64 | tr -d '/+=' > .herald-dev-token
  fi
  HERALD_ADMIN_TOKEN=$(cat .herald-dev-token)
  export HERALD_ADMIN_TOKEN
  echo "admin token (from .herald-dev-token): $HERALD_ADMIN_TOKEN" >&2
fi

exec java ${HERALD_JAVA_OPTS:-} -jar "$jar"
