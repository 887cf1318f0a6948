class _OpenEnum(str, Enum):
    """A ``str`` enum that accepts values it does not know (forward compatibility): such a value
    becomes a member named ``UNKNOWN`` whose value is the raw string."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)


class _Schema(Model):
    """A generated model: its ``repr`` masks the fields core/src/personal.rs lists."""

    #: attribute -> (the core's mask name, the attribute whose value refines it)
    _personal: ClassVar[Mapping[str, tuple[str, Optional[str]]]] = {}

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={self._shown(name, getattr(self, name))}"
            for name in self._fields
            if getattr(self, name) is not None
        )
        return f"{type(self).__name__}({shown})"

    def _shown(self, name: str, value: Any) -> str:
        rule = self._personal.get(name)
        if rule is not None and isinstance(value, str):
            mask, hint = rule
            hint_value = None if hint is None else getattr(self, hint, None)
            return repr(_native.mask_personal(mask, value, None if hint_value is None else str(hint_value)))
        return _show(self, name, value)


if TYPE_CHECKING:
    R = TypeVar("R", bound="_Resource")


class _Resource(_Schema):
    """A top-level result: the resource plus what the call that produced it knows."""

    raw: str
    idempotency_key: Optional[str]
    http_status: int
    request_id: Optional[str]
    attempts: int
    #: The API answered ``Idempotent-Replayed: true``: this is the stored answer of an earlier
    #: request with the same idempotency key (found the original), not something created now.
    replayed: bool

    def _after_init(self) -> None:
        # Also built from webhook payloads, where no HTTP call stands behind the object.
        self.__dict__.update(_NO_CALL)

    @classmethod
    def _from_outcome(cls: type[R], outcome: Mapping[str, Any]) -> R:
        """The result of a call: built by the native module from the core's typed outcome."""
        self = cls._from_data(outcome.get("data") or {})
        # Into the instance dict directly (`__setattr__` refuses: the object is immutable).
        self.__dict__.update(
            raw=outcome.get("raw") or "",
            idempotency_key=outcome.get("idempotency_key"),
            http_status=int(outcome.get("status") or 0),
            request_id=outcome.get("request_id"),
            attempts=int(outcome.get("attempts") or 0),
            replayed=outcome.get("replayed") is True,
        )
        return self


#: What a resource knows of the call behind it when there was none (a webhook's data).
_NO_CALL: Mapping[str, Any] = {
    "raw": "",
    "idempotency_key": None,
    "http_status": 0,
    "request_id": None,
    "attempts": 0,
    "replayed": False,
}


def _same(value: Any) -> Any:
    return value
