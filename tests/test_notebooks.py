"""The analyst notebooks (``notebooks/*.py``, jupytext percent format) run top to bottom on the
sandbox district, in a kernel of this virtual environment, and use only the public API."""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from ipykernel.kernelspec import install as install_kernelspec
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SANDBOX = "sandbox"  # the notebooks' default sandbox folder (git-ignored)
STUDENTS = 600
CELL_TIMEOUT = 300
FORBIDDEN_MODULES = ("ui", "pages", "app", "streamlit")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def notebook_files() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.py"))


@pytest.fixture
def kernel_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated HOME, Jupyter and IPython folders, and a ``python3`` kernelspec that runs this
    interpreter (found first through JUPYTER_PATH). Returns the folder for the notebook's
    sandbox; the kernel inherits the environment set here."""
    home = tmp_path / "home"
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        (home / name.lower()).mkdir(parents=True)
        monkeypatch.setenv(name, str(home / name.lower()))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("IPYTHONDIR", str(home / ".ipython"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(home / ".jupyter"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(home / "jupyter-data"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(home / "jupyter-runtime"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    prefix = tmp_path / "kernel-prefix"
    install_kernelspec(kernel_name="python3", prefix=str(prefix))
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    monkeypatch.delenv("WORKBENCH_WORKSPACE", raising=False)
    sandbox = tmp_path / "sandbox"
    monkeypatch.setenv("WORKBENCH_NOTEBOOK_DIR", str(sandbox))
    monkeypatch.setenv("WORKBENCH_NOTEBOOK_STUDENTS", str(STUDENTS))
    return sandbox


def execute(nb: nbformat.NotebookNode, cwd: Path, name: str) -> nbformat.NotebookNode:
    """Run every cell; a failing cell fails the test with its source and traceback."""
    cwd.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    try:
        return client.execute()
    except CellExecutionError as error:
        pytest.fail(f"notebook {name} failed:\n{ANSI.sub('', str(error))}", pytrace=False)


def test_the_kernel_runs_this_environment_and_imports_workbench(kernel_env: Path,
                                                                tmp_path: Path) -> None:
    source = "import json, sys, workbench\nprint(json.dumps([sys.executable, workbench.__file__]))"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    ran = execute(nb, tmp_path / "cwd", "probe")
    executable, module = json.loads(ran.cells[0].outputs[0]["text"])
    assert Path(executable) == Path(sys.executable)
    assert Path(module).parent == Path(importlib.import_module("workbench").__file__).parent


def test_a_failing_cell_reports_its_source_and_traceback(kernel_env: Path,
                                                         tmp_path: Path) -> None:
    cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("x / (x - 1)")]
    with pytest.raises(pytest.fail.Exception) as failed:
        execute(nbformat.v4.new_notebook(cells=cells), tmp_path / "cwd", "broken.py")
    message = str(failed.value)
    assert "notebook broken.py failed" in message and "x / (x - 1)" in message
    assert "ZeroDivisionError" in message and "\x1b[" not in message


@pytest.mark.slow
@pytest.mark.parametrize("path", notebook_files(), ids=lambda p: p.name)
def test_notebook_runs_on_the_sandbox_district(path: Path, kernel_env: Path,
                                               tmp_path: Path) -> None:
    nb = jupytext.read(path)
    execute(nb, tmp_path / "cwd", path.name)
    assert kernel_env.exists(), "the notebook should build its sandbox in WORKBENCH_NOTEBOOK_DIR"
    assert not (tmp_path / "cwd" / SANDBOX).exists()


def test_notebooks_are_text_only() -> None:
    """Notebooks are committed as jupytext percent scripts, never as .ipynb with outputs."""
    assert notebook_files(), "no notebooks found"
    stray = [p for p in NOTEBOOKS.rglob("*.ipynb")
             if not {SANDBOX, ".ipynb_checkpoints"} & set(p.relative_to(NOTEBOOKS).parts)]
    assert not stray, f"commit notebooks as jupytext .py files, not {stray}"
    for path in notebook_files():
        assert path.read_text(encoding="utf-8").startswith("# ---\n# jupyter:\n"), path.name
        nb = jupytext.read(path)
        assert nb.metadata["jupytext"]["text_representation"]["format_name"] == "percent"
        assert nb.metadata.get("kernelspec", {}).get("name") == "python3", \
            f"{path.name}: the jupytext header needs kernelspec name python3"
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.get("outputs") and c.get("execution_count") is None
                            for c in code), path.name


def _private_uses(tree: ast.AST) -> list[str]:
    """Imports of private workbench names or of the UI, and ``wb._x``-style attribute access."""
    bad, aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bad += _check_module(alias.name)
                if alias.name.split(".")[0] == "workbench":
                    aliases.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            bad += _check_module(node.module)
            bad += [f"{node.module}.{a.name}" for a in node.names
                    if node.module.split(".")[0] == "workbench" and not _public(node.module, a.name)]
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and _root(node) in aliases):
            bad.append(ast.unparse(node))
    return bad


def _check_module(module: str) -> list[str]:
    parts = module.split(".")
    if parts[0] in FORBIDDEN_MODULES:
        return [module]
    if parts[0] == "workbench" and any(p.startswith("_") for p in parts):
        return [module]
    return []


def _public(module: str, name: str) -> bool:
    if name.startswith("_"):
        return False
    exported = getattr(importlib.import_module(module), "__all__", None)
    return exported is None or name in exported


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


@pytest.mark.parametrize("path", notebook_files(), ids=lambda p: p.name)
def test_notebooks_use_the_public_api_only(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert not _private_uses(tree), f"{path.name} uses private or UI names"


def test_the_import_check_catches_private_names() -> None:
    source = ("import workbench as wb\nfrom workbench.linkage import _pairs\n"
              "from workbench.sandbox import build_district\nimport ui.sidebar\n"
              "from pages import x\nwb.linkage._run(1)\nfrom workbench import explore\n")
    assert _private_uses(ast.parse(source)) == [
        "workbench.linkage._pairs", "workbench.sandbox.build_district", "ui.sidebar", "pages",
        "wb.linkage._run"]
