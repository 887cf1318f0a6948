"""The machinery shared by every result type: frozen, attribute access, ``to_dict()``, masked repr.

Plain classes rather than dataclasses: ``dataclasses`` costs about 7 ms at import and the
package must import in well under 20 ms.

For the same reason no module that ``import connectpsp`` loads imports ``typing`` (a quarter of
the package's import instructions, with the ``re`` it pulls in): annotations are strings
(PEP 563) and the names they use, type aliases included, exist for the type checker only, under
``TYPE_CHECKING = False`` / ``if TYPE_CHECKING:``, which mypy and pyright read as
``typing.TYPE_CHECKING``. Runtime checks use ``collections.abc``. ``tests/test_startup.py``
holds it.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: see _model_base
if TYPE_CHECKING:
    from typing import Any, Callable, ClassVar, Mapping, Optional, TypeVar

from . import _native

__all__ = ["Model", "Converter", "to_decimal", "mask_document", "mask_pix_key"]

if TYPE_CHECKING:
    Converter = Callable[[Any], Any]
    M = TypeVar("M", bound="Model")

_LONG = 60
# Personal data shown masked in every repr (docs/architecture.md §5); documents likewise.
_PIX_KEY_FIELDS = frozenset({"pix_key", "key"})


def to_decimal(value: Any) -> Decimal:
    """Amounts leave the core as decimal strings ("150.50"); never through a binary float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"expected a decimal amount, got {type(value).__name__}")


def mask_document(document: str) -> str:
    """``12345678909`` -> ``123.***.***-09`` (the core's rule, shared with the logs)."""
    return _native.mask_document(document)


def mask_pix_key(key: str, kind: Optional[str] = None) -> str:
    """Masks a PIX key, keeping just enough to recognise it; ``kind`` is inferred when absent."""
    return _native.mask_pix_key(kind, key)


def _plain(value: Any) -> Any:
    """A value as it goes into ``to_dict()``: models become dicts, enums their string."""
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _show(owner: Model, name: str, value: Any) -> str:
    if isinstance(value, str) and not isinstance(value, Enum):
        if name == "document":
            return repr(mask_document(value))
        if name in _PIX_KEY_FIELDS:
            kind = getattr(owner, "pix_key_type", None)
            return repr(mask_pix_key(value, None if kind is None else str(kind)))
        if len(value) > _LONG:
            return repr(f"{value[:24]}…({len(value)} chars)")
        return repr(value)
    if isinstance(value, Enum):
        return repr(value.value)
    return repr(value)


class Model:
    """Base of the typed, immutable result (and nested request) objects.

    Subclasses list their attributes in ``_fields`` with a converter from the core's JSON
    value (snake_case keys, amounts as decimal strings). Keys the SDK does not know yet are kept
    in ``to_dict()`` so nothing the API sends is lost.
    """

    _fields: ClassVar[Mapping[str, Converter]] = {}
    _extra: dict[str, Any]

    def __init__(self, **values: Any) -> None:
        unknown = set(values) - set(self._fields)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword arguments: {', '.join(sorted(unknown))}"
            )
        object.__setattr__(self, "_extra", {})
        for name in self._fields:
            object.__setattr__(self, name, values.get(name))

    @classmethod
    def _from_data(cls: type[M], data: Mapping[str, Any]) -> M:
        self = cls.__new__(cls)
        fields = cls._fields
        # Written into the instance dict directly: `__setattr__` refuses (immutability), and one
        # `object.__setattr__` per field is most of the cost of building a result.
        own = self.__dict__
        own["_extra"] = {k: v for k, v in data.items() if k not in fields}
        for name, convert in fields.items():
            value = data.get(name)
            own[name] = None if value is None else convert(value)
        self._after_init()
        return self

    def _after_init(self) -> None:
        """Hook for subclasses that carry more than their fields."""

    def to_dict(self) -> dict[str, Any]:
        """The object as plain Python data (snake_case keys, ``Decimal`` amounts, ``str`` statuses)."""
        out: dict[str, Any] = {name: _plain(getattr(self, name)) for name in self._fields}
        out.update(self._extra)
        return out

    def _to_params(self) -> dict[str, Any]:
        """As request parameters: the fields that are set."""
        out = {name: getattr(self, name) for name in self._fields}
        return {k: v for k, v in out.items() if v is not None}

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model) or type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={_show(self, name, getattr(self, name))}"
            for name in self._fields
            if getattr(self, name) is not None
        )
        return f"{type(self).__name__}({shown})"


def model(cls: type[M]) -> Converter:
    """Converter for a nested object."""
    return cls._from_data


def tuple_of(convert: Converter) -> Converter:
    return lambda values: tuple(convert(v) for v in values)


#: The builtin itself, not a wrapper: one Python call less per text field.
as_str: Converter = str


def as_bool(value: Any) -> bool:
    return bool(value)
