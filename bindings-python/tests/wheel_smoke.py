"""The README's quickstart against the embedded sandbox: run by `make package-python-check`
in a fresh venv with only the built wheel installed (and usable as a smoke test anywhere)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import connectpsp
from connectpsp.testing import Sandbox


def main() -> None:
    with Sandbox(auto_settle=False) as sb:
        client = sb.client()
        charge = client.cash_in.create(
            amount=Decimal("150.50"),
            external_reference="order-1",
            payer={"name": "João Silva", "document": "12345678909"},
            expiration_in_minutes=60,
        )
        assert charge.amount == Decimal("150.50") and charge.pix_data is not None
        sb.pay_cash_in(charge.transaction_id)
        assert client.cash_in.get(charge.transaction_id).status == connectpsp.CashInStatus.PAID
        refund = client.cash_in.refund(charge.transaction_id, reason="CUSTOMER_REQUEST", description="ticket 1234")
        assert refund.status == "REFUNDED"

        async def payout() -> connectpsp.CashOut:
            async with sb.async_client() as aclient:
                return await aclient.cash_out.create(
                    amount="50.00",
                    external_reference="wd-42",
                    description="withdrawal",
                    payee={
                        "name": "Maria Silva",
                        "document": "12345678909",
                        "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"},
                    },
                )

        co = asyncio.run(payout())
        sb.complete_cash_out(co.transaction_id)
        assert client.cash_out.get(co.transaction_id).status == "COMPLETED"
        balance = client.account.balance()
        print(f"quickstart OK: charge {charge.transaction_id} refunded, payout {co.transaction_id} completed, "
              f"transactional balance {balance.consolidated.transactional_balance}")


if __name__ == "__main__":
    main()
