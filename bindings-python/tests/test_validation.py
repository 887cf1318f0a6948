"""Bad input is refused with a typed error before any request leaves (checked through the
sandbox's request log), using the shared vectors of testdata/bad_inputs.json and amounts.json."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

import pytest
from conftest import PAYER, RequestWindow, reference, vectors

import connectpsp
from connectpsp.testing import Sandbox


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake_keys(value: Any) -> Any:
    """camelCase keys to snake_case; a key that is not proper camelCase (a misspelling such as
    `webhookURL`) is kept as it is, so Python sees the misspelt argument."""
    if isinstance(value, dict):
        return {(snake(k) if camel(snake(k)) == k else k): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


def invoke(client: connectpsp.Client, call: str, params: dict[str, Any]) -> Any:
    params = dict(params)
    if call == "cashIn.create":
        return client.cash_in.create(**params)
    if call == "cashOut.create":
        return client.cash_out.create(**params)
    if call == "cashIn.refund":
        return client.cash_in.refund(params.pop("id"), **params)
    if call == "cashIn.get":
        return client.cash_in.get(**{"transaction_id": params.pop("id")} if "id" in params else {}, **params)
    if call == "cashOut.get":
        return client.cash_out.get(**{"transaction_id": params.pop("id")} if "id" in params else {}, **params)
    if call == "account.rebalance":
        return client.account.rebalance(**params)
    raise AssertionError(call)


BAD = vectors("bad_inputs.json")


@pytest.mark.parametrize("case", BAD["cases"], ids=[c["name"] for c in BAD["cases"]])
def test_bad_input_is_refused_before_sending(case: dict[str, Any], client: connectpsp.Client, window: RequestWindow) -> None:
    base = BAD["base"][case["call"]]
    params = snake_keys(case["params"])
    missing = set(base) - set(case["params"])
    unknown = set(case["params"]) - set(base) - {"idempotencyKey", "openFinance"}
    if missing - {"description", "webhookUrl", "expirationInMinutes"} or unknown:
        # A missing required argument or a misspelt one is Python's own TypeError.
        with pytest.raises(TypeError):
            invoke(client, case["call"], params)
    else:
        with pytest.raises(connectpsp.ValidationError) as caught:
            invoke(client, case["call"], params)
        assert caught.value.field == ".".join(snake(p) for p in case["field"].split(".")), str(caught.value)
        assert caught.value.attempts == 0
    assert window.requests() == [], "a request left before validation"


AMOUNTS = vectors("amounts.json")


@pytest.mark.parametrize("case", AMOUNTS["invalid"], ids=[repr(c["text"]) for c in AMOUNTS["invalid"]])
def test_invalid_amount_text(case: dict[str, Any], client: connectpsp.Client, window: RequestWindow) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        client.cash_in.create(amount=case["text"], external_reference=reference(), payer=PAYER)
    assert caught.value.field == "amount"
    assert case["messageContains"] in str(caught.value)
    assert window.requests() == []


def test_valid_amounts_round_trip_exactly(client: connectpsp.Client) -> None:
    checked = 0
    for case in AMOUNTS["valid"]:
        if Decimal(case["formatted"]) == 0:
            continue  # a charge must be > 0 (zero is only a valid rebalance target)
        for amount in (Decimal(case["text"]), case["text"]):
            charge = client.cash_in.create(amount=amount, external_reference=reference("amt"), payer=PAYER)
            assert charge.amount == Decimal(case["formatted"])
            assert str(charge.amount) == case["formatted"]
            checked += 1
    assert checked >= 30


def test_zero_charge_is_refused(client: connectpsp.Client, window: RequestWindow) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        client.cash_in.create(amount=0, external_reference=reference(), payer=PAYER)
    assert caught.value.field == "amount"
    assert window.requests() == []


@pytest.mark.parametrize("amount", [0.1 + 0.2, 10.5, 1e3, 1e300])
def test_floats_are_refused_with_advice(amount: float, client: connectpsp.Client, window: RequestWindow) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        client.cash_out.create(amount=amount, external_reference=reference(), payee={})  # type: ignore[arg-type]
    assert "Decimal or str" in str(caught.value)
    assert window.requests() == []


def test_nan_is_refused(client: connectpsp.Client, window: RequestWindow) -> None:
    for amount in (float("nan"), float("inf"), float("-inf"), Decimal("NaN"), Decimal("Infinity"), Decimal("-sNaN")):
        with pytest.raises(connectpsp.ValidationError) as caught:
            client.cash_in.create(amount=amount, external_reference=reference(), payer=PAYER)  # type: ignore[arg-type]
        # Named as the amount, not as unreadable "params" JSON.
        assert caught.value.field == "amount", (amount, caught.value)
        assert str(caught.value).startswith("amount: ")
    with pytest.raises(connectpsp.ValidationError) as caught:
        client.account.rebalance(target_amount=float("nan"))  # type: ignore[arg-type]
    assert caught.value.field == "target_amount"
    assert window.requests() == []


@pytest.mark.parametrize("amount", ["1e999999999", "1e-999999999", "0E-999999999", "-9E+999999999"])
def test_a_huge_exponent_is_refused_before_formatting(amount: str, client: connectpsp.Client, window: RequestWindow) -> None:
    import resource

    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(connectpsp.ValidationError) as caught:
        client.cash_out.create(amount=Decimal(amount), external_reference=reference(), payee={})
    # Formatting it would take a gigabyte and about a second; refusing it takes neither.
    assert time.monotonic() - started < 0.25
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100_000  # KiB
    assert caught.value.field == "amount"
    assert window.requests() == []


def test_nested_values_are_named_by_their_path(client: connectpsp.Client, window: RequestWindow) -> None:
    payer = {"name": "Ana", "document": float("nan")}
    with pytest.raises(connectpsp.ValidationError) as caught:
        client.cash_in.create(amount="1.00", external_reference=reference(), payer=payer)
    assert caught.value.field == "payer.document"
    assert window.requests() == []


def test_integral_decimal_in_exponent_form_is_sent_exactly(client: connectpsp.Client) -> None:
    charge = client.cash_in.create(amount=Decimal("1E+3"), external_reference=reference(), payer=PAYER)
    assert charge.amount == Decimal("1000.00")


@pytest.mark.parametrize(
    "base_url",
    ["http://api.connectpsp.com", "ftp://127.0.0.1", "https://user:pw@api.connectpsp.com", "not a url"],
)
def test_unsafe_base_urls_are_refused(base_url: str, sandbox: Sandbox) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        connectpsp.Client(**sandbox.credentials.as_kwargs(), base_url=base_url)
    assert caught.value.field == "base_url"
    assert "pw" not in str(caught.value)


def test_plain_http_needs_the_loud_option(sandbox: Sandbox) -> None:
    client = connectpsp.Client(
        **sandbox.credentials.as_kwargs(), base_url="http://sandbox.invalid:8080", dangerously_allow_insecure_http=True
    )
    assert client.base_url == "http://sandbox.invalid:8080"


def test_loopback_http_is_allowed(sandbox: Sandbox) -> None:
    for url in ("http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1"):
        assert connectpsp.Client(**sandbox.credentials.as_kwargs(), base_url=url).base_url == url


def test_config_errors_are_validation_errors(sandbox: Sandbox) -> None:
    options: dict[str, Any] = {**sandbox.credentials.as_kwargs(), "client_secret": ""}
    with pytest.raises(connectpsp.ValidationError) as caught:
        connectpsp.Client(**options, base_url=sandbox.base_url)
    assert caught.value.field == "client_secret"
    with pytest.raises(connectpsp.ValidationError):
        connectpsp.Client(**sandbox.credentials.as_kwargs(), base_url=sandbox.base_url, timeout=0)
