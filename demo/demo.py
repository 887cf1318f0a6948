"""The ConnectPSP money flow, told step by step (Python).

    demo/with-sandbox.sh python demo/demo.py      # or `make demo`, which runs this and demo.mjs

Reads CONNECTPSP_BASE_URL and the credentials (CONNECTPSP_CLIENT_ID, CONNECTPSP_CLIENT_SECRET,
CONNECTPSP_APPLICATION_TOKEN, CONNECTPSP_CRYPTO_TOKEN) from the environment. The payer paying
and the sandbox's control API are the only parts that would not exist in production.

Every amount is a Decimal from end to end; the last line proves that the balance moved by exactly
the sum of the flows, to the centavo.
"""

from __future__ import annotations

import http.server
import io
import itertools
import json
import os
import queue
import sys
import threading
import time
import urllib.request
import uuid
from decimal import Decimal
from typing import Any, Callable, Optional

import connectpsp

# --- the terminal ---------------------------------------------------------------------------

TTY = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
TOTAL_STEPS = 11


def paint(code: str, text: str) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if TTY else text


def brl(amount: Decimal) -> str:
    """R$ 1.234,56 - Brazilian grouping, exact (Decimal formatting never goes through a float)."""
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):,.2f}".split(".")
    return f"{sign}R$ {whole.replace(',', '.')},{cents}"


def signed(amount: Decimal) -> str:
    return ("+" if amount >= 0 else "") + brl(amount).replace("R$ -", "-R$ ")


