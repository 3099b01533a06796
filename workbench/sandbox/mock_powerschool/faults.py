"""Faults the mock can inject, switched on at start or at runtime (``server.faults.error_every = 3``).

Every ``*_every = N`` fault hits the Nth, 2Nth, ... data request counted from the moment it was
set (token requests and ``/ws/v1/time`` are not data requests). 0 switches a fault off.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields

_COUNTED = ("rate_limit_every", "error_every", "slow_every", "truncate_every")


@dataclass
class Faults:
    rate_limit_every: int = 0  # 429 "too many requests"
    retry_after: int | None = 1  # seconds in Retry-After on a 429; None: no header
    error_every: int = 0  # a server error ...
    error_status: int = 503  # ... with this status (500, 502, 503)
    slow_every: int = 0  # a slow reply ...
    slow_seconds: float = 0.0  # ... sleeping this long first
    token_expires_after: int = 0  # a token stops working after N more data requests (401 invalid_token)
    truncate_every: int = 0  # the JSON body cut in half (status 200, Content-Length of the cut body)
    v1_access: str | None = None  # "NONE" -> 403 on /ws/v1 for every plugin; None: the plugin's own
    _seen: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _token_uses: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name in _COUNTED and "_seen" in self.__dict__:
            self._seen[name] = 0
        if name == "token_expires_after" and "_token_uses" in self.__dict__:
            self._token_uses.clear()

    def hits(self) -> set[str]:
        """Count one data request; the faults it triggers."""
        hit = set()
        with self._lock:
            for name in _COUNTED:
                every = getattr(self, name)
                if every and every > 0:
                    self._seen[name] = self._seen.get(name, 0) + 1
                    if self._seen[name] % every == 0:
                        hit.add(name)
        return hit

    def token_spent(self, token: str) -> bool:
        """Count one use of a token (from when ``token_expires_after`` was set); True once it has
        served its N requests."""
        if not self.token_expires_after or self.token_expires_after <= 0:
            return False
        with self._lock:
            self._token_uses[token] = self._token_uses.get(token, 0) + 1
            return self._token_uses[token] > self.token_expires_after

    def clear(self) -> None:
        """Switch every fault off."""
        for f in fields(self):
            if not f.name.startswith("_"):
                setattr(self, f.name, f.default)
