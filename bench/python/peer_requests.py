"""Hand-written sync ConnectPSP client on requests: one Session (pooled keep-alive connections),
one token reused until it nears expiry."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from peer_protocol import Credentials, PeerError, Token, cash_out_body, parse_resource, request_headers


class RequestsClient:
    def __init__(self, base_url: str, credentials: Credentials, max_connections: int = 10):
        self._base_url = base_url
        self._http = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max_connections)
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)
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
                    self._base_url + "/auth/token",
                    data=self._credentials.token_request(),
                    headers={"Content-Type": "application/json"},
                    timeout=30.0,
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
            self._base_url + "/cash-out",
            data=cash_out_body(amount, external_reference, description, payee),
            headers=request_headers(token),
            timeout=30.0,
        )
        return parse_resource(response.status_code, response.content)

    def close(self) -> None:
        self._http.close()
