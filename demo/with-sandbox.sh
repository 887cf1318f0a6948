#!/usr/bin/env bash
# Runs a command against a fresh sandbox, then stops the sandbox whatever happens.
#
#   demo/with-sandbox.sh python3 demo/demo.py
#
# Starts the sandbox binary on a free port with fresh random credentials, exports
# CONNECTPSP_BASE_URL (= CONNECTPSP_SANDBOX_URL), CONNECTPSP_CLIENT_ID, CONNECTPSP_CLIENT_SECRET,
# CONNECTPSP_APPLICATION_TOKEN and CONNECTPSP_CRYPTO_TOKEN, runs the command and returns its exit
# status. Extra sandbox flags: SANDBOX_ARGS="--seed 7".
set -euo pipefail

target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/connectpsp/target}"
bin="${CONNECTPSP_SANDBOX_BIN:-$target_dir/debug/connectpsp-sandbox}"
if [ ! -x "$bin" ]; then
  echo "with-sandbox: no sandbox binary at $bin (build it with: make sandbox-bin)" >&2
  exit 2
fi

# Random secrets per run: nothing can depend on the documented defaults, and a secret that
# leaked into a transcript would be noticed.
uuid() { cat /proc/sys/kernel/random/uuid; }
export CONNECTPSP_CLIENT_ID="demo-client"
CONNECTPSP_CLIENT_SECRET="$(uuid)"
CONNECTPSP_APPLICATION_TOKEN="$(uuid)"
CONNECTPSP_CRYPTO_TOKEN="crypto-$(uuid)"
export CONNECTPSP_CLIENT_SECRET CONNECTPSP_APPLICATION_TOKEN CONNECTPSP_CRYPTO_TOKEN

out="$(mktemp)"
# shellcheck disable=SC2086 # SANDBOX_ARGS is a list of flags
"$bin" --port 0 --client-id "$CONNECTPSP_CLIENT_ID" --client-secret "$CONNECTPSP_CLIENT_SECRET" \
  --application-token "$CONNECTPSP_APPLICATION_TOKEN" --crypto-token "$CONNECTPSP_CRYPTO_TOKEN" \
  ${SANDBOX_ARGS:-} >"$out" 2>&1 &
pid=$!
stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$out"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The URL line is printed once the socket is bound.
for _ in $(seq 1 300); do
  grep -q '^CONNECTPSP_SANDBOX_URL=' "$out" && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with-sandbox: the sandbox exited before it was ready:" >&2
    cat "$out" >&2
    exit 1
  fi
  sleep 0.05
done
grep -q '^CONNECTPSP_SANDBOX_URL=' "$out" || { echo "with-sandbox: no URL after 15 s" >&2; cat "$out" >&2; exit 1; }

CONNECTPSP_SANDBOX_URL="$(sed -n 's/^CONNECTPSP_SANDBOX_URL=//p' "$out" | head -n1)"
export CONNECTPSP_SANDBOX_URL CONNECTPSP_BASE_URL="$CONNECTPSP_SANDBOX_URL"

"$@"
