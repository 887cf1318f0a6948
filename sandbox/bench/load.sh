#!/usr/bin/env bash
# Load figures for the sandbox, from a separate process (wrk) over loopback.
#   usage: sandbox/bench/load.sh [path/to/release/connectpsp-sandbox] [seconds]
# Build first: cargo build --release -p connectpsp-sandbox
set -euo pipefail
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/connectpsp-sandbox}
SECS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
out=$(mktemp)
"$BIN" --port 0 --seed 1 --settle-delay-ms 1000 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q '^CONNECTPSP_SANDBOX_URL=' "$out" && break; sleep 0.05; done
U=$(sed -n 's/^CONNECTPSP_SANDBOX_URL=//p' "$out")
APP=$(awk '/ApplicationToken/ {print $2}' "$out"); CRYPTO=$(awk '/CryptoToken/ {print $2}' "$out")
SECRET=$(awk '/clientSecret/ {print $2}' "$out")
TOKEN=$(curl -sf -X POST "$U/auth/token" -H 'Content-Type: application/json' \
  -d "{\"clientId\":\"sandbox-client\",\"clientSecret\":\"$SECRET\"}" | sed 's/.*"accessToken":"\([^"]*\)".*/\1/')
SIG=$(echo -n "$TOKEN" | openssl dgst -sha256 -hmac "$CRYPTO" | awk '{print $2}')
AUTH=(-H "Authorization: Bearer $TOKEN" -H "ApplicationToken: $APP" -H "DigitalSignature: $SIG")

# One cash-out to read back.
ID=$(curl -sf -X POST "$U/cash-out" "${AUTH[@]}" -H 'Content-Type: application/json' \
  -d '{"amount":1.00,"externalReference":"load-read","payee":{"name":"Maria Silva","document":"12345678909","destination":{"type":"PIX","pixKeyType":"CPF","pixKey":"12345678909"}}}' \
  | sed 's/.*"transactionId":"\([^"]*\)".*/\1/')

echo "== GET /cash-out/{id} (authenticated), ${SECS}s, 2 threads, 64 connections"
wrk -t2 -c64 -d"${SECS}s" --latency "${AUTH[@]}" "$U/cash-out/$ID" | grep -E 'Requests/sec|Latency|99%|Non-2xx|Socket'
echo "== POST /cash-out (fresh reference + key each), ${SECS}s, 2 threads, 64 connections"
wrk -t2 -c64 -d"${SECS}s" --latency -s "$HERE/post_cash_out.lua" "${AUTH[@]}" "$U" | grep -E 'Requests/sec|Latency|99%|non-2xx|Socket'
echo "== transactions created: $(curl -s "$U/_sandbox/transactions" | grep -o '"kind":"cash_out"' | wc -l)"
