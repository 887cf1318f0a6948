# Sourced by the conformance scripts: start_sandbox BIN [ARGS...] starts the sandbox binary on a
# free loopback port with the test credentials below and sets SANDBOX_URL; the caller's EXIT
# trap calls stop_sandbox, which ends that process (by its own pid) and nothing else.

export CONFORMANCE_CLIENT_ID=conformance-client
export CONFORMANCE_CLIENT_SECRET=7d1c0b3e-5a2f-4c9e-8b6d-1f0e2a3b4c5d
export CONFORMANCE_APPLICATION_TOKEN=0b8f6a1e-9c2d-4e7f-a5b3-6d4c2e1f0a9b
export CONFORMANCE_CRYPTO_TOKEN=conformance-crypto-token-0001

SANDBOX_PID=
SANDBOX_URL=
SANDBOX_LOG=

start_sandbox() {
  local bin=$1
  shift
  SANDBOX_LOG=$(mktemp)
  CONNECTPSP_SANDBOX_CLIENT_ID=$CONFORMANCE_CLIENT_ID \
  CONNECTPSP_SANDBOX_CLIENT_SECRET=$CONFORMANCE_CLIENT_SECRET \
  CONNECTPSP_SANDBOX_APPLICATION_TOKEN=$CONFORMANCE_APPLICATION_TOKEN \
  CONNECTPSP_SANDBOX_CRYPTO_TOKEN=$CONFORMANCE_CRYPTO_TOKEN \
    "$bin" --host 127.0.0.1 --port 0 --seed 14 "$@" >"$SANDBOX_LOG" 2>&1 &
  SANDBOX_PID=$!
  for _ in $(seq 200); do
    SANDBOX_URL=$(sed -n 's/^CONNECTPSP_SANDBOX_URL=//p' "$SANDBOX_LOG" | head -n1)
    [ -n "$SANDBOX_URL" ] && break
    kill -0 "$SANDBOX_PID" 2>/dev/null || { cat "$SANDBOX_LOG"; return 1; }
    sleep 0.05
  done
  [ -n "$SANDBOX_URL" ] || { echo "the sandbox did not start"; cat "$SANDBOX_LOG"; return 1; }
  SANDBOX_URL=${SANDBOX_URL%/}
  export CONFORMANCE_BASE_URL=$SANDBOX_URL
}

stop_sandbox() {
  if [ -n "$SANDBOX_PID" ]; then
    kill "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
    SANDBOX_PID=
  fi
  [ -n "$SANDBOX_LOG" ] && rm -f "$SANDBOX_LOG"
  SANDBOX_LOG=
}
