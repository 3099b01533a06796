"""A process that commits a plan, for tests/test_commit_crash.py (not a test module).

    python tests/commit_child.py WORKSPACE PLAN_HASH

Imports the workbench, prints ``ready``, then waits for a line on stdin (the go signal), so that
the parent can time a kill from the start of the commit rather than from Python's start-up. It
then opens the workspace and commits the plan, printing each step with ``time.monotonic()`` (one
clock for every process on the machine), flushed, so that the parent can tell where a kill landed:

    go T / opened T / begin T (inside the transaction) / written T (before COMMIT) /
    committed T VERSION (COMMIT returned) / closed T

On a workbench error it prints ``error CLASS MESSAGE`` and exits 3.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's workbench


def _say(*words: object) -> None:
    print(*words, flush=True)


def main(root: str, plan_hash: str) -> int:
    import workbench as wb
    from workbench.sync import roster
    from workbench.sync.commit import commit_plan

    write = roster._write

    def traced_write(*args: Any, **kwargs: Any) -> int:
        _say("begin", time.monotonic())
        version = write(*args, **kwargs)
        _say("written", time.monotonic())
        return version

    roster._write = traced_write
    _say("ready", time.monotonic())
    sys.stdin.readline()
    _say("go", time.monotonic())
    try:
        ws = wb.open_workspace(root)
        _say("opened", time.monotonic())
        version = commit_plan(ws, plan_hash, author="crash-test")
        _say("committed", time.monotonic(), version.version)
        ws.close()
    except wb.WorkbenchError as exc:
        _say("error", type(exc).__name__, str(exc).replace("\n", " "))
        return 3
    _say("closed", time.monotonic())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
