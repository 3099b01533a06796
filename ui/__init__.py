"""Small helpers shared by the Streamlit pages: the cached workspace and display formatting.

The only package besides ``app.py`` and ``pages/`` that may import streamlit. It holds no SQL and
no business rules: it calls the public ``workbench`` API and shapes the results for display.
"""

from .formatting import (
    ENTITY_LABELS,
    NOTHING_LOADED,
    counts_by_source_frame,
    escape_md,
    findings_frame,
    label,
    latest_changes,
    loads_frame,
    problems_markdown,
    result_counts_frame,
    result_summary,
    rules_frame,
    unexpected_markdown,
)
from .router import mark_routed, require_router
from .workspace import (
    DEFAULT_WORKSPACE,
    ENV_VAR,
    latest_findings,
    load_into_workspace,
    load_upload,
    powerschool_secrets,
    pull_into_workspace,
    require_workspace,
    status,
    workspace_path,
    workspace_session,
)

__all__ = [
    "DEFAULT_WORKSPACE",
    "ENTITY_LABELS",
    "ENV_VAR",
    "NOTHING_LOADED",
    "counts_by_source_frame",
    "escape_md",
    "findings_frame",
    "label",
    "latest_changes",
    "latest_findings",
    "load_into_workspace",
    "load_upload",
    "loads_frame",
    "powerschool_secrets",
    "pull_into_workspace",
    "mark_routed",
    "problems_markdown",
    "require_router",
    "require_workspace",
    "result_counts_frame",
    "result_summary",
    "rules_frame",
    "status",
    "unexpected_markdown",
    "workspace_path",
    "workspace_session",
]
