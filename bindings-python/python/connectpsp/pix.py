"""The offline PIX toolkit: documents, keys and BR Codes ("Pix copia e cola"). No network.

All rules are the core's (the same code validates requests before they are sent).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Optional, Union

from . import _native
from ._model_base import Model, as_bool, as_str, model, to_decimal, tuple_of
from ._codec import encode_params
from .models import PixKeyType

if TYPE_CHECKING:
    from ._model_base import Converter

__all__ = [
    "BrCode",
    "BrCodeField",
    "parse_brcode",
    "build_brcode",
    "validate_key",
    "is_valid_cpf",
    "is_valid_cnpj",
    "KeyDetection",
    "detect_key_type",
    "normalize_document",
    "format_document",
    "qr_svg",
    "qr_png",
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
    return BrCode._from_data(_native.pix_parse_brcode(payload))


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


class KeyDetection:
    """What a PIX key looks like. ``type`` is None when it is ambiguous (an unmasked 11-digit
    number that is both a valid CPF and a mobile number): then ``candidates`` lists each reading
    as ``(type, normalized key)``, in order."""

    __slots__ = ("type", "normalized", "candidates")

    type: Optional[PixKeyType]
    normalized: Optional[str]
    candidates: tuple[tuple[PixKeyType, str], ...]

    def __init__(
        self, type: Optional[PixKeyType], normalized: Optional[str], candidates: tuple[tuple[PixKeyType, str], ...]
    ) -> None:
        self.type = type
        self.normalized = normalized
        self.candidates = candidates

    def __repr__(self) -> str:
        # A key is personal data: show the kinds only.
        kinds = [str(kind) for kind, _ in self.candidates]
        return f"KeyDetection(type={None if self.type is None else str(self.type)!r}, candidates={kinds!r})"


def detect_key_type(key: str) -> KeyDetection:
    """CPF, CNPJ, EMAIL, PHONE or EVP, with the key as it goes on the wire; raises
    ``ValidationError`` (field ``pix_key``) for something that is no PIX key at all."""
    kind, normalized, candidates = _native.pix_detect_key_type(key)
    return KeyDetection(
        None if kind is None else PixKeyType(kind),
        normalized,
        tuple((PixKeyType(c_kind), c_key) for c_kind, c_key in candidates),
    )


def normalize_document(document: str) -> str:
    """Strips the usual masks (``123.456.789-09``, ``12.ABC.345/01DE-35``) and upper-cases; raises
    ``ValidationError`` (field ``document``) unless a valid CPF or CNPJ remains."""
    return _native.pix_normalize_document(document)


def format_document(document: str) -> str:
    """A CPF or CNPJ with its usual mask: ``123.456.789-09``, ``12.ABC.345/01DE-35``."""
    return _native.pix_format_document(document)


def qr_svg(code: str) -> str:
    """An SVG image of the QR code of a BR Code (checked first; ``ValidationError`` on ``brcode``)."""
    return _native.pix_qr_svg(code)


def qr_png(code: str, *, module_px: Optional[int] = None) -> bytes:
    """A PNG image of the QR code of a BR Code; ``module_px`` pixels per module (1 to 32, default 8)."""
    return _native.pix_qr_png(code, module_px)
