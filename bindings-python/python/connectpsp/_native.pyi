# Stubs of the Rust extension module (bindings-python/src). Checked by `mypy.stubtest`.
import asyncio
from typing import Any, Callable, Optional, Union, final

__all__ = [
    "APPLICATION_TOKEN_HEADER",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_SETTLE_TIMEOUT_MS",
    "DEFAULT_TIMEOUT_MS",
    "DIGITAL_SIGNATURE_HEADER",
    "ERROR_CLASSES",
    "EVENT_ID_HEADER",
    "IDEMPOTENCY_KEY_HEADER",
    "MAX_RESPONSE_BYTES",
    "MAX_WEBHOOK_BYTES",
    "PRODUCTION_URL",
    "REPLAYED_HEADER",
    "REQUEST_ID_HEADER",
    "RESUBMIT_METHODS",
    "SIGNATURE_HEADER",
    "STAGING_URL",
    "TOKEN_STORE_TIMEOUT_MS",
    "USER_AGENT_CORE",
    "USER_AGENT_PREFIX",
    "CORE_VERSION",
    "NativeCall",
    "NativeClient",
    "NativeSandbox",
    "VERSION",
    "_drain",
    "process_id",
    "idempotency_key_for",
    "mask_document",
    "mask_personal",
    "mask_pix_key",
    "pix_build_brcode",
    "settle_delay_ms",
    "settle_is_pending",
    "webhook_event_body",
    "webhook_signature",
    "pix_detect_key_type",
    "pix_format_document",
    "pix_is_valid_cnpj",
    "pix_is_valid_cpf",
    "pix_normalize_document",
    "pix_parse_brcode",
    "pix_qr_png",
    "pix_qr_svg",
    "pix_validate_key",
    "webhook_construct_event",
]

VERSION: str
CORE_VERSION: str
# The core's facts (connectpsp_core::facts::ALL).
APPLICATION_TOKEN_HEADER: str
DEFAULT_MAX_RETRIES: int
DEFAULT_SETTLE_TIMEOUT_MS: int
DEFAULT_TIMEOUT_MS: int
DIGITAL_SIGNATURE_HEADER: str
ERROR_CLASSES: tuple[str, ...]
EVENT_ID_HEADER: str
IDEMPOTENCY_KEY_HEADER: str
MAX_RESPONSE_BYTES: int
MAX_WEBHOOK_BYTES: int
PRODUCTION_URL: str
REPLAYED_HEADER: str
REQUEST_ID_HEADER: str
RESUBMIT_METHODS: tuple[str, ...]
SIGNATURE_HEADER: str
STAGING_URL: str
TOKEN_STORE_TIMEOUT_MS: int
USER_AGENT_CORE: str
USER_AGENT_PREFIX: str

#: (method, path, status or None, elapsed ms, attempt, idempotency key or None, failure or None)
_Attempt = tuple[str, str, Optional[int], int, int, Optional[str], Optional[str]]

#: ((kind, call id, method, path template, attempt, idempotency key),
#:  (status, failure, elapsed ms, request id, will retry, outcome unknown))
_Event = tuple[
    tuple[str, int, str, str, int, Optional[str]],
    tuple[Optional[int], Optional[str], float, Optional[str], bool, bool],
]

@final
class NativeClient:
    def __new__(
        cls,
        config_json: str,
        *,
        proxy: Optional[str] = None,
        ca_bundle: Optional[str] = None,
        trust_env: bool = True,
    ) -> NativeClient: ...
    @property
    def base_url(self) -> str: ...
    def prepare(
        self,
        method: str,
        params_json: str,
        timeout_ms: Optional[int] = None,
        deadline_ms: Optional[int] = None,
        max_retries: Optional[int] = None,
    ) -> NativeCall: ...
    def construct_event(
        self,
        payload: bytes,
        signature: str,
        crypto_token: Union[str, list[str], None] = None,
        tolerance_ms: Optional[int] = None,
    ) -> dict[str, Any]: ...
    @property
    def token_store_key(self) -> str: ...
    def wants_token(self) -> bool: ...
    def token_for_store(self, saved: int) -> Optional[tuple[str, int, int]]: ...
    def adopt_from_store(self, value: str) -> Optional[int]: ...
    def close(self) -> None: ...

@final
class NativeCall:
    @property
    def idempotency_key(self) -> Optional[str]: ...
    def abandon(self) -> bool: ...
    def remaining_ms(self) -> int: ...
    # The result object is the `connectpsp.models` class the core's reply type names.
    def run(self, on_event: Optional[Callable[[_Event], object]] = None) -> tuple[Any, list[_Attempt]]: ...
    def run_async(
        self, on_event: Optional[Callable[[_Event], object]] = None
    ) -> asyncio.Future[tuple[Any, list[_Attempt]]]: ...

@final
class NativeSandbox:
    def __new__(cls, settings_json: str) -> NativeSandbox: ...
    @property
    def base_url(self) -> str: ...
    @property
    def credentials(self) -> tuple[str, str, str, str]: ...
    @property
    def running(self) -> bool: ...
    def stop(self) -> None: ...

def webhook_construct_event(
    payload: bytes,
    signature: str,
    crypto_token: Union[str, list[str]],
    tolerance_ms: Optional[int] = None,
    now_ms: Optional[int] = None,
) -> dict[str, Any]: ...
def idempotency_key_for(reference: str) -> str: ...
def mask_document(document: str) -> str: ...
def mask_pix_key(kind: Optional[str], key: str) -> str: ...
def mask_personal(mask: str, value: str, hint: Optional[str] = None) -> str: ...
def pix_parse_brcode(payload: str) -> dict[str, Any]: ...
def pix_build_brcode(params_json: str) -> str: ...
def pix_validate_key(kind: str, key: str) -> str: ...
def pix_is_valid_cpf(document: str) -> bool: ...
def pix_is_valid_cnpj(document: str) -> bool: ...
def pix_detect_key_type(key: str) -> tuple[Optional[str], Optional[str], list[tuple[str, str]]]: ...
def pix_normalize_document(document: str) -> str: ...
def pix_format_document(document: str) -> str: ...
def pix_qr_svg(code: str) -> str: ...
def pix_qr_png(code: str, module_px: Optional[int] = None) -> bytes: ...
def _drain() -> None: ...
def process_id() -> int: ...
def settle_is_pending(resource: str, status: str) -> bool: ...
def settle_delay_ms(poll: int, retry_after_ms: Optional[int] = None) -> int: ...
def webhook_signature(payload: bytes, crypto_token: str) -> str: ...
def webhook_event_body(event_type: str, data_json: str, event_at: str) -> str: ...
