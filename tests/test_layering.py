"""Layering, enforced: streamlit only in the app (ruff's banned-api does that), and httpx only
where the project talks HTTP: the PowerSchool client (workbench/sources/) and the mock server
(workbench/sandbox/). Ruff cannot ban one module per folder, so this test does it for httpx."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTTP_ALLOWED = ("workbench/sources/", "workbench/sandbox/")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_httpx_only_in_the_client_and_the_mock() -> None:
    offenders = []
    for folder in ("workbench", "pages", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if "httpx" in _imports(path) and not rel.startswith(HTTP_ALLOWED):
                offenders.append(rel)
    for path in (ROOT / "app.py",):
        if "httpx" in _imports(path):
            offenders.append("app.py")
    assert offenders == [], f"httpx imported outside workbench/sources and workbench/sandbox: {offenders}"


def test_the_check_sees_an_import() -> None:
    client = ROOT / "workbench" / "sources" / "powerschool" / "client.py"
    assert "httpx" in _imports(client)