class Story:
    """One status line per step; a spinner while we wait for something that happens elsewhere."""

    def __init__(self) -> None:
        self.n = 0

    def step(self, title: str, detail: str = "") -> None:
        self.n += 1
        num = paint("2", f"{self.n:>2}/{TOTAL_STEPS}")
        print(f"{paint('32', '✔')} {num} {paint('1', title)}" + (f"  {paint('2', detail)}" if detail else ""))
        sys.stdout.flush()

    def note(self, text: str) -> None:
        print(f"         {text}")

    def wait(self, what: str, done: Callable[[], Optional[Any]], timeout_s: float = 30.0) -> Any:
        """Polls `done` until it returns something, spinning on a TTY; raises after timeout_s."""
        frames = itertools.cycle("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
        start = time.monotonic()
        while True:
            result = done()
            if result is not None:
                if TTY:
                    print("\r\x1b[2K", end="")
                return result
            elapsed = time.monotonic() - start
            if elapsed > timeout_s:
                raise SystemExit(f"timed out after {timeout_s:.0f} s waiting for {what}")
            if TTY:
                print(f"\r{paint('36', next(frames))}      waiting for {what}… {elapsed:4.1f}s", end="", flush=True)
            time.sleep(0.08)


# --- the webhook receiver: a plain stdlib HTTP server ----------------------------------------


class WebhookReceiver:
    """Receives ConnectPSP webhooks on 127.0.0.1 and verifies each one against the raw bytes.

    The signature covers the exact body bytes, so they are read before any JSON parsing; a body
    that fails verification is answered 400 and never reaches the application.
    """

    def __init__(self, client: connectpsp.Client) -> None:
        self.events: "queue.Queue[Any]" = queue.Queue()
        self.seen: dict[str, Any] = {}
        self.rejected = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    event = client.webhooks.construct_event(raw, dict(self.headers.items()))
                except connectpsp.WebhookSignatureError:
                    receiver.rejected += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                receiver.events.put(event)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the story prints
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/connectpsp"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def poll(self, event_type: str, transaction_id: str) -> Optional[Any]:
        """The event of that type for that transaction, once it has arrived (retries deduplicated)."""
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            # Retried deliveries carry a new X-Event-Id: dedupe on type, transaction and status.
            self.seen.setdefault(f"{event.event_type}:{event.data.transaction_id}", event)
        return self.seen.get(f"{event_type}:{transaction_id}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the sandbox's control API (the payer's side; not part of the SDK) -----------------------


def sandbox_control(base_url: str, path: str, body: Optional[dict[str, Any]] = None) -> Any:
    request = urllib.request.Request(
        f"{base_url}/_sandbox/{path}",
        data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def render_qr(text: str) -> str:
    """The copia-e-cola as a terminal QR code (half-block characters): scan it with a bank app."""
    try:
        import qrcode
    except ImportError:
        return "(pip install qrcode to see the QR code here)"
    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue().rstrip("\n")


# --- the story ---------------------------------------------------------------------------------


def main() -> int:
    base_url = os.environ["CONNECTPSP_BASE_URL"]
    client = connectpsp.Client(
        client_id=os.environ["CONNECTPSP_CLIENT_ID"],
        client_secret=os.environ["CONNECTPSP_CLIENT_SECRET"],
        application_token=os.environ["CONNECTPSP_APPLICATION_TOKEN"],
        crypto_token=os.environ["CONNECTPSP_CRYPTO_TOKEN"],
        base_url=base_url,
    )
    story = Story()
    receiver = WebhookReceiver(client)
    run = uuid.uuid4().hex[:8]  # external references are unique per application: one run, one set
    print(paint("1", f"ConnectPSP demo (Python) against {base_url}"))
    try:
        # 1. The first call exchanges the credentials for a JWT; the client caches and refreshes it.
        opening = client.account.balance()
        opening_total = opening.consolidated.total_balance
        story.step(
            "Authenticated",
            f"client {os.environ['CONNECTPSP_CLIENT_ID']} · opening balance {brl(opening_total)}"
            f" ({brl(opening.consolidated.transactional_balance)} transactional)",
        )

        # 2. A PIX charge: the payer gets a copia-e-cola string and a QR code.
        cash_in_amount = Decimal("150.50")
        cash_in = client.cash_in.create(
            amount=cash_in_amount,
            external_reference=f"demo-{run}-order-1",
            payer={"name": "João Silva", "document": "12345678909"},
            webhook_url=receiver.url,
            expiration_in_minutes=60,
        )
        assert cash_in.pix_data is not None  # a QR charge always has one (OpenFinance has a paymentUrl)
        copy_and_paste = cash_in.pix_data.copy_and_paste
        story.step(
            f"Cash-in created: {brl(cash_in.amount)}",
            f"{cash_in.transaction_id} · {cash_in.status} · idempotency key {cash_in.idempotency_key}",
        )
        story.note(f"copia-e-cola: {copy_and_paste}")
        brcode = connectpsp.pix.parse_brcode(copy_and_paste)
        story.note(f"decoded offline by the PIX toolkit: amount {brcode.amount}, CRC valid")
        for line in render_qr(copy_and_paste).splitlines():
            story.note(line)

        # 3. The payer pays from their bank app; the sandbox's control API plays that part.
        sandbox_control(base_url, f"cash-in/{cash_in.transaction_id}/pay")
        story.step("The payer paid the PIX", "sandbox control: POST /_sandbox/cash-in/{id}/pay")

        # 4. ConnectPSP tells us by webhook; the receiver verified the signature on the raw bytes.
        paid = story.wait("CASHIN_PAID", lambda: receiver.poll("CASHIN_PAID", cash_in.transaction_id))
        story.step(
            "Webhook CASHIN_PAID received, signature verified",
            f"{paid.data.status} · endToEndId {paid.data.end_to_end_id}",
        )

        # 5. The money is in.
        after_cash_in = client.account.balance()
        story.step(
            f"Balance {brl(after_cash_in.consolidated.total_balance)}",
            f"{signed(after_cash_in.consolidated.total_balance - opening_total)} since the start",
        )

        # 6-7. A payout to a PIX key: accepted now (202 PROCESSING), settled later.
        payout_amount = Decimal("50.00")
        payout = client.cash_out.create(
            amount=payout_amount,
            external_reference=f"demo-{run}-withdrawal-1",
            description="Demo withdrawal",
            webhook_url=receiver.url,
            payee={
                "name": "Maria Silva",
                "document": "12345678909",
                "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"},
            },
        )
        story.step(f"Cash-out of {brl(payout.amount)} to a CPF key", f"{payout.transaction_id} · {payout.status}")
        completed = story.wait(
            "CASHOUT_COMPLETED", lambda: receiver.poll("CASHOUT_COMPLETED", payout.transaction_id)
        )
        story.step("Webhook CASHOUT_COMPLETED received", f"endToEndId {completed.data.end_to_end_id}")

        # 8. A payout to the sandbox's magic key that never resolves: it fails asynchronously.
        failing = client.cash_out.create(
            amount=Decimal("25.00"),
            external_reference=f"demo-{run}-withdrawal-2",
            description="Demo withdrawal to an unknown key",
            webhook_url=receiver.url,
            payee={
                "name": "Nobody",
                "document": "12345678909",
                "destination": {"type": "PIX", "pix_key_type": "EMAIL", "pix_key": "fail@sandbox.connectpsp.com"},
            },
        )
        failed = story.wait("CASHOUT_FAILED", lambda: receiver.poll("CASHOUT_FAILED", failing.transaction_id))
        failure = failed.data.failure
        story.step(
            f"Cash-out of {brl(failing.amount)} to an unknown key failed",
            f"CASHOUT_FAILED · {failure.code}: {failure.message} · nothing left the account",
        )

        # 9. The customer asks for their money back: a full PIX devolution of the cash-in.
        refund = client.cash_in.refund(
            cash_in.transaction_id, reason="CUSTOMER_REQUEST", description="demo: customer asked"
        )
        story.step(
            f"Cash-in refunded: {brl(refund.amount)}",
            f"{refund.status} · devolution endToEndId {refund.end_to_end_id}",
        )

        # 10. Top the transactional account back up to where it started, from the proprietary one.
        before_rebalance = client.account.balance()
        target = opening.consolidated.transactional_balance
        result = client.account.rebalance(target_amount=target)
        after = client.account.balance()
        moved = after.consolidated.transactional_balance - before_rebalance.consolidated.transactional_balance
        story.step(
            f"Rebalanced transactional to {brl(target)}",
            f"{signed(moved)} from proprietary · {result.message}",
        )

        # 11. Reconciliation: the total moved by exactly the sum of the flows.
        flows = cash_in_amount - payout_amount - refund.amount  # the failed payout moved nothing
        delta = after.consolidated.total_balance - opening_total
        line = (
            f"{signed(cash_in_amount)} cash-in {signed(-payout_amount)} payout "
            f"{signed(-refund.amount)} refund = {signed(flows)} · balance moved {signed(delta)}"
        )
        if delta != flows:
            print(paint("31", f"✘ reconciliation FAILED: {line}"))
            return 1
        story.step("Reconciled to the centavo", line)
        print(paint("32", "demo (Python): OK"))
        return 0
    except connectpsp.ConnectPSPError as error:
        print(paint("31", f"✘ {type(error).__name__}: {error}"))
        return 1
    finally:
        receiver.close()
        client.close()


if __name__ == "__main__":
    sys.exit(main())
