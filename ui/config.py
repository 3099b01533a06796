"""The steward's configuration in the app: a draft per session, saved as a new version.

Each configuration page edits one shared draft (``st.session_state``), so a steward can change
schools on one page and requirements on another and save both as one version. Widgets read their
value from the draft and write it back; their keys carry a generation number that moves on when
the draft is replaced (after a save, a restore or a discard), so no widget keeps a stale value.
Saving moves a per-workspace version on, like loads do, so cached views of the saved
configuration are never stale.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import streamlit as st

import workbench as wb
from workbench import explore, rules
from workbench.rules.config import diff_text

from .config_frames import changed_lines
from .formatting import escape_md
from .workspace import require_workspace, status, workspace_path

DRAFT, BASE, GEN, OUTCOME = "cfg_draft", "cfg_base", "cfg_gen", "cfg_outcome"
AUTHOR, AUTHOR_NAME = "cfg_author", "cfg_author_name"
BASE_CONFIG = "cfg_base_config"  # the saved configuration the draft started from


class _Guard:
    """One per workspace and process: saves run one at a time and move the version on."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version = 0
        self.builds = 0  # candidate rosters built through the app
        self.built: tuple[int, int] | None = None  # (load, config version) of the latest build


@st.cache_resource(show_spinner=False)
def _guard(path: str) -> _Guard:
    return _Guard()


@st.cache_data(show_spinner=False, max_entries=16)
def _saved(_ws: wb.Workspace, path: str, version: int) -> dict[str, Any]:
    return rules.load_config(_ws)


@st.cache_data(show_spinner=False, max_entries=16)
def _history(_ws: wb.Workspace, path: str, version: int) -> list[rules.ConfigVersion]:
    return rules.history(_ws)


@st.cache_data(show_spinner=False, max_entries=16)
def _schools(_ws: wb.Workspace, path: str, load: int) -> list[dict[str, Any]]:
    return explore.list_schools(_ws)


def _key() -> tuple[wb.Workspace, str, int]:
    path = str(workspace_path())
    return require_workspace(), path, _guard(path).version


def saved() -> dict[str, Any]:
    """The saved configuration (the default when none was saved); a copy the caller may change."""
    return _saved(*_key())


def history() -> list[rules.ConfigVersion]:
    """Every saved version, oldest first."""
    return _history(*_key())


def schools() -> list[dict[str, Any]]:
    """The organisations of the workspace as of its latest load, with student counts."""
    return _schools(require_workspace(), str(workspace_path()), _latest_load())


@st.cache_data(show_spinner=False, max_entries=32)
def _missing(_ws: wb.Workspace, path: str, load: int, entity: str) -> list[dict[str, Any]]:
    return explore.missing_values(_ws, entity)


