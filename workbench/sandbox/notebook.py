"""What the analyst notebooks (``notebooks/*.py``) share: their settings and a sandbox folder.

    settings = notebook_settings("roster_quality")    # WORKBENCH_WORKSPACE, _NOTEBOOK_DIR, _STUDENTS
    folder = fresh_sandbox(settings.folder, "notebooks/roster_quality.py")
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

MARKER = ".workbench-notebook-sandbox"
DEFAULT_STUDENTS = 2000


@dataclass(frozen=True)
class NotebookSettings:
    workspace: str | None  # WORKBENCH_WORKSPACE: a workspace to study, else the sandbox
    folder: Path  # where this notebook's sandbox district and workspaces go
    students: int  # size of the sandbox district


def notebook_settings(name: str, env: dict[str, str] | None = None) -> NotebookSettings:
    """The settings of notebook ``name`` from the environment: ``WORKBENCH_WORKSPACE``,
    ``WORKBENCH_NOTEBOOK_DIR`` (default ``sandbox``; the notebook's folder is ``<dir>/<name>``)
    and ``WORKBENCH_NOTEBOOK_STUDENTS`` (default 2000)."""
    env = dict(os.environ) if env is None else env
    return NotebookSettings(
        workspace=env.get("WORKBENCH_WORKSPACE", "").strip() or None,
        folder=Path(env.get("WORKBENCH_NOTEBOOK_DIR") or "sandbox") / name,
        students=int(env.get("WORKBENCH_NOTEBOOK_STUDENTS") or DEFAULT_STUDENTS),
    )


def fresh_sandbox(folder: str | Path, owner: str) -> Path:
    """An empty ``folder`` for a notebook's sandbox. A previous run's folder (it holds the marker
    file) is replaced; a non-empty folder without the marker is refused, never deleted."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise RuntimeError(f"{folder} is not empty and not a notebook sandbox; "
                               "set WORKBENCH_NOTEBOOK_DIR to another folder")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(f"made by {owner}; safe to delete\n", encoding="utf-8")
    return folder
