#!/usr/bin/env bash
# Prism as a validating proxy in front of a fresh sandbox while each package runs its flow
# (conformance/flows.py, conformance/flows.mjs: every endpoint). Every request is validated
# against docs/openapi.yaml; any request violation fails the run. Prints the figures.
#
# usage: conformance/prism.sh SANDBOX_BIN PRISM PYTHON NODE_PKG_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=$1
prism=$2
python=$3
export CONNECTPSP_PKG=$4
# shellcheck source=conformance/sandbox.sh
. "$here/sandbox.sh"
PRISM_PID=
prism_log=$(mktemp)
stop_all() {
  if [ -n "$PRISM_PID" ]; then kill "$PRISM_PID" 2>/dev/null || true; wait "$PRISM_PID" 2>/dev/null || true; fi
  stop_sandbox
  rm -f "$prism_log"
}
trap stop_all EXIT
start_sandbox "$bin" --settle-delay-ms 50
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$prism" proxy "$root/docs/openapi.yaml" "$SANDBOX_URL" --host 127.0.0.1 --port "$port" --errors=false \
  >"$prism_log" 2>&1 &
PRISM_PID=$!
for _ in $(seq 900); do
  grep -q "Prism is listening" "$prism_log" && break
  kill -0 "$PRISM_PID" 2>/dev/null || { cat "$prism_log"; exit 1; }
  sleep 0.1
done
grep -q "Prism is listening" "$prism_log" || { echo "Prism did not start"; cat "$prism_log"; exit 1; }
export CONFORMANCE_PROXY_URL="http://127.0.0.1:$port"
"$python" "$here/flows.py"
node "$here/flows.mjs"
# Give Prism a moment to write the last lines, then count.
sleep 0.5
requests=$(grep -c "Request received" "$prism_log" || true)
request_violations=$(grep -c "Violation: request" "$prism_log" || true)
response_violations=$(grep -c "Violation: response" "$prism_log" || true)
echo "    prism: ${requests} requests validated, ${request_violations} request violations, ${response_violations} response violations"
if [ "$request_violations" != 0 ] || [ "$response_violations" != 0 ] || [ "$requests" -lt 18 ]; then
  grep -E "Violation|error" "$prism_log" | head -40
  exit 1
fi
