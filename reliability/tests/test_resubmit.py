"""`client.resubmit(error)`: an outcome-unknown payout resolves to its one real transaction."""

from __future__ import annotations

import asyncio
import pickle
from decimal import Decimal

import pytest
from conftest import client_kwargs

import connectpsp

PAYEE = {
    "name": "Maria Silva",
    "document": "12345678909",
    "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"},
}


def cash_outs(sandbox, reference):
    return [t for t in sandbox.transactions() if t["kind"] == "cash_out" and t["externalReference"] == reference]


def test_commit_then_drop_is_unknown_and_resubmit_replays_the_one_transaction(sandbox):
    # Every attempt is committed and then dropped: the payout exists, the client never hears.
    sandbox.add_fault(method="POST", path="/cash-out", kind="commit_then_drop", count=2)
    with connectpsp.Client(**client_kwargs(sandbox, max_retries=1)) as client:
        with pytest.raises(connectpsp.ConnectionError) as caught:
            client.cash_out.create(amount="12.34", external_reference="drop-1", payee=PAYEE)
        error = caught.value
        assert error.outcome_unknown is True
        assert error.attempts == 2
        assert error.idempotency_key
        # Both attempts carried the same key; the sandbox made one payout of them.
        posts = [r for r in sandbox.requests() if r["path"] == "/cash-out"]
        assert [r["idempotencyKey"] for r in posts] == [error.idempotency_key] * 2
        [created] = cash_outs(sandbox, "drop-1")

        result = client.resubmit(error)

    assert isinstance(result, connectpsp.models.CashOut)
    assert result.transaction_id == created["transactionId"]
    assert result.idempotency_key == error.idempotency_key
    assert result.amount == Decimal("12.34")
    assert len(cash_outs(sandbox, "drop-1")) == 1
    last = [r for r in sandbox.requests() if r["path"] == "/cash-out"][-1]
    assert last["idempotencyKey"] == error.idempotency_key and last["status"] == 202


def test_a_refused_call_resubmitted_happens_once(sandbox):
    # 503 before doing anything on every attempt: known not applied, then re-sent for real.
    sandbox.add_fault(method="POST", path="/cash-out", kind="status", status=503, count=1)
    with connectpsp.Client(**client_kwargs(sandbox, max_retries=0)) as client:
        with pytest.raises(connectpsp.ServerError) as caught:
            client.cash_out.create(amount="5.00", external_reference="refused-1", payee=PAYEE)
        assert caught.value.outcome_unknown is False
        assert cash_outs(sandbox, "refused-1") == []
        result = client.resubmit(caught.value)
    assert [t["transactionId"] for t in cash_outs(sandbox, "refused-1")] == [result.transaction_id]


def test_a_resubmit_refused_before_commit_stays_unknown_while_the_payout_exists(sandbox):
    # The first call is committed and its answer dropped: the payout exists, the outcome is unknown.
    sandbox.add_fault(method="POST", path="/cash-out", kind="commit_then_drop", count=1)
    with connectpsp.Client(**client_kwargs(sandbox, max_retries=0)) as client:
        with pytest.raises(connectpsp.ConnectionError) as first:
            client.cash_out.create(amount="9.99", external_reference="resubmit-refused-1", payee=PAYEE)
        assert first.value.outcome_unknown is True
        [created] = cash_outs(sandbox, "resubmit-refused-1")
        # The re-submission is refused before commit (the API's own 503): true of that request,
        # silent about the payout, so "definitively failed" would be false.
        sandbox.add_fault(method="POST", path="/cash-out", kind="status", status=503, count=1)
        with pytest.raises(connectpsp.ServerError) as second:
            client.resubmit(first.value)
        assert second.value.status == 503
        assert second.value.outcome_unknown is True
        assert second.value.idempotency_key == first.value.idempotency_key
        assert "outcome unknown" in str(second.value)
        # It still resolves: the next re-submission finds the one payout, a plain success.
        result = client.resubmit(second.value)
    assert result.transaction_id == created["transactionId"]
    assert result.replayed is True
    assert len(cash_outs(sandbox, "resubmit-refused-1")) == 1


def test_async_resubmit(sandbox):
    sandbox.add_fault(method="POST", path="/cash-out", kind="commit_then_drop", count=1)

    async def scenario():
        async with connectpsp.AsyncClient(**client_kwargs(sandbox, max_retries=0)) as client:
            try:
                await client.cash_out.create(amount="7.77", external_reference="async-1", payee=PAYEE)
            except connectpsp.ConnectionError as error:
                assert error.outcome_unknown
                return await client.resubmit(error)
            raise AssertionError("the dropped answer must raise")

    result = asyncio.run(scenario())
    [created] = cash_outs(sandbox, "async-1")
    assert result.transaction_id == created["transactionId"]


def test_resubmit_refuses_what_it_cannot_replay(sandbox):
    with connectpsp.Client(**client_kwargs(sandbox)) as client, connectpsp.Client(
        **client_kwargs(sandbox)
    ) as other:
        sandbox.add_fault(method="POST", path="/cash-out", kind="commit_then_drop", count=3)
        with pytest.raises(connectpsp.ConnectionError) as caught:
            client.cash_out.create(amount="1.00", external_reference="owner-1", payee=PAYEE)
        # Not this client's error, an error of a call without a key, a foreign exception.
        with pytest.raises(connectpsp.ValidationError) as refused:
            other.resubmit(caught.value)
        assert refused.value.field == "error"
        with pytest.raises(connectpsp.ValidationError):
            client.resubmit(ValueError("x"))
        with pytest.raises(connectpsp.NotFoundError) as not_found:
            client.cash_out.get("unknown-id")
        with pytest.raises(connectpsp.ValidationError):
            client.resubmit(not_found.value)


def test_the_remembered_call_does_not_travel_with_the_error(sandbox):
    sandbox.add_fault(method="POST", path="/cash-out", kind="commit_then_drop", count=1)
    with connectpsp.Client(**client_kwargs(sandbox, max_retries=0)) as client:
        with pytest.raises(connectpsp.ConnectionError) as caught:
            client.cash_out.create(amount="3.00", external_reference="hidden-1", payee=PAYEE)
    error = caught.value
    # The parameters (documents, keys) are not attributes of the exception, nor in its pickle.
    assert "12345678909" not in repr(vars(error))
    assert b"12345678909" not in pickle.dumps(error)


def test_a_dropped_refund_resolves_to_the_one_refund(sandbox, client):
    charge = client.cash_in.create(amount="40.00", external_reference="refund-drop-1",
                                   payer={"name": "Ana", "document": "12345678909"})
    sandbox.control("POST", f"/_sandbox/cash-in/{charge.transaction_id}/pay")
    sandbox.add_fault(method="POST", path="/cash-in/*/refund", kind="commit_then_drop", count=3)
    with pytest.raises(connectpsp.ConnectionError) as caught:
        client.cash_in.refund(charge.transaction_id, reason="CUSTOMER_REQUEST")
    assert caught.value.outcome_unknown
    # A second refund would be refused (CASH_IN_ALREADY_REFUNDED): success means a replay.
    refunded = client.resubmit(caught.value)
    assert isinstance(refunded, connectpsp.models.Refund)
    assert (refunded.transaction_id, refunded.status) == (charge.transaction_id, "REFUNDED")
    [row] = [t for t in sandbox.transactions() if t["transactionId"] == charge.transaction_id]
    assert row["status"] == "REFUNDED"
