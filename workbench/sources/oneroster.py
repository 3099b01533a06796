"""Placeholder until the reader lands."""

from __future__ import annotations

from typing import Any

from .base import RawLoad
from .files import InputPackage


def matches(pkg: InputPackage) -> bool:
    return False


def read_raw(cur: Any, pkg: InputPackage, source: str, progress: Any = None) -> RawLoad:
    raise NotImplementedError
