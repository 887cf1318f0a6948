"""Python values to the params JSON of a native call.

Nothing here decides anything about the API: validation, headers, retries and the token live
in the core. This module only maps Python values onto the bridge's JSON (docs/architecture.md §3):
``Decimal`` goes as a decimal string, ``int`` as an integer, a ``float`` as a JSON number that
the core refuses (the Python codec takes no float amounts), typed request objects as dicts.
What JSON cannot carry (NaN, infinities) or what would be costly to format (a ``Decimal`` with
a huge exponent) is refused here, naming the field. Results and errors do not come back as
JSON: the native module builds them, and the toolkit's answers, from the core's typed values
(``src/results.rs``, ``src/toolkit.rs``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: see _model_base
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

from ._errors import ValidationError
from ._model_base import Model

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


class _Named(Exception):
    """The fast path met a value it does not write itself: the checked path names the field."""


def _fast_default(value: Any) -> Any:
    # Called by the C encoder only for what JSON has no type for.
    if isinstance(value, Decimal):
        try:
            return _decimal_text(value, "")
        except ValidationError:
            raise _Named from None
    if isinstance(value, Model):
        return value._to_params()
    if isinstance(value, Mapping):
        return dict(value)
    raise _Named


if TYPE_CHECKING:
    Encode = Callable[[Any], str]
#: The fast and the checked encoder, one of each for every call (``json.dumps`` with options
#: builds a new one each time), made by the first call: ``json`` and the ``re`` patterns it
#: compiles are a large part of what importing the package would otherwise cost, and a program
#: that makes no call (the PIX toolkit, webhooks) never needs them.
_made: Optional[tuple[Encode, Encode]] = None


def _encoders() -> tuple[Encode, Encode]:
    global _made
    if _made is None:
        import json

        fast = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_fast_default).encode
        _made = fast, json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    return _made


def encode_params(params: Mapping[str, Any]) -> str:
    """Keyword arguments -> the params JSON of ``bridge::call_from_json`` (None = not given).

    The usual parameters (text, ints, ``Decimal``, dicts, models) are written by the C encoder in
    one pass; a value it refuses (NaN, a huge ``Decimal``, a type JSON cannot carry) sends the
    call through ``_plain``, which raises the error naming the field. Both write the same JSON.
    """
    present = {k: v for k, v in params.items() if v is not None}
    encode_fast, encode = _made or _encoders()
    try:
        return encode_fast(present)
    except (_Named, ValueError, TypeError):
        pass
    return encode({k: _plain(v, k) for k, v in present.items()})

