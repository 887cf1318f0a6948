"""Between the typed Python surface and the native call: parameters to JSON, JSON to results,
and one log line per HTTP attempt.

Nothing here decides anything about the API: validation, headers, retries and the token live
in the core. This module only maps Python values onto the bridge's JSON (docs/architecture.md §3):
``Decimal`` goes as a decimal string, ``int`` as an integer, a ``float`` as a JSON number that
the core refuses (the binding sets ``float_amounts: false``), typed request objects as dicts.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Mapping, Optional, Sequence, Tuple

from ._model_base import Model

# `logging` is imported on the first logged call, not at import: it is a quarter of the
# package's import time and many processes never log at DEBUG/INFO.
DEBUG, INFO = 10, 20

#: What the native side reports for each HTTP attempt:
#: (method, path, status or None, elapsed ms, attempt number, idempotency key or None, failure kind or None)
Attempt = Tuple[str, str, Optional[int], int, int, Optional[str], Optional[str]]


def _to_json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        # "f" keeps Decimal("1E+3") readable for the core's strict decimal parser ("1000").
        return format(value, "f")
    if isinstance(value, Model):
        return value._to_params()
    raise TypeError(f"cannot send a {type(value).__name__} to the API")


def encode_params(params: Mapping[str, Any]) -> str:
    """Keyword arguments -> the params JSON of ``bridge::call_from_json`` (None = not given)."""
    present = {k: v for k, v in params.items() if v is not None}
    return json.dumps(present, default=_to_json_value, ensure_ascii=False, allow_nan=True)


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
