"""Hand-written async ConnectPSP client on aiohttp: one ClientSession with a pooled keep-alive
connector, one token reused until it nears expiry."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp

from peer_protocol import Credentials, PeerError, Token, cash_out_body, parse_resource, request_headers


class AiohttpClient:
    def __init__(self, base_url: str, credentials: Credentials, max_connections: int = 64):
        # Created inside the running loop (aiohttp requires it).
        self._http = aiohttp.ClientSession(
            base_url=base_url,
            connector=aiohttp.TCPConnector(limit=max_connections, limit_per_host=max_connections),
            timeout=aiohttp.ClientTimeout(total=30.0),
        )
        self._credentials = credentials
        self._token: Token | None = None
        self._refresh = asyncio.Lock()

    async def _current_token(self) -> Token:
        token = self._token
        if token is not None and token.fresh():
            return token
        async with self._refresh:
            if self._token is None or not self._token.fresh():
                async with self._http.post(
                    "/auth/token",
                    data=self._credentials.token_request(),
                    headers={"Content-Type": "application/json"},
                ) as response:
                    body = await response.read()
                    if response.status != 200:
                        raise PeerError(response.status, body)
                self._token = Token.from_response(body, self._credentials)
            return self._token

    async def create_cash_out(
        self, amount: Decimal, external_reference: str, description: str, payee: dict[str, Any]
    ) -> dict[str, Any]:
        token = await self._current_token()
        async with self._http.post(
            "/cash-out",
            data=cash_out_body(amount, external_reference, description, payee),
            headers=request_headers(token),
        ) as response:
            body = await response.read()
            return parse_resource(response.status, body)

    async def aclose(self) -> None:
        await self._http.close()
