"""What a workspace holds: counts per canonical entity and source, and the load history."""

from __future__ import annotations

import json
from typing import Any

from .model.schema import ENTITIES
from .workspace import Workspace


def workspace_status(ws: Workspace) -> dict[str, Any]:
    """Counts per canonical entity (total and per source), the sources and the load history."""
    sources = ws.sources()
    by_source: dict[str, dict[str, int]] = {s["name"]: dict.fromkeys(ENTITIES, 0) for s in sources}
    totals = dict.fromkeys(ENTITIES, 0)
    for entity in ENTITIES:
        for source, n in ws.query(f'SELECT source, count(*) FROM stg."{entity}" GROUP BY source'):
            by_source.setdefault(source, dict.fromkeys(ENTITIES, 0))[entity] = int(n)
            totals[entity] += int(n)
    loads = []
    for row in ws.query(
        "SELECT load_id, source, kind, location, id_prefix, started_at, finished_at, counts, findings "
        "FROM meta.load ORDER BY load_id DESC"
    ):
        load_id, source, kind, location, prefix, started, finished, counts, findings = row
        loads.append({
            "load_id": int(load_id), "source": source, "kind": kind, "location": location,
            "id_prefix": prefix, "started_at": started.isoformat(timespec="seconds"),
            "finished_at": finished.isoformat(timespec="seconds"),
            "seconds": round((finished - started).total_seconds(), 3),
            "counts": json.loads(counts) if counts else {}, "findings": int(findings),
        })
    return {
        "workspace": str(ws.root),
        "sources": sources,
        "counts": totals,
        "counts_by_source": by_source,
        "loads": loads,
    }


def load_findings(ws: Workspace, load_id: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Findings of one load (default: the latest), most severe first."""
    if load_id is None:
        row = ws.query("SELECT max(load_id) FROM meta.load")
        load_id = row[0][0] if row and row[0][0] is not None else -1
    cols = ["load_id", "source", "file", "line", "field", "record_id", "rule", "severity", "value", "message"]
    rows = ws.query(
        f"SELECT {', '.join(cols)} FROM dq.load_finding WHERE load_id = ? "
        "ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, file, line LIMIT ?",
        [load_id, limit],
    )
    return [dict(zip(cols, r, strict=True)) for r in rows]
