#!/usr/bin/env bash
# Runs the PrintChanges example against a hub: print-changes.sh HUB_URL TOKEN NAMESPACE
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f client-sdk/target/classpath.txt ] || [ ! -f client-sdk/target/herald-client-sdk-0.1.0-SNAPSHOT.jar ]; then
  mvn -q -B -DskipTests -pl client-sdk -am install
  mvn -q -B -pl client-sdk dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=target/classpath.txt
fi
exec java -cp "client-sdk/target/herald-client-sdk-0.1.0-SNAPSHOT.jar:$(cat client-sdk/target/classpath.txt)" \
  client-sdk/examples/PrintChanges.java "$@"
