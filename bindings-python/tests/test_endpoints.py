"""Every endpoint, sync and async, for real against the embedded sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import PAYEE, PAYER, RequestWindow, reference

import connectpsp
from connectpsp import CashInStatus, CashOutStatus, Destination, Payee, Payer
from connectpsp.testing import Sandbox


def test_cash_in_lifecycle_sync(client: connectpsp.Client, sandbox: Sandbox) -> None:
    ref = reference("ci")
    created = client.cash_in.create(
        amount=Decimal("150.50"),
        external_reference=ref,
        payer=PAYER,
        webhook_url="http://127.0.0.1:9/hook",
        expiration_in_minutes=60,
    )
    assert created.status is CashInStatus.AWAITING_PAYMENT
    assert created.status == "AWAITING_PAYMENT"
    assert created.amount == Decimal("150.50") and isinstance(created.amount, Decimal)
    assert created.external_reference == ref
    assert created.http_status == 201
    assert created.pix_data is not None and (created.pix_data.copy_and_paste or "").startswith("000201")
    assert created.idempotency_key and len(created.idempotency_key) == 36
    assert created.payer is not None and created.payer.document == "12345678909"
    # the generated key is the one the sandbox saw
    row = next(t for t in sandbox.transactions() if t["externalReference"] == ref)
    assert row["idempotencyKey"] == created.idempotency_key

    fetched = client.cash_in.get(created.transaction_id)
    assert fetched.transaction_id == created.transaction_id
    assert fetched.status is CashInStatus.AWAITING_PAYMENT

    sandbox.pay_cash_in(created.transaction_id)
    paid = client.cash_in.get(created.transaction_id)
    assert paid.status is CashInStatus.PAID
    assert paid.end_to_end_id is not None and paid.end_to_end_id.startswith("E")

    refunded = client.cash_in.refund(created.transaction_id, reason="CUSTOMER_REQUEST", description="ticket 1234")
    assert refunded.status is CashInStatus.REFUNDED
    assert refunded.http_status == 202
    assert refunded.end_to_end_id is not None and refunded.end_to_end_id.startswith("D")
    assert refunded.original_end_to_end_id == paid.end_to_end_id


def test_cash_out_lifecycle_sync(client: connectpsp.Client, sandbox: Sandbox) -> None:
    created = client.cash_out.create(
        amount="50.00",
        external_reference=reference("co"),
        description="withdrawal",
        payee=PAYEE,
    )
    assert created.status is CashOutStatus.PROCESSING
    assert created.amount == Decimal("50.00")
    assert created.http_status == 202
    assert created.payee is not None and created.payee.destination is not None
    assert created.payee.destination.pix_key == "12345678909"
    sandbox.complete_cash_out(created.transaction_id)
    done = client.cash_out.get(created.transaction_id)
    assert done.status is CashOutStatus.COMPLETED
    assert done.end_to_end_id is not None and done.end_to_end_id.startswith("E")


def test_cash_out_failure_is_reported_in_the_resource(client: connectpsp.Client, sandbox: Sandbox) -> None:
    created = client.cash_out.create(amount=10, external_reference=reference("cof"), payee=PAYEE)
    sandbox.fail_cash_out(created.transaction_id, code="PIX_KEY_NOT_FOUND")
    failed = client.cash_out.get(created.transaction_id)
    assert failed.status is CashOutStatus.FAILED
    assert failed.failure is not None and failed.failure.code == "PIX_KEY_NOT_FOUND"
    assert failed.end_to_end_id is None


def test_typed_request_objects_work_like_dicts(client: connectpsp.Client) -> None:
    payee = Payee(
        name="Maria Silva",
        document="12345678909",
        destination=Destination.pix("EMAIL", "Maria@Example.com"),
    )
    created = client.cash_out.create(amount=Decimal("1.99"), external_reference=reference("typed"), payee=payee)
    assert created.amount == Decimal("1.99")
    assert created.payee is not None and created.payee.destination is not None
    assert created.payee.destination.pix_key == "maria@example.com"  # normalised by the core
    charge = client.cash_in.create(
        amount=7, external_reference=reference("typed"), payer=Payer(name="Ana", document="11222333000181")
    )
    assert charge.amount == Decimal("7.00")


def test_account_balance_and_rebalance_sync(client: connectpsp.Client) -> None:
    balance = client.account.balance()
    assert balance.currency == "BRL"
    assert isinstance(balance.consolidated.total_balance, Decimal)
    assert balance.consolidated.total_balance == (
        balance.consolidated.transactional_balance + balance.consolidated.proprietary_balance
    )
    assert len(balance.banks) == 3
    total = sum((b.accounts.transactional.balance for b in balance.banks if b.accounts and b.accounts.transactional), Decimal(0))
    assert total == balance.consolidated.transactional_balance

    target = balance.consolidated.transactional_balance + Decimal("100.00")
    result = client.account.rebalance(target_amount=target)
    assert result.success is True
    after = client.account.balance()
    assert after.consolidated.transactional_balance == target
    assert after.consolidated.total_balance == balance.consolidated.total_balance


def test_idempotency_key_replays_instead_of_paying_twice(client: connectpsp.Client, sandbox: Sandbox) -> None:
    ref = reference("idem")
    key = connectpsp.idempotency_key_for(ref)
    first = client.cash_out.create(amount="12.34", external_reference=ref, payee=PAYEE, idempotency_key=key)
    again = client.cash_out.create(amount="12.34", external_reference=ref, payee=PAYEE, idempotency_key=key)
    assert first.idempotency_key == again.idempotency_key == key
    assert again.transaction_id == first.transaction_id
    assert [t["externalReference"] for t in sandbox.transactions()].count(ref) == 1


def test_results_are_immutable_and_convert_to_dicts(client: connectpsp.Client) -> None:
    created = client.cash_in.create(amount="3.00", external_reference=reference("imm"), payer=PAYER)
    with pytest.raises(AttributeError):
        created.status = CashInStatus.PAID
    as_dict = created.to_dict()
    assert as_dict["amount"] == Decimal("3.00")
    assert as_dict["status"] == "AWAITING_PAYMENT" and type(as_dict["status"]) is str
    assert as_dict["payer"]["document"] == "12345678909"
    assert '"transactionId"' in created.raw  # the body exactly as the API sent it


async def test_every_endpoint_async(aclient: connectpsp.AsyncClient, sandbox: Sandbox) -> None:
    charge = await aclient.cash_in.create(amount=Decimal("20.00"), external_reference=reference("aci"), payer=PAYER)
    assert charge.status is CashInStatus.AWAITING_PAYMENT
    assert (await aclient.cash_in.get(charge.transaction_id)).amount == Decimal("20.00")
    sandbox.pay_cash_in(charge.transaction_id)
    refunded = await aclient.cash_in.refund(charge.transaction_id, reason=connectpsp.RefundReason.FRAUD)
    assert refunded.status is CashInStatus.REFUNDED

    payout = await aclient.cash_out.create(amount="5.55", external_reference=reference("aco"), payee=PAYEE)
    assert payout.status is CashOutStatus.PROCESSING
    assert (await aclient.cash_out.get(payout.transaction_id)).transaction_id == payout.transaction_id

    balance = await aclient.account.balance()
    result = await aclient.account.rebalance(target_amount=balance.consolidated.transactional_balance)
    assert result.success is True


def test_get_by_internal_code(client: connectpsp.Client) -> None:
    created = client.cash_in.create(amount="1.00", external_reference=reference("ic"), payer=PAYER)
    assert created.internal_code
    assert client.cash_in.get(created.internal_code).transaction_id == created.transaction_id


def test_reads_carry_no_idempotency_key(client: connectpsp.Client, window: RequestWindow) -> None:
    balance = client.account.balance()
    assert balance.idempotency_key is None
    logged = [r for r in window.requests() if r["path"] == "/account/balance"]
    assert len(logged) == 1 and logged[0]["idempotencyKey"] is None
