"""One process at a time: a busy workspace is explained, and a sync can wait for it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import workbench as wb
from workbench.workspace import WorkspaceBusyError

HOLD = """
import sys, time, workbench as wb
ws = wb.open_workspace(sys.argv[1])
print("open", flush=True)
time.sleep(float(sys.argv[2]))
ws.close()
"""


def _holder(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
    return proc


def test_a_busy_workspace_is_explained_or_waited_for(empty_workspace: Path) -> None:
    proc = _holder(empty_workspace, 2.0)
    try:
        with pytest.raises(WorkspaceBusyError, match="open in another process") as err:
            wb.open_workspace(empty_workspace)
        assert "Nothing was changed" in str(err.value)
        started = time.monotonic()
        with wb.open_workspace(empty_workspace, wait=30) as ws:
            assert ws.query("SELECT 1") == [(1,)]
        assert time.monotonic() - started < 30
    finally:
        proc.wait(timeout=30)
