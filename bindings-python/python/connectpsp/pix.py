"""The offline PIX toolkit: documents, keys and BR Codes ("Pix copia e cola"). No network.

All rules are the core's (the same code validates requests before they are sent).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Mapping, Optional, Union

from . import _native
from ._model_base import Converter, Model, as_bool, as_str, model, to_decimal, tuple_of
from ._transport import decode_outcome, encode_params
from .models import PixKeyType

__all__ = [
    "BrCode",
    "BrCodeField",
    "parse_brcode",
    "build_brcode",
    "validate_key",
    "is_valid_cpf",
    "is_valid_cnpj",
]


class BrCodeField(Model):
    """One top-level data object of the payload (``id`` is the EMV tag, e.g. ``"59"``)."""

    id: str
    value: str
    _fields: ClassVar[Mapping[str, Converter]] = {"id": as_str, "value": as_str}

    def __repr__(self) -> str:
        # Values can hold the PIX key (tag 26): show only the size.
        return f"BrCodeField(id={self.id!r}, value=<{len(self.value)} chars>)"


class BrCode(Model):
    """A decoded BR Code. ``key`` (static code) or ``url`` (dynamic code) says where the payer's
    app finds the payee; ``amount`` is ``None`` when the payer chooses it."""

    key: Optional[str]
    url: Optional[str]
    single_use: bool
    merchant_name: str
    merchant_city: str
    amount: Optional[Decimal]
    txid: Optional[str]
    description: Optional[str]
    postal_code: Optional[str]
    merchant_category_code: str
    currency: str
    country_code: str
    fields: tuple[BrCodeField, ...]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "key": as_str,
        "url": as_str,
        "single_use": as_bool,
        "merchant_name": as_str,
        "merchant_city": as_str,
        "amount": to_decimal,
        "txid": as_str,
        "description": as_str,
        "postal_code": as_str,
        "merchant_category_code": as_str,
        "currency": as_str,
        "country_code": as_str,
        "fields": tuple_of(model(BrCodeField)),
    }


def parse_brcode(payload: str) -> BrCode:
    """Decode and check a BR Code (CRC, lengths, mandatory fields). Raises ``ValidationError``
    listing every problem found."""
    return BrCode._from_data(decode_outcome(_native.pix_parse_brcode(payload)))


def build_brcode(
    *,
    merchant_name: str,
    merchant_city: str,
    key: Optional[str] = None,
    url: Optional[str] = None,
    amount: Union[Decimal, int, str, None] = None,
    txid: Optional[str] = None,
    description: Optional[str] = None,
) -> str:
    """Encode a BR Code for ``key`` (static) or ``url`` (dynamic), with a correct CRC."""
    params: dict[str, Any] = {
        "key": key,
        "url": url,
        "merchant_name": merchant_name,
        "merchant_city": merchant_city,
        "amount": amount,
        "txid": txid,
        "description": description,
    }
    return _native.pix_build_brcode(encode_params(params))


def validate_key(kind: Union[PixKeyType, str], key: str) -> str:
    """Check a PIX key of type ``kind`` (CPF, CNPJ, EMAIL, PHONE, EVP) and return the form sent
    on the wire (e.g. a phone as ``+55...``). Raises ``ValidationError``."""
    return _native.pix_validate_key(str(PixKeyType(kind).value), key)


def is_valid_cpf(document: str) -> bool:
    """11 digits with valid check digits."""
    return _native.pix_is_valid_cpf(document)


def is_valid_cnpj(document: str) -> bool:
    """14 characters (digits, or the alphanumeric CNPJ in uppercase) with valid check digits."""
    return _native.pix_is_valid_cnpj(document)
