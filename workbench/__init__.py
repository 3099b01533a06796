"""Roster Workbench: the data steward's workbench for K-12 rosters.

Public API (the same that the app, the CLI and notebooks use)::

    import workbench as wb
    ws = wb.init_workspace("district")          # or wb.open_workspace(...)
    wb.load_path(ws, "extract.zip", source="sis", id_prefix="")
    wb.workspace_status(ws)
    wb.discovery.list_fields(ws)                # every field with its profile (notebooks)
"""

from . import discovery, explore, linkage, rules, sync  # wb.discovery, wb.explore, ...
from .errors import InputError, Problem, WorkbenchError, WorkspaceError
from .load import LoadResult, detect_kind, load_path
from .status import load_findings, workspace_status
from .workspace import Workspace, init_workspace, open_workspace

__all__ = [
    "InputError",
    "LoadResult",
    "Problem",
    "WorkbenchError",
    "Workspace",
    "WorkspaceError",
    "detect_kind",
    "discovery",
    "explore",
    "init_workspace",
    "linkage",
    "load_findings",
    "load_path",
    "open_workspace",
    "rules",
    "sync",
    "workspace_status",
]
