"""The outcome-unknown paths that the plain chaos run never exercised, each staged with the
sandbox's faults: a payout either succeeds with exactly one transaction, or fails with
``outcome_unknown`` true and the key to re-submit with. "Definitively failed" is said only when
an answer proves that nothing happened.
"""

from __future__ import annotations

import random
import time

import pytest
from conftest import client_kwargs

import connectpsp


def cpf(seed: int) -> str:
    """A valid CPF drawn from `seed` (check digits computed), unlike any fixture value."""
    digits = [int(d) for d in f"{random.Random(seed).randrange(10**8, 10**9):09d}"]
    for length in (9, 10):
        total = sum(d * w for d, w in zip(digits, range(length + 1, 1, -1)))
        digits.append((total * 10 % 11) % 10)
    return "".join(map(str, digits))


def payee(tag: str, document: str) -> dict:
    return {
        "name": f"Zulmira Quintanilha {tag}",
        "document": document,
        "destination": {"type": "PIX", "pix_key_type": "EMAIL", "pix_key": f"zq.{tag}@example.com"},
    }


def transactions_with_key(sandbox, key):
    return [t for t in sandbox.transactions() if t["idempotencyKey"] == key]


def cash_outs_for(sandbox, reference):
    return [t for t in sandbox.transactions() if t["externalReference"] == reference]


def warm(client) -> None:
    """Fetch the token now, so the faults below hit only what the scenario names."""
    client.account.balance()


def test_committed_then_dropped_and_the_refresh_the_retry_needs_answers_503(sandbox):
    with connectpsp.Client(**client_kwargs(sandbox, max_retries=2)) as client:
        warm(client)
        # The payout is made, the answer lost, and the token it used expires at that moment;
        # the retry then needs a new token, and the token endpoint is unavailable.
        sandbox.add_fault(method="POST", path="/cash-out", kind="commit_then_drop", expireToken=True, count=1)
        sandbox.add_fault(method="POST", path="/auth/token", kind="status", status=503, count=20)
        with pytest.raises(connectpsp.ConnectPSPError) as caught:
            client.cash_out.create(amount="21.00", external_reference="op-refresh-503", payee=payee("a", cpf(1)))
        error = caught.value
        assert error.outcome_unknown is True, repr(error)
        assert error.idempotency_key
        [made] = transactions_with_key(sandbox, error.idempotency_key)
        assert made["externalReference"] == "op-refresh-503"
        sandbox.clear_faults()
        result = client.resubmit(error)
    assert result.transaction_id == made["transactionId"]
    assert len(cash_outs_for(sandbox, "op-refresh-503")) == 1


@pytest.mark.parametrize("status", [507, 520, 522, 524])
def test_a_5xx_after_commit_is_retried_with_the_same_key_or_unknown(sandbox, status):
    reference = f"op-after-{status}"
    with connectpsp.Client(**client_kwargs(sandbox, max_retries=2)) as client:
        warm(client)
        sandbox.add_fault(method="POST", path="/cash-out", kind="status", status=status, commit=True, count=1)
        try:
            result = client.cash_out.create(amount="22.00", external_reference=reference, payee=payee("b", cpf(2)))
        except connectpsp.ConnectPSPError as error:
            assert error.outcome_unknown is True, f"{status} after commit reported as definitive: {error!r}"
            assert error.idempotency_key
            [made] = transactions_with_key(sandbox, error.idempotency_key)
        else:
            [made] = cash_outs_for(sandbox, reference)
            assert result.transaction_id == made["transactionId"]
    assert len(cash_outs_for(sandbox, reference)) == 1
    posts = [r for r in sandbox.requests() if r["path"] == "/cash-out"]
    assert len({r["idempotencyKey"] for r in posts}) == 1, "every attempt carried one key"


def test_a_failing_token_endpoint_does_not_fail_a_call_whose_token_is_still_valid(sandbox):
    # Tokens of 8 s: the SDK refreshes in the last 2 s, while the token still works.
    sandbox.settings(tokenTtlSeconds=8)
    with connectpsp.Client(**client_kwargs(sandbox, max_retries=1)) as client:
        warm(client)
        time.sleep(6.3)
        sandbox.add_fault(method="POST", path="/auth/token", kind="status", status=503, percent=100)
        result = client.cash_out.create(amount="23.00", external_reference="op-valid-token", payee=payee("c", cpf(3)))
        assert client.account.balance() is not None
        stats = sandbox.control("GET", "/_sandbox/faults")
    [made] = cash_outs_for(sandbox, "op-valid-token")
    assert result.transaction_id == made["transactionId"]
    assert sum(r["injected"] for r in stats["rules"]) >= 1, "the refresh was tried (and failed)"


def test_an_unreadable_2xx_puts_no_body_excerpt_in_the_error(sandbox):
    document = cpf(4)
    who = payee("d", document)
    needles = (who["name"], "Zulmira", document, who["destination"]["pix_key"])
    with connectpsp.Client(**client_kwargs(sandbox, max_retries=0)) as client:
        warm(client)
        sandbox.add_fault(method="POST", path="/cash-out", kind="truncate_body", count=1)
        with pytest.raises(connectpsp.ConnectPSPError) as caught:
            client.cash_out.create(amount="24.00", external_reference="op-unreadable", payee=who)
        error = caught.value
        # The payout was made: an unreadable 2xx is not a definitive failure.
        assert error.outcome_unknown is True, repr(error)
        [made] = cash_outs_for(sandbox, "op-unreadable")
        # A read whose answer is cut in half: no excerpt either.
        sandbox.add_fault(method="GET", path="/cash-out/*", kind="truncate_body", count=1)
        with pytest.raises(connectpsp.ConnectPSPError) as read:
            client.cash_out.get(made["transactionId"])
    for e in (error, read.value):
        text = " ".join([str(e), repr(e), *map(str, e.args), str(e.detail or ""), str(e.title or "")])
        for needle in needles:
            assert needle not in text, f"{needle!r} in {text!r}"
