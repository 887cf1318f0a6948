"""One flow through every endpoint with the Python package, sent through Prism
(CONFORMANCE_PROXY_URL); the sandbox's control API (not part of the spec) is called directly."""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from decimal import Decimal

import connectpsp

PROXY = os.environ["CONFORMANCE_PROXY_URL"]
SANDBOX = os.environ["CONFORMANCE_BASE_URL"]


def control(path: str) -> None:
    request = urllib.request.Request(f"{SANDBOX}/_sandbox{path}", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()


def ref(kind: str) -> str:
    return f"py-{kind}-{uuid.uuid4().hex[:12]}"


def main() -> None:
    with connectpsp.Client(
        client_id=os.environ["CONFORMANCE_CLIENT_ID"],
        client_secret=os.environ["CONFORMANCE_CLIENT_SECRET"],
        application_token=os.environ["CONFORMANCE_APPLICATION_TOKEN"],
        crypto_token=os.environ["CONFORMANCE_CRYPTO_TOKEN"],
        base_url=PROXY,
        max_retries=0,
    ) as client:
        payer = {"name": "João Silva", "document": "12345678909"}
        charge = client.cash_in.create(amount=Decimal("150.5"), external_reference=ref("ci"), payer=payer,
                                       webhook_url="https://api.yourdomain.com/webhooks/connectpsp",
                                       expiration_in_minutes=60)
        client.cash_in.create(amount="10.00", external_reference=ref("of"), payer=payer,
                              open_finance={"redirect_url": "https://shop.example/back"})
        client.cash_in.get(charge.transaction_id)
        control(f"/cash-in/{charge.transaction_id}/pay")
        refund = client.cash_in.refund(charge.transaction_id, reason="CUSTOMER_REQUEST", description="ticket #1234")
        assert refund.end_to_end_id.startswith("D"), refund
        payee = {"name": "Maria Silva", "document": "12345678909",
                 "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"}}
        payout = client.cash_out.create(amount=Decimal("50.00"), external_reference=ref("co"), payee=payee,
                                        description="User withdrawal")
        client.cash_out.create(amount=Decimal("12.34"), external_reference=ref("bank"), payee={
            "name": "Maria Silva", "document": "11222333000181",
            "destination": {"type": "BANK_ACCOUNT", "bank_account": {
                "ispb": "18236120", "branch": "0001", "account": "947710840", "account_type": "PAYMENT"}}})
        client.cash_out.get(payout.transaction_id)
        client.account.balance()
        client.account.rebalance(target_amount=Decimal("1000.00"))
        print(json.dumps({"python flow": "ok", "refund": refund.end_to_end_id[:1]}))


if __name__ == "__main__":
    main()
