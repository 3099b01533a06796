"""The committed roster and the sync: versions, commit, history and rollback.

    from workbench.sync import commit_roster, roster_history, rollback_roster
    v = commit_roster(ws, author="jane", note="first sync")   # cand.* becomes version 1
    roster_history(ws)                                          # every version, newest first
    export_oneroster(ws, Path("delivery"))                      # the head as OneRoster 1.1
"""

from workbench.sync.export import ExportResult, export_oneroster
from workbench.sync.roster import (
    ConflictError,
    Version,
    commit_roster,
    committed_relation,
    head_version,
    rollback_roster,
    roster_history,
    roster_rows,
)

__all__ = ["ConflictError", "ExportResult", "Version", "commit_roster", "committed_relation",
           "export_oneroster", "head_version", "rollback_roster", "roster_history", "roster_rows"]
