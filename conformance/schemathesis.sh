#!/usr/bin/env bash
# schemathesis (every check, bounded examples, stateful links) against a fresh sandbox with
# docs/openapi.yaml. Prints the summary line; exits non-zero on any failure.
#
# usage: conformance/schemathesis.sh SANDBOX_BIN SCHEMATHESIS [extra schemathesis args...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=$1
schemathesis=$2
shift 2
# shellcheck source=conformance/sandbox.sh
. "$here/sandbox.sh"
trap stop_sandbox EXIT
start_sandbox "$bin" --settle-delay-ms 50
# CONFORMANCE_REPORT_DIR keeps the NDJSON report of every case (for a failure's details).
if [ -n "${CONFORMANCE_REPORT_DIR:-}" ]; then
  report=$CONFORMANCE_REPORT_DIR
  mkdir -p "$report"
else
  report=$(mktemp -d)
  trap 'stop_sandbox; rm -rf "$report"' EXIT
fi
start=$(date +%s)
status=0
# Run from the report folder: schemathesis keeps a .schemathesis/ cache in its working directory.
cd "$report"
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here" "$schemathesis" --config-file "$here/schemathesis.toml" run \
  "$root/docs/openapi.yaml" --url "$SANDBOX_URL" \
  --checks all --max-examples "${CONFORMANCE_MAX_EXAMPLES:-20}" --seed 14 \
  --workers 2 --generation-database none --no-color \
  --report ndjson --report-dir "$report" "$@" >"$report/out.txt" 2>&1 || status=$?
elapsed=$(( $(date +%s) - start ))
if [ "$status" != 0 ]; then
  cat "$report/out.txt"
  exit "$status"
fi
# The lines that give the figures: operations, test cases, checks, time.
grep -E "API Operations|Test Phases|Examples|Coverage|Fuzzing|Stateful|test cases|passed|Checks|Seed" "$report/out.txt" | sed 's/^/    /' || true
echo "    schemathesis: passed in ${elapsed}s"
