"""Quickstart: charge a customer by PIX, pay someone out, read the balance.

    export CONNECTPSP_BASE_URL=http://127.0.0.1:8080    # the sandbox; or connectpsp.STAGING
    export CONNECTPSP_CLIENT_ID=... CONNECTPSP_CLIENT_SECRET=...
    export CONNECTPSP_APPLICATION_TOKEN=... CONNECTPSP_CRYPTO_TOKEN=...
    python examples/python/quickstart.py
"""

from __future__ import annotations

import os
import sys
import uuid
from decimal import Decimal

import connectpsp


def main() -> int:
    client = connectpsp.Client(
        client_id=os.environ["CONNECTPSP_CLIENT_ID"],
        client_secret=os.environ["CONNECTPSP_CLIENT_SECRET"],
        application_token=os.environ["CONNECTPSP_APPLICATION_TOKEN"],
        crypto_token=os.environ["CONNECTPSP_CRYPTO_TOKEN"],
        base_url=os.environ.get("CONNECTPSP_BASE_URL", connectpsp.STAGING),
    )
    order = uuid.uuid4().hex[:12]  # your own order id; external references must be unique

    # A PIX charge: show the copia-e-cola (or the QR image) to the payer.
    cash_in = client.cash_in.create(
        amount=Decimal("150.50"),  # Decimal, int (reais) or str; never float
        external_reference=f"order-{order}",
        payer={"name": "João Silva", "document": "12345678909"},
        expiration_in_minutes=60,
    )
    print(f"cash-in {cash_in.transaction_id}: {cash_in.status}, R$ {cash_in.amount}")
    if cash_in.pix_data:  # absent only on OpenFinance charges, which have a payment_url instead
        print(f"  copia-e-cola: {cash_in.pix_data.copy_and_paste}")

    # A payout by PIX key. Keep the idempotency key with your withdrawal record: if this call
    # ends in an "outcome unknown" error, re-submit with the same key and it cannot pay twice.
    try:
        cash_out = client.cash_out.create(
            amount="50.00",
            external_reference=f"withdrawal-{order}",
            description="Withdrawal",
            payee={
                "name": "Maria Silva",
                "document": "12345678909",
                "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"},
            },
        )
    except connectpsp.InsufficientFundsError as error:
        print(f"not enough balance: {error.detail}")
        return 1
    print(f"cash-out {cash_out.transaction_id}: {cash_out.status} (key {cash_out.idempotency_key})")
    print(f"  now: {client.cash_out.get(cash_out.transaction_id).status}")

    balance = client.account.balance()
    print(f"transactional balance: R$ {balance.consolidated.transactional_balance}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
