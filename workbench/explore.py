"""Read-only views of the canonical roster that the steward's pages show (lists, not rules)."""

from __future__ import annotations

from typing import Any

from .workspace import Workspace

_SCHOOLS_SQL = """
SELECT s.sourced_id, s.name, s.org_type, s.school_number, s.source,
       count(st.sourced_id) AS students
FROM stg.school AS s
LEFT JOIN stg.student AS st ON st.school_sourced_id = s.sourced_id
GROUP BY s.sourced_id, s.name, s.org_type, s.school_number, s.source
ORDER BY s.org_type <> 'district', s.name, s.sourced_id
"""
_SCHOOL_COLUMNS = ("sourced_id", "name", "org_type", "school_number", "source", "students")


def list_schools(ws: Workspace) -> list[dict[str, Any]]:
    """Every organisation of the workspace (district first, then schools by name), with its
    number of students: what the schools mapping chooses from."""
    rows = ws.query(_SCHOOLS_SQL)
    return [dict(zip(_SCHOOL_COLUMNS, r, strict=True)) for r in rows]
