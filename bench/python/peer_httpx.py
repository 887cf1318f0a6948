"""Hand-written ConnectPSP clients on httpx: the async one (`httpx.AsyncClient`) and the sync one
(`httpx.Client`). Pooled keep-alive connections, one token reused until it nears expiry."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from typing import Any

import httpx

from peer_protocol import Credentials, PeerError, Token, cash_out_body, parse_resource, request_headers


class AsyncHttpxClient:
    def __init__(self, base_url: str, credentials: Credentials, max_connections: int = 64):
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0)
        self._credentials = credentials
        self._token: Token | None = None
        self._refresh = asyncio.Lock()

    async def _current_token(self) -> Token:
        token = self._token
        if token is not None and token.fresh():
            return token
        async with self._refresh:  # one refresh at a time; late arrivals reuse its result
            if self._token is None or not self._token.fresh():
                response = await self._http.post(
                    "/auth/token",
                    content=self._credentials.token_request(),
                    headers={"Content-Type": "application/json"},
                )
                if response.status_code != 200:
                    raise PeerError(response.status_code, response.content)
                self._token = Token.from_response(response.content, self._credentials)
            return self._token

    async def create_cash_out(
        self, amount: Decimal, external_reference: str, description: str, payee: dict[str, Any]
    ) -> dict[str, Any]:
        token = await self._current_token()
        response = await self._http.post(
            "/cash-out",
            content=cash_out_body(amount, external_reference, description, payee),
            headers=request_headers(token),
        )
        return parse_resource(response.status_code, response.content)

    async def aclose(self) -> None:
        await self._http.aclose()


class HttpxClient:
    def __init__(self, base_url: str, credentials: Credentials, max_connections: int = 10):
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = httpx.Client(base_url=base_url, limits=limits, timeout=30.0)
        self._credentials = credentials
        self._token: Token | None = None
        self._refresh = threading.Lock()

    def _current_token(self) -> Token:
        token = self._token
        if token is not None and token.fresh():
            return token
        with self._refresh:
            if self._token is None or not self._token.fresh():
                response = self._http.post(
                    "/auth/token",
                    content=self._credentials.token_request(),
                    headers={"Content-Type": "application/json"},
                )
                if response.status_code != 200:
                    raise PeerError(response.status_code, response.content)
                self._token = Token.from_response(response.content, self._credentials)
            return self._token

    def create_cash_out(
        self, amount: Decimal, external_reference: str, description: str, payee: dict[str, Any]
    ) -> dict[str, Any]:
        token = self._current_token()
        response = self._http.post(
            "/cash-out",
            content=cash_out_body(amount, external_reference, description, payee),
            headers=request_headers(token),
        )
        return parse_resource(response.status_code, response.content)

    def close(self) -> None:
        self._http.close()
