"""Duplicates review helpers: character-level differences and the contributions chart."""

from __future__ import annotations

import difflib

import pandas as pd
import plotly.graph_objects as go

from .formatting import escape_md


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in spans:
        out.append(escape_md(text[last:start]))
        if end > start:
            out.append(f":red-background[{escape_md(text[start:end])}]")
        last = end
    out.append(escape_md(text[last:]))
    return "".join(out)


def diff_markdown(left: str | None, right: str | None) -> tuple[str, str]:
    """Both values as markdown with the characters that differ highlighted."""
    a, b = left or "", right or ""
    if a == b:
        return escape_md(a) or "—", escape_md(b) or "—"
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < 0.5:  # unrelated values: mark them whole, not letter by letter
        return _marked(a, [(0, len(a))]) or "—", _marked(b, [(0, len(b))]) or "—"
    ops = matcher.get_opcodes()
    a_spans = [(i1, i2) for tag, i1, i2, _, _ in ops if tag != "equal"]
    b_spans = [(j1, j2) for tag, _, _, j1, j2 in ops if tag != "equal"]
    return _marked(a, a_spans) or "—", _marked(b, b_spans) or "—"


def side_by_side_markdown(records: pd.DataFrame, left_id: str, right_id: str) -> str:
    """A markdown table: attribute, left, right, differences highlighted."""
    lines = [f"| attribute | {escape_md(left_id)} | {escape_md(right_id)} |", "|---|---|---|"]
    for row in records.itertuples(index=False):
        a, b = diff_markdown(row.left, row.right)
        lines.append(f"| {row.attribute} | {a} | {b} |")
    return "\n".join(lines)


def contributions_figure(frame: pd.DataFrame) -> go.Figure:
    """Horizontal bars: what pushed the score up (green) or down (red)."""
    colours = ["#2e7d32" if v >= 0 else "#c62828" for v in frame["contribution"]]
    fig = go.Figure(go.Bar(x=frame["contribution"], y=frame["feature"], orientation="h",
                           marker_color=colours))
    fig.update_layout(height=max(220, 28 * len(frame)), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      title="Why this score (log-odds contributions)",
                      yaxis={"autorange": "reversed"})
    return fig
