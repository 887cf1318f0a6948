"""Between the typed Python surface and the native call: parameters to JSON, JSON to results,
and one log line per HTTP attempt.

Nothing here decides anything about the API: validation, headers, retries and the token live
in the core. This module only maps Python values onto the bridge's JSON (docs/architecture.md §3):
``Decimal`` goes as a decimal string, ``int`` as an integer, a ``float`` as a JSON number that
the core refuses (the binding sets ``float_amounts: false``), typed request objects as dicts.
What JSON cannot carry (NaN, infinities) or what would be costly to format (a ``Decimal`` with
a huge exponent) is refused here, naming the field.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any, Mapping, Optional, Sequence, Tuple

from ._errors import ValidationError
from ._model_base import Model

# `logging` is imported on the first logged call, not at import: it is a quarter of the
# package's import time and many processes never log at DEBUG/INFO.
DEBUG, INFO = 10, 20

#: What the native side reports for each HTTP attempt:
#: (method, path, status or None, elapsed ms, attempt number, idempotency key or None, failure kind or None)
Attempt = Tuple[str, str, Optional[int], int, int, Optional[str], Optional[str]]


#: Digits either side of the point beyond which a ``Decimal`` cannot be an amount of reais. It
#: is refused before ``format`` turns ``Decimal("1e999999999")`` into a gigabyte of zeros; the
#: real limits (two decimals, the largest amount) are the core's and give its messages.
_DECIMAL_DIGITS_BOUND = 30


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(
        f"{field}: {message}", kind="validation", code="VALIDATION_ERROR", detail=message, field=field
    )


def _decimal_text(value: Decimal, field: str) -> str:
    if not value.is_finite():
        raise _invalid(field, f"must be a finite amount; got {value}")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: never the 'n'/'N'/'F' of NaN and Infinity
    if exponent < -_DECIMAL_DIGITS_BOUND or value.adjusted() > _DECIMAL_DIGITS_BOUND:
        raise _invalid(field, "is out of range for an amount of reais")
    # "f" keeps Decimal("1E+3") readable for the core's strict decimal parser ("1000").
    return format(value, "f")


def _plain(value: Any, field: str) -> Any:
    """A parameter as JSON data; ``field`` is its path (``payee.destination.pix_key``), so a value
    that cannot be sent is refused naming it."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, Decimal):
        return _decimal_text(value, field)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _invalid(field, f"must be a finite amount; got {value!r}")
        # Finite floats go as JSON numbers: the core refuses one with a fraction, naming it.
        return value
    if isinstance(value, Model):
        value = value._to_params()
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{field}.{k}" if field else str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{field}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{field}: cannot send a {type(value).__name__} to the API")


def encode_params(params: Mapping[str, Any]) -> str:
    """Keyword arguments -> the params JSON of ``bridge::call_from_json`` (None = not given)."""
    present = {k: _plain(v, k) for k, v in params.items() if v is not None}
    return json.dumps(present, ensure_ascii=False, allow_nan=False)


def decode_outcome(outcome_json: str) -> dict[str, Any]:
    # parse_float=Decimal: no binary float is ever created from the core's JSON.
    value: dict[str, Any] = json.loads(outcome_json, parse_float=Decimal)
    return value


def log_attempts(attempts: Sequence[Attempt]) -> None:
    """One line per HTTP attempt. Paths carry only transaction ids; no body or header is logged,
    so no secret and no document can appear."""
    if not attempts:
        return
    import logging

    logger = logging.getLogger("connectpsp")
    if not logger.isEnabledFor(INFO):
        return
    for method, path, status, elapsed_ms, attempt, key, failure in attempts:
        ok = status is not None and status < 400
        level = DEBUG if ok else INFO
        if not logger.isEnabledFor(level):
            continue
        logger.log(
            level,
            "%s %s -> %s in %d ms (attempt %d, idempotency key %s)",
            method,
            path,
            status if status is not None else (failure or "no answer"),
            elapsed_ms,
            attempt,
            key or "-",
        )
