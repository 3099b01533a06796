"""OAuth 2 client credentials: ``POST /oauth/access_token`` with Basic auth; bearer tokens checked
on every data call. ``expires_in`` is a string, as PowerSchool sends it; a live token is handed out
again with the time it has left (``Options.reuse_tokens``)."""

from __future__ import annotations

import base64
import binascii
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from workbench.sandbox.mock_powerschool.context import ApiError, Options
from workbench.sandbox.mock_powerschool.plugins import Plugin

INVALID_TOKEN = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@dataclass
class Token:
    value: str
    plugin: Plugin
    issued: float
    lifetime: int
    uses: int = 0
    revoked: bool = False

    def left(self, now: float) -> int:
        return int(self.issued + self.lifetime - now)


class TokenStore:
    def __init__(self, plugins: list[Plugin], options: Options) -> None:
        self.options = options
        self._clients = {p.client_id: p for p in plugins if p.client_id}
        self._tokens: dict[str, Token] = {}
        self._current: dict[str, Token] = {}
        self._lock = threading.Lock()

    def _client(self, authorization: str | None) -> Plugin:
        unauthorized = ApiError(401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="PowerSchool"'})
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            raise unauthorized
        try:
            client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise unauthorized from None
        plugin = self._clients.get(client_id)
        if plugin is None or plugin.client_secret != secret:
            raise unauthorized
        return plugin

    def issue(self, authorization: str | None, body: bytes) -> dict[str, str]:
        plugin = self._client(authorization)
        form = parse_qs(body.decode("utf-8", "replace"))
        if form.get("grant_type", [""])[0] != "client_credentials":
            raise ApiError(400, {"error": "unsupported_grant_type"})
        now = self.options.clock()
        with self._lock:
            token = self._current.get(plugin.client_id or "")
            if token is None or token.revoked or token.left(now) <= 0 or not self.options.reuse_tokens:
                token = Token(str(uuid.uuid4()), plugin, now, self.options.token_lifetime)
                self._tokens[token.value] = token
                self._current[plugin.client_id or ""] = token
        return {"access_token": token.value, "token_type": "Bearer", "expires_in": str(max(token.left(now), 0))}

    def check(self, authorization: str | None, spent: Callable[[str], bool] | None = None) -> Plugin:
        """The plugin of a live bearer token; 401 invalid_token otherwise. ``spent(token)`` True
        revokes the token (the token_expires_after fault)."""
        scheme, _, value = (authorization or "").partition(" ")
        with self._lock:
            token = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
            if token is None or token.revoked or token.left(self.options.clock()) <= 0:
                raise ApiError(401, {"message": "Invalid or expired access token"}, INVALID_TOKEN)
            token.uses += 1
            if spent is not None and spent(token.value):
                token.revoked = True
                raise ApiError(401, {"message": "Invalid or expired access token"}, INVALID_TOKEN)
            return token.plugin

    def expire_all(self) -> None:
        """Make every issued token invalid now (as if it ran out)."""
        with self._lock:
            for token in self._tokens.values():
                token.revoked = True