@st.cache_data(show_spinner=False, max_entries=8)
def _findings(_ws: wb.Workspace, path: str, load: int, version: int,
              builds: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    counts = explore.finding_counts(_ws)
    return None if counts is None else (counts, explore.findings(_ws) or [])


def _latest_load() -> int:
    loads = status()["loads"]
    return loads[0]["load_id"] if loads else 0


def missing_values(entity: str) -> list[dict[str, Any]]:
    """Missing values per attribute and school of one entity, as of the latest load."""
    return _missing(require_workspace(), str(workspace_path()), _latest_load(), entity)


def findings() -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """(counts per entity, rule and severity; the first 100,000 findings) of the candidate
    roster, or None before one was built."""
    ws, path, version = _key()
    return _findings(ws, path, _latest_load(), version, _guard(path).builds)


# --- the draft ---------------------------------------------------------------------------------

def draft() -> dict[str, Any]:
    """This session's draft; replaced by the saved configuration when another save moved on."""
    version = _key()[2]
    if DRAFT not in st.session_state:
        reset_draft()
    elif st.session_state.get(BASE) != version:
        unsaved = st.session_state[DRAFT] != st.session_state.get(BASE_CONFIG)
        reset_draft()
        if unsaved:
            st.warning("The configuration was saved meanwhile from another session; your "
                       "unsaved changes were set aside. This page now shows the saved version.",
                       icon=":material/sync_problem:")
    return st.session_state[DRAFT]


def reset_draft() -> None:
    """Start again from the saved configuration; every config widget gets a fresh key."""
    st.session_state[DRAFT] = copy.deepcopy(saved())
    st.session_state[BASE_CONFIG] = saved()
    st.session_state[BASE] = _key()[2]
    st.session_state[GEN] = st.session_state.get(GEN, 0) + 1


def wkey(name: str) -> str:
    """The key of a config widget: ``cfg.<generation>.<name>``."""
    return f"cfg.{st.session_state.get(GEN, 0)}.{name}"


def draft_diff() -> str:
    """The unsaved changes of the draft, as a unified diff against the saved version."""
    old, new = rules.dump_yaml(rules.complete_config(saved())), rules.dump_yaml(
        rules.complete_config(draft()))
    return diff_text(old, new, "saved", "draft")


# --- saving ------------------------------------------------------------------------------------

def problems_markdown(exc: wb.InputError) -> str:
    """Each problem of a refused configuration, located by its key."""
    lines = []
    for p in exc.problems:
        where = f"**{escape_md(p.field)}**: " if p.field else ""
        hint = f" ({escape_md(p.hint)})" if p.hint else ""
        lines.append(f"- {where}{escape_md(p.message)}{hint}")
    return "\n".join(["The configuration was not saved:", "", *lines, "", rules_not_saved()])


def rules_not_saved() -> str:
    return "Nothing was saved; the configuration is unchanged."


def _after_save(version: rules.ConfigVersion, before: int) -> None:
    path = str(workspace_path())
    guard = _guard(path)
    guard.version += 1
    reset_draft()
    if version.version == before:
        st.session_state[OUTCOME] = {"info": "No change: the draft equals the saved version."}
    else:
        st.session_state[OUTCOME] = {"version": version.version, "diff": version.diff,
                                     "author": version.author}


def save_draft(note: str) -> None:
    """Save the draft as a new version; the outcome shows on the next run."""
    author = st.session_state.get(AUTHOR_NAME, "").strip() or None
    ws, path, _ = _key()
    before = history()[-1].version if history() else 0
    try:
        with _guard(path).lock:
            version = rules.save_config(ws, draft(), author=author, note=note.strip() or None)
    except wb.InputError as exc:
        st.session_state[OUTCOME] = {"error": problems_markdown(exc)}
        return
    _after_save(version, before)


def restore(number: int) -> None:
    """Save an old version again as the newest one."""
    author = st.session_state.get(AUTHOR_NAME, "").strip() or None
    ws, path, _ = _key()
    before = history()[-1].version if history() else 0
    try:
        with _guard(path).lock:
            version = rules.restore_version(ws, number, author=author)
    except wb.InputError as exc:
        st.session_state[OUTCOME] = {"error": problems_markdown(exc)}
        return
    _after_save(version, before)


def show_outcome() -> None:
    """What the latest save or restore of this session did (shown once)."""
    outcome = st.session_state.pop(OUTCOME, None)
    if not outcome:
        return
    if "error" in outcome:
        st.error(outcome["error"], icon=":material/block:")
    elif "info" in outcome:
        st.info(outcome["info"])
    else:
        st.success(f"Saved as version {outcome['version']} by {escape_md(outcome['author'])}.")
        st.code(outcome["diff"], language="diff")


def author_input(container: Any) -> None:
    """The steward's name, kept for the whole session (widget state ends with its page)."""
    name = container.text_input("Your name", value=st.session_state.get(AUTHOR_NAME, ""),
                                key=AUTHOR, help="Recorded with the version.")
    st.session_state[AUTHOR_NAME] = name


def save_panel() -> None:
    """Unsaved changes, author and note, and the Save and Discard buttons."""
    st.divider()
    diff = draft_diff()
    if diff:
        with st.expander(f"Unsaved changes ({changed_lines(diff)} line(s))"):
            st.code(diff, language="diff")
    else:
        st.caption("No unsaved changes.")
    left, right = st.columns(2)
    author_input(left)
    note = right.text_input("Note", key=wkey("note"), placeholder="what changed and why")
    save, discard = st.columns([1, 5])
    if save.button("Save", key="cfg_save", type="primary", disabled=not diff):
        save_draft(note)
        st.rerun()
    if discard.button("Discard changes", key="cfg_discard", disabled=not diff):
        reset_draft()
        st.rerun()



def diff(old: int, new: int) -> str:
    """The unified diff between two saved versions."""
    return rules.diff_versions(require_workspace(), old, new)


def version_of(number: int) -> rules.ConfigVersion:
    return next(v for v in history() if v.version == number)


def refresh_widgets() -> None:
    """New keys for every config widget (after rules were added or removed), keeping the draft."""
    st.session_state[GEN] = st.session_state.get(GEN, 0) + 1


def check(config: dict[str, Any]) -> str | None:
    """The located problems of a configuration as markdown, or None when it is valid."""
    try:
        rules.validate_config(rules.complete_config(config))
    except wb.InputError as exc:
        return problems_markdown(exc).replace("The configuration was not saved:", "Not added:")
    return None


def build_candidate() -> rules.CandidateSummary:
    """Build the candidate roster of the saved configuration (replaces cand.* and dq.finding)."""
    ws, path, version = _key()
    guard = _guard(path)
    with guard.lock:
        try:
            return rules.build_candidate(ws, rules.complete_config(saved()))
        finally:
            guard.builds += 1
            guard.built = (_latest_load(), version)


def candidate_is_current() -> bool:
    """Whether the candidate roster was built by this app for the latest load and saved version."""
    path = str(workspace_path())
    return _guard(path).built == (_latest_load(), _guard(path).version)
