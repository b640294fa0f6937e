#!/usr/bin/env bash
# A local Herald cluster on this machine, all on loopback:
#   scripts/run-cluster.sh start   # N nodes (HERALD_CLUSTER_SIZE, default 3): HTTP 8081.., Hazelcast 5701..
#   scripts/run-cluster.sh start --tls   # the same, the event bus over mutual TLS with test certificates
#                                  # made once by scripts/cluster-certs.sh in .herald-cluster/certs
#   scripts/run-cluster.sh status  # each node's /ready
#   scripts/run-cluster.sh stop    # SIGTERM every node (graceful: WebSockets closed with 1001)
# Logs and pid files live in .herald-cluster/. All nodes share HERALD_DB_URL (default database herald).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.herald-cluster
size=${HERALD_CLUSTER_SIZE:-3}
http_base=${HERALD_CLUSTER_HTTP_BASE:-8080}
hz_base=${HERALD_CLUSTER_PORT_BASE:-5700}
mkdir -p "$dir"

status() {
  for i in $(seq 1 "$size"); do
    printf 'node-%s http://127.0.0.1:%s  ' "$i" $((http_base + i))
    curl -s -m 2 "http://127.0.0.1:$((http_base + i))/ready" || printf 'not answering'
    echo
  done
}

case "${1:-start}" in
  start)
    tls=""
    if [ "${2:-}" = "--tls" ]; then
      certs=$dir/certs
      nodes=""
      for i in $(seq 1 "$size"); do
        [ -f "$certs/node-$i.pem" ] || nodes="$nodes node-$i"
      done
      # shellcheck disable=SC2086 # one argument per node
      [ -z "$nodes" ] || scripts/cluster-certs.sh "$certs" $nodes
      tls=yes
    elif [ -n "${2:-}" ]; then
      echo "usage: scripts/run-cluster.sh start [--tls]" >&2
      exit 2
    fi
    scripts/ensure-postgres.sh
    scripts/build-hub.sh
    HERALD_ADMIN_TOKEN=$(scripts/dev-token.sh)
    export HERALD_ADMIN_TOKEN
    members=""
    for i in $(seq 1 "$size"); do members="${members:+$members,}127.0.0.1:$((hz_base + i))"; done
    for i in $(seq 1 "$size"); do
      if [ -f "$dir/node-$i.pid" ] && kill -0 "$(cat "$dir/node-$i.pid")" 2>/dev/null; then
        echo "node-$i already running (pid $(cat "$dir/node-$i.pid"))"
        continue
      fi
      if [ -n "$tls" ]; then
        export HERALD_CLUSTER_TLS_CERT=$certs/node-$i.pem HERALD_CLUSTER_TLS_KEY=$certs/node-$i.key \
          HERALD_CLUSTER_TLS_CA=$certs/ca.pem
      fi
      HERALD_CLUSTER=true HERALD_NODE_ID="node-$i" HERALD_HTTP_PORT=$((http_base + i)) \
        HERALD_CLUSTER_HOST=127.0.0.1 HERALD_CLUSTER_PORT=$((hz_base + i)) HERALD_CLUSTER_MEMBERS="$members" \
        nohup java ${HERALD_JAVA_OPTS:-} -jar hub/target/herald-hub.jar > "$dir/node-$i.log" 2>&1 &
      echo $! > "$dir/node-$i.pid"
    done
    echo "waiting for $size nodes to form the cluster (10-20 s on 2 cores) ..."
    for _ in $(seq 1 180); do
      formed=0
      for i in $(seq 1 "$size"); do
        if curl -s -m 1 "http://127.0.0.1:$((http_base + i))/ready" | grep -q "\"cluster_members\":$size"; then
          formed=$((formed + 1))
        fi
      done
      if [ "$formed" = "$size" ]; then
        status
        echo "admin token: $HERALD_ADMIN_TOKEN"
        exit 0
      fi
      sleep 0.5
    done
    echo "the cluster did not form within 90 s; see $dir/node-*.log" >&2
    status
    exit 1
    ;;
  stop)
    for i in $(seq 1 "$size"); do
      if [ -f "$dir/node-$i.pid" ]; then
        pid=$(cat "$dir/node-$i.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        rm -f "$dir/node-$i.pid"
        echo "node-$i stopped"
      fi
    done
    ;;
  status)
    status
    ;;
  *)
    echo "usage: scripts/run-cluster.sh start [--tls]|stop|status" >&2
    exit 2
    ;;
esac
