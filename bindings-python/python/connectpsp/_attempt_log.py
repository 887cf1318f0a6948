"""One log line per HTTP attempt, on the ``connectpsp`` logger.

The native call reports its attempts (method, path, status, time, attempt number, key); this
writes them: DEBUG for an answer below 400, INFO otherwise. Paths carry only transaction ids
and no body or header is logged, so no secret and no document can appear.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: see _model_base
if TYPE_CHECKING:
    import logging
    from typing import Optional, Sequence, Tuple

# `logging` is imported on the first logged call, not at import: it is a quarter of the
# package's import time and many processes never log at DEBUG/INFO.
DEBUG, INFO = 10, 20

#: What the native side reports for each HTTP attempt:
#: (method, path, status or None, elapsed ms, attempt number, idempotency key or None, failure kind or None)
if TYPE_CHECKING:
    Attempt = Tuple[str, str, Optional[int], int, int, Optional[str], Optional[str]]

#: The ``connectpsp`` logger, looked up on the first call (``getLogger`` takes a lock each time).
_logger: Optional[logging.Logger] = None


def log_attempts(attempts: Sequence[Attempt]) -> None:
    """One line per HTTP attempt. Paths carry only transaction ids; no body or header is logged,
    so no secret and no document can appear."""
    global _logger
    if not attempts:
        return
    logger = _logger
    if logger is None:
        import logging

        logger = _logger = logging.getLogger("connectpsp")
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
