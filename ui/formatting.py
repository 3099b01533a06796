"""Turning what the core returns into text and tables a steward can read."""

from __future__ import annotations

from typing import Any

import pandas as pd

import workbench as wb

ENTITY_LABELS = {
    "school": "Schools & district",
    "calendar": "Terms",
    "course": "Courses",
    "class": "Classes",
    "student": "Students",
    "teacher": "Teachers",
    "admin": "Admins",
    "contact": "Contacts",
    "student_contact": "Contact links",
    "enrollment": "Enrollments",
}

_MARKDOWN_SPECIAL = "\\`*_[]<>$~|"
NOTHING_LOADED = "Nothing was loaded; the workspace is unchanged."


def label(entity: str) -> str:
    return ENTITY_LABELS.get(entity, entity.replace("_", " ").capitalize())


def escape_md(text: str) -> str:
    """Text shown as itself in Streamlit markdown (file names like U_DEF_EXT_STUDENTS.csv)."""
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)


def latest_changes(loads: list[dict[str, Any]]) -> dict[str, int]:
    """Change per entity made by the latest load: its counts minus the previous load's of that source.

    A load replaces every row of its source, so this is also the change of the workspace totals.
    ``loads`` is newest first, as ``workspace_status`` gives it.
    """
    if not loads:
        return {}
    latest = loads[0]
    before = next((x["counts"] for x in loads[1:] if x["source"] == latest["source"]), {})
    entities = set(latest["counts"]) | set(before)
    return {e: latest["counts"].get(e, 0) - before.get(e, 0) for e in entities}


def counts_by_source_frame(status: dict[str, Any]) -> pd.DataFrame:
    """One row per source: its kind, ID prefix and record count per entity."""
    by_source = status["counts_by_source"]
    rows = []
    for src in status["sources"]:
        counts = by_source.get(src["name"], {})
        rows.append({"Source": src["name"], "Kind": src["kind"], "ID prefix": src["id_prefix"]}
                    | {label(e): counts.get(e, 0) for e in status["counts"]})
    return pd.DataFrame(rows)


def loads_frame(loads: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"Load": x["load_id"], "Finished": x["finished_at"].replace("T", " "), "Source": x["source"],
             "Kind": x["kind"], "ID prefix": x["id_prefix"], "Seconds": x["seconds"],
             "Findings": x["findings"], "Location": x["location"]}
            for x in loads
        ]
    )


def findings_frame(findings: list[dict[str, Any]]) -> pd.DataFrame:
    """Findings in the order given (the core sorts most severe first)."""
    return pd.DataFrame(
        [
            {"Severity": f["severity"], "Rule": f["rule"], "File": f["file"], "Line": f["line"],
             "Field": f["field"], "Record": f["record_id"], "Value": f["value"],
             "Message": f["message"]}
            for f in findings
        ],
        columns=["Severity", "Rule", "File", "Line", "Field", "Record", "Value", "Message"],
    )


def problems_markdown(exc: wb.InputError, limit: int = 20) -> str:
    """The located problems of a refused load, one bullet each, as the CLI words them."""
    lines = [f"- {_problem_markdown(p)}" for p in exc.problems[:limit]]
    if len(exc.problems) > limit:
        lines.append(f"- … and {len(exc.problems) - limit} more problem(s) of the same kind")
    return "\n".join(["The extract was refused:", "", *lines, "", NOTHING_LOADED])


def _problem_markdown(p: wb.Problem) -> str:
    where = [p.file or "", f"line {p.line}" if p.line is not None else "",
             f"field {p.field}" if p.field else ""]
    located = ", ".join(w for w in where if w)
    text = (f"**{escape_md(located)}**: " if located else "") + escape_md(p.message)
    return text + (f" ({escape_md(p.hint)})" if p.hint else "")


def unexpected_markdown(exc: Exception) -> str:
    """A load that failed for a reason the workbench does not explain (a bug, not the file)."""
    return (
        f"The load failed unexpectedly: {escape_md(type(exc).__name__)}: "
        f"{escape_md(str(exc).splitlines()[0] if str(exc) else '')}\n\n"
        "The load runs as one transaction, so nothing was loaded and the workspace is unchanged. "
        "This is a problem in Roster Workbench that it cannot yet explain in terms of your "
        "file; please report it with the details below."
    )


def result_summary(result: wb.LoadResult) -> str:
    return (
        f"Load #{result.load_id} of source '{escape_md(result.source)}' ({result.kind}) done in "
        f"{result.seconds:.1f}s: {result.files} file(s) read, {sum(result.counts.values()):,} "
        f"records, {result.findings:,} finding(s)."
    )


def result_counts_frame(result: wb.LoadResult) -> pd.DataFrame:
    return pd.DataFrame(
        [{"Entity": label(e), "Records": n} for e, n in result.counts.items()]
    )


def rules_frame(rules: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([{"Rule": r, "Findings": n} for r, n in rules.items()],
                        columns=["Rule", "Findings"])
