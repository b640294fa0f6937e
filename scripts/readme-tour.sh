#!/usr/bin/env bash
# Runs the README's "A 30-second tour" as a test. It takes the tour's bash block from README.md
# itself (so the README cannot drift from what is tested), starts a hub from the jar on a free port
# against a fresh database, runs every command of the block in order, and checks every answer:
# HTTP status and the fields that matter. localhost:8080 becomes the chosen port and
# .herald-dev-token a temporary file holding this hub's admin token; nothing else is rewritten.
# Prints PASS or FAIL per step and exits 0 only when every step passed. The hub is stopped and the
# database dropped however the run ends (failure, Ctrl-C, SIGTERM).
#
#   scripts/readme-tour.sh [path/to/herald-hub.jar]      (default: hub/target/herald-hub.jar)
#
# Needs java, curl, python3 and psql. The PostgreSQL server is the one tests use:
# $HERALD_TEST_DB_URL, default postgresql://postgres@127.0.0.1:5432/postgres.
# When the README's tour changes, update STEPS below (the run says so when they disagree).
set -uo pipefail

tour_root=$(cd "$(dirname "$0")/.." && pwd)
tour_jar=${1:-$tour_root/hub/target/herald-hub.jar}
tour_server=${HERALD_TEST_DB_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
tour_db=herald_tour_$(date +%s)_$$
tour_work=$(mktemp -d "${TMPDIR:-/tmp}/herald-tour.XXXXXX")
tour_hub_pid=

tour_cleanup() {
  local status=$?
  if [ -n "$tour_hub_pid" ] && kill -0 "$tour_hub_pid" 2>/dev/null; then
    kill "$tour_hub_pid" 2>/dev/null # SIGTERM: the hub shuts down cleanly
    for _ in $(seq 1 100); do
      kill -0 "$tour_hub_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$tour_hub_pid" 2>/dev/null
  fi
  if ! psql -q -X "$tour_server" -c "DROP DATABASE IF EXISTS \"$tour_db\" WITH (FORCE)" >/dev/null 2>&1; then
    echo "readme-tour: could not drop database $tour_db" >&2
  fi
  rm -rf "$tour_work"
  exit "$status"
}
trap tour_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat > "$tour_work/tour.py" <<'PY'
import json, re, sys

# One entry per command of the tour's block, in order: a pattern the command must match (so a
# changed tour fails with a clear message instead of checking the wrong answer), the expected HTTP
# status (None: not a curl call, only its exit status counts), what the answer must hold, and
# that check. The hub starts empty, so versions are 1, 2, 3, 4.
STEPS = [
    (r"^TOKEN=\$\(cat ", None, "sets TOKEN, H and J", None),
    (r"-X POST \S+/v1/namespaces/payments\.prod/revisions ", 201, "version 1, kind write, 2 changes",
     lambda b: b["version"] == 1 and b["kind"] == "write" and b["change_count"] == 2),
    (r"-X PUT -H 'If-Match: \"1\"' \S+/v1/namespaces/payments\.prod/entries/db/pool -d", 200, "version 2",
     lambda b: b["version"] == 2 and b["kind"] == "write"),
    (r" \S+/v1/namespaces/payments\.prod$", 200, 'version 2: db/pool {"size":20}, feature.x true',
     lambda b: b["version"] == 2 and b["entries"] == {"db/pool": {"size": 20}, "feature.x": True}),
    (r"/v1/namespaces/payments\.prod\?version=1'$", 200, "version 1: db/pool 10, feature.x true",
     lambda b: b["version"] == 1 and b["entries"] == {"db/pool": 10, "feature.x": True}),
    (r"/v1/namespaces/payments\.prod/revisions$", 200, "head 2, revisions 2 then 1",
     lambda b: b["head"] == 2 and [r["version"] for r in b["revisions"]] == [2, 1]),
    (r"/v1/namespaces/payments\.prod/revisions/2$", 200, "revision 2 puts db/pool",
     lambda b: b["version"] == 2 and b["changes"] == [{"key": "db/pool", "op": "put", "value": {"size": 20}}]),
    (r"/v1/namespaces/payments\.prod/diff\?from=1&to=2'$", 200, "db/pool changed from 10 to {\"size\":20}",
     lambda b: b["changes"] == [{"key": "db/pool", "change": "changed", "op": "put", "old_value": 10,
                                 "value": {"size": 20}}]),
    (r"-X POST \S+/v1/namespaces/payments\.prod/rollback ", 201, "version 3, kind rollback, rollback_to 1",
     lambda b: b["version"] == 3 and b["kind"] == "rollback" and b["rollback_to"] == 1),
    (r"/v1/namespaces/payments\.prod/clients$", 200, "no clients",
     lambda b: b["namespace"] == "payments.prod" and b["clients"] == []),
    (r"/v1/namespaces/payments\.prod/versions/3/acks$", 200, "rollout of version 3, complete, nobody pending",
     lambda b: b["version"] == 3 and b["complete"] is True and b["pending"] == 0),
    (r"/v1/namespaces/payments\.prod/watch\?since=3&timeout=30s' &$", 200, "delta 3 -> 4: feature.x false",
     lambda b: b["type"] == "delta" and b["base"] == 3 and b["version"] == 4
     and b["changes"] == [{"key": "feature.x", "op": "put", "value": False}]),
    (r"-X PUT \S+/v1/namespaces/payments\.prod/entries/feature\.x -d 'false'$", 200, "version 4",
     lambda b: b["version"] == 4),
    (r"^wait$", None, "the long poll has answered", None),
    (r"-X POST \S+/v1/tokens ", 201, "a client token for payments.*, shown once",
     lambda b: b["role"] == "client" and b["namespaces"] == ["payments.*"] and b["token"].startswith("hrld_")),
]


def extract(readme, port, token_file):
    """The tour's commands, continuation lines joined, comments dropped; NUL-separated on stdout."""
    text = open(readme, encoding="utf-8").read()
    m = re.search(r"^## A 30-second tour\n.*?^```bash\n(.*?)^```", text, re.S | re.M)
    if not m:
        sys.exit("FAIL README.md has no ```bash block under '## A 30-second tour'")
    commands = []
    for line in m.group(1).replace("\\\n", " ").split("\n"):
        s = line.strip()
        if s and not s.startswith("#"):
            commands.append(s)
    if len(commands) != len(STEPS):
        sys.exit(f"FAIL the README's tour has {len(commands)} commands, scripts/readme-tour.sh knows "
                 f"{len(STEPS)}: update STEPS there")
    for i, (cmd, (pattern, *_)) in enumerate(zip(commands, STEPS), 1):
        if not re.search(pattern, cmd):
            sys.exit(f"FAIL step {i}: the README's command\n  {cmd}\nno longer matches /{pattern}/: "
                     "update STEPS in scripts/readme-tour.sh")
    for cmd in commands:
        cmd = cmd.replace("localhost:8080", f"localhost:{port}").replace(".herald-dev-token", token_file)
        sys.stdout.write(cmd + "\0")


def check(step, cmd, rc, work):
    pattern, status, what, test = STEPS[step - 1]
    shown = cmd if len(cmd) <= 110 else cmd[:107] + "..."
    head = f"step {step:2}/{len(STEPS)}: {shown}\n         expected"
    if status is None:
        ok = rc == 0
        print(f"{'PASS' if ok else 'FAIL'} {head} exit 0 ({what}); got exit {rc}")
        return ok
    try:
        got = open(f"{work}/{step}.status").read().strip()
        body = open(f"{work}/{step}.body", encoding="utf-8").read()
    except OSError:
        print(f"FAIL {head} a curl call; none ran (exit {rc})")
        return False
    problem = None
    if rc != 0:
        problem = f"curl exit {rc}"
    elif got != str(status):
        problem = f"status {got}"
    else:
        try:
            if not test(json.loads(body)):
                problem = "another answer"
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
            problem = f"an answer without what was checked ({type(e).__name__}: {e})"
    if problem is None:
        print(f"PASS {head} {status}, {what}")
        return True
    print(f"FAIL {head} {status}, {what}; got {problem}: {body[:400]}")
    return False


if __name__ == "__main__":
    if sys.argv[1] == "extract":
        extract(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(0 if check(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]) else 1)
PY

# The interpreter itself, not a version manager's shim: it runs once per step.
tour_python=$(python3 -c 'import sys; print(sys.executable)')
if [ ! -f "$tour_jar" ]; then
  echo "FAIL no hub jar at $tour_jar (mvn -B -DskipTests package builds it)"
  exit 1
fi
tour_port=$("$tour_python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tour_token=tour-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
echo "$tour_token" > "$tour_work/token"
if ! "$tour_python" "$tour_work/tour.py" extract "$tour_root/README.md" "$tour_port" "$tour_work/token" \
    > "$tour_work/commands"; then
  exit 1
fi

# The hub runs detached from this shell (started by a subshell that exits at once), so that the
# tour's own `wait` waits for the tour's background commands only. Only our HERALD_* reach it.
tour_env=(env)
for v in $(compgen -e | grep '^HERALD_'); do tour_env+=(-u "$v"); done
( "${tour_env[@]}" HERALD_HTTP_PORT="$tour_port" HERALD_HTTP_HOST=127.0.0.1 \
    HERALD_DB_URL="${tour_server%/*}/$tour_db" HERALD_ADMIN_TOKEN="$tour_token" HERALD_NODE_ID=readme-tour \
    java -Xmx256m -XX:TieredStopAtLevel=1 -jar "$tour_jar" > "$tour_work/hub.log" 2>&1 &
  echo $! > "$tour_work/hub.pid" )
tour_hub_pid=$(cat "$tour_work/hub.pid")

tour_ready=
for _ in $(seq 1 600); do
  if curl -sf -o /dev/null "http://127.0.0.1:$tour_port/ready"; then
    tour_ready=1
    break
  fi
  kill -0 "$tour_hub_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$tour_ready" ]; then
  echo "FAIL the hub did not become ready on port $tour_port; its log:"
  tail -n 40 "$tour_work/hub.log"
  exit 1
fi
echo "hub ready on port $tour_port, database $tour_db"

# Every curl of the tour writes its answer to files of its step; the README's options stay as they are.
curl() {
  command curl -sS --max-time 40 -o "$tour_work/$tour_step.body" -w '%{http_code}' "$@" > "$tour_work/$tour_step.status"
}

tour_step=0
tour_failed=0
tour_deferred=()
tour_check() { # step command exit-status
  "$tour_python" "$tour_work/tour.py" check "$1" "$2" "$3" "$tour_work" || tour_failed=$((tour_failed + 1))
}
while IFS= read -r -d '' -u 3 tour_cmd; do
  tour_step=$((tour_step + 1))
  eval "$tour_cmd"
  tour_rc=$?
  if [[ "$tour_cmd" == *"&" ]]; then
    tour_deferred+=("$tour_step" "$tour_cmd") # its answer is checked once the tour has waited for it
    continue
  fi
  tour_check "$tour_step" "$tour_cmd" "$tour_rc"
  if [ "$tour_cmd" = wait ]; then
    for ((i = 0; i < ${#tour_deferred[@]}; i += 2)); do
      tour_check "${tour_deferred[i]}" "${tour_deferred[i + 1]}" 0
    done
    tour_deferred=()
  fi
done 3< "$tour_work/commands"
wait
for ((i = 0; i < ${#tour_deferred[@]}; i += 2)); do
  tour_check "${tour_deferred[i]}" "${tour_deferred[i + 1]}" 0
done

if [ "$tour_failed" -gt 0 ]; then
  echo "FAIL README tour: $tour_failed of $tour_step steps failed; the hub's log ends with:"
  tail -n 20 "$tour_work/hub.log"
  exit 1
fi
echo "PASS README tour: all $tour_step steps"
