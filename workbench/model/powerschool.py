"""Placeholder until the mapping lands."""

from __future__ import annotations

from typing import Any

from workbench.sources.base import Finding


def build_canonical(cur: Any, source: str, prefix: str, load_id: int) -> list[Finding]:
    raise NotImplementedError
