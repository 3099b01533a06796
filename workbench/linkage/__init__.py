"""Duplicates: normalisation, exact domains, blocking, features and scores in DuckDB; clusters.

    from workbench.linkage import find_duplicates
    dups = find_duplicates(ws, "contact")      # pairs DataFrame, clusters; stored in link.*
    dups.to_dict()                             # {"pairs": [...], "clusters": [[id, ...], ...]}
"""

from workbench.linkage.clusters import Cluster
from workbench.linkage.decisions import Decision, decide, list_decisions, undo
from workbench.linkage.duplicates import Duplicates, find_duplicates

__all__ = ["Cluster", "Decision", "Duplicates", "decide", "find_duplicates", "list_decisions", "undo"]
