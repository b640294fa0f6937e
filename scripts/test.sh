#!/usr/bin/env bash
# Runs the whole test suite against the local PostgreSQL (started if it is down) and ends with
# one summary line over every module: "Tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-postgres.sh || exit 1
scripts/ensure-chromium.sh || exit 1
scripts/ensure-etcd.sh || exit 1

mvn -B -ntp clean verify "$@"
status=$?

python3 - <<'PY'
import glob, xml.etree.ElementTree as ET
tests = failed = skipped = 0
for f in glob.glob('**/target/surefire-reports/TEST-*.xml', recursive=True) + glob.glob('**/target/failsafe-reports/TEST-*.xml', recursive=True):
    r = ET.parse(f).getroot()
    tests += int(r.get('tests', 0))
    failed += int(r.get('failures', 0)) + int(r.get('errors', 0))
    skipped += int(r.get('skipped', 0))
print(f"Tests: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
exit $status
