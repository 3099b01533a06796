"""The committed roster and the sync: versions, commit, history and rollback.

    from workbench.sync import commit_roster, roster_history, rollback_roster
    v = commit_roster(ws, author="jane", note="first sync")   # cand.* becomes version 1
    roster_history(ws)                                          # every version, newest first
"""

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

__all__ = ["ConflictError", "Version", "commit_roster", "committed_relation", "head_version",
           "rollback_roster", "roster_history", "roster_rows"]
