"""What the chaos run pays: the same plan for every package (chaos_runner.mjs repeats these two
formulas), so chaos.py can check each payout's amount against the sandbox to the centavo."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

#: A plain PIX payee (no sandbox magic value: every payout must complete).
PAYEE: dict[str, Any] = {
    "name": "Chaos Payee",
    "document": "12345678909",
    "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"},
}


def reference_for(run_id: str, i: int) -> str:
    return f"chaos-{run_id}-{i}"


def centavos_for(i: int) -> int:
    """1.00 to 49.99, varied so a wrong or doubled amount cannot cancel out in the sum."""
    return 100 + (i * 7919) % 4900


def amount_for(i: int) -> Decimal:
    return Decimal(centavos_for(i)) / 100
