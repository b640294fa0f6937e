#!/usr/bin/env bash
# Builds hub/target/herald-hub.jar when it is missing or older than the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=hub/target/herald-hub.jar
if [ ! -f "$jar" ] || [ -n "$(find db/src hub/src pom.xml db/pom.xml hub/pom.xml -newer "$jar" -print -quit)" ]; then
  echo "building $jar ..." >&2
  mvn -q -B -DskipTests -pl hub -am package
fi
