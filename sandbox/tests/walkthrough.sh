#!/usr/bin/env bash
# The README's curl + openssl walk (token → cash-in → pay → refund → cash-out → balance →
# rebalance), run against a fresh sandbox binary, checking every answer.
#   usage: sandbox/tests/walkthrough.sh [path/to/connectpsp-sandbox]
set -euo pipefail
BIN=${1:-${CARGO_TARGET_DIR:-target}/debug/connectpsp-sandbox}
for tool in curl openssl jq; do
  command -v $tool >/dev/null || { echo "walkthrough: $tool not installed, skipped"; exit 0; }
done
out=$(mktemp)
"$BIN" --port 0 --seed 42 --settle-delay-ms 200 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q '^CONNECTPSP_SANDBOX_URL=' "$out" && break; sleep 0.05; done
U=$(sed -n 's/^CONNECTPSP_SANDBOX_URL=//p' "$out")
APP=$(awk '/ApplicationToken/ {print $2}' "$out"); CRYPTO=$(awk '/CryptoToken/ {print $2}' "$out")
SECRET=$(awk '/clientSecret/ {print $2}' "$out")
check() { if [ "$2" != "$3" ]; then echo "walkthrough: $1: expected '$3', got '$2'"; exit 1; fi; }

TOKEN=$(curl -sf -X POST $U/auth/token -H 'Content-Type: application/json' \
  -d "{\"clientId\":\"sandbox-client\",\"clientSecret\":\"$SECRET\"}" | jq -r .accessToken)
SIGNATURE=$(echo -n "$TOKEN" | openssl dgst -sha256 -hmac "$CRYPTO" | awk '{print $2}')
H=(-H "Authorization: Bearer $TOKEN" -H "ApplicationToken: $APP" -H 'Content-Type: application/json')

CI=$(curl -s -X POST $U/cash-in "${H[@]}" -H "X-Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" \
  -d '{"amount":10.00,"externalReference":"test-order-001","expirationInMinutes":60,"payer":{"name":"Test User","document":"12345678909"}}' | jq -r .transactionId)
check "cash-in id length" "${#CI}" 35
check "pay" "$(curl -s -X POST $U/_sandbox/cash-in/$CI/pay | jq -r .status)" PAID
R=$(curl -s -X POST $U/cash-in/$CI/refund "${H[@]}" -H "DigitalSignature: $SIGNATURE" -d '{"reason":"CUSTOMER_REQUEST"}')
check "refund status" "$(jq -r .status <<<"$R")" REFUNDED
check "refund e2e prefix" "$(jq -r .endToEndId <<<"$R" | cut -c1)" D

CO=$(curl -s -X POST $U/cash-out "${H[@]}" -H "DigitalSignature: $SIGNATURE" -H "X-Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" \
  -d '{"amount":50.00,"externalReference":"withdrawal-user-42-001","description":"User withdrawal","payee":{"name":"Maria Silva","document":"12345678909","destination":{"type":"PIX","pixKeyType":"CPF","pixKey":"12345678909"}}}' | jq -r .transactionId)
sleep 0.5
C=$(curl -s $U/cash-out/$CO "${H[@]}")
check "cash-out status" "$(jq -r .status <<<"$C")" COMPLETED
check "cash-out e2e prefix" "$(jq -r .endToEndId <<<"$C" | cut -c1)" E

# (jq prints numbers through a double: 999950.00 shows as 999950)
# 1,000,000.00 + 10.00 (cash-in) - 10.00 (refund) - 50.00 (cash-out)
check "transactional balance" "$(curl -s $U/account/balance "${H[@]}" | jq -r .consolidated.transactionalBalance)" 999950
check "rebalance" "$(curl -s -X POST $U/account/rebalance "${H[@]}" -H "DigitalSignature: $SIGNATURE" -d '{"targetAmount":1500000.00}' | jq -r .success)" true
check "after rebalance" "$(curl -s $U/account/balance "${H[@]}" | jq -r .consolidated.transactionalBalance)" 1500000
echo "walkthrough: OK (token, cash-in, pay, refund, cash-out, balance, rebalance)"
