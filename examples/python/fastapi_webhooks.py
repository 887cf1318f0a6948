"""Receiving ConnectPSP webhooks in FastAPI, verified against the raw body.

    pip install fastapi uvicorn
    CONNECTPSP_CRYPTO_TOKEN=... python examples/python/fastapi_webhooks.py     # PORT=8000

The signature (X-Connect-Signature) is an HMAC of the exact bytes ConnectPSP sent. Read them with
`await request.body()` and verify before parsing: a model parameter (`event: MyModel`) or
`await request.json()` followed by `json.dumps` gives different bytes (spacing, key order,
`10.00` becoming `10.0`) and the signature no longer matches.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response

import connectpsp

CRYPTO_TOKEN = os.environ["CONNECTPSP_CRYPTO_TOKEN"]

app = FastAPI()
# Deliveries are retried (each with a new X-Event-Id), so handle each state change once.
# In production this is a unique index in your database, not a set in memory.
handled: set[str] = set()


@app.post("/webhooks/connectpsp")
async def connectpsp_webhook(request: Request) -> Response:
    raw = await request.body()  # the exact bytes: verify these, never a re-serialised copy
    try:
        event = connectpsp.Webhook.construct_event(
            payload=raw,
            signature=request.headers.get("x-connect-signature", ""),
            crypto_token=CRYPTO_TOKEN,
        )
    except connectpsp.WebhookSignatureError:
        return Response(status_code=400)  # not from ConnectPSP (or altered on the way)

    # "eventType:transactionId:status" - the same for every retry of one delivery.
    key = event.dedupe_key or ""
    if key not in handled:
        handled.add(key)
        # Answer within 5 seconds: queue slow work instead of doing it here.
        data = event.data
        if isinstance(data, (connectpsp.CashIn, connectpsp.CashOut)):  # else: an event type newer than this SDK
            print(f"verified {event.event_type} for {data.transaction_id} ({data.status})", flush=True)
    return Response(status_code=200)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")), log_level="warning")
