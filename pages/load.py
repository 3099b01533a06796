"""Load: bring a PowerSchool extract or a OneRoster package into the workspace, all or nothing."""

import logging
import traceback
from typing import Any

import streamlit as st

import ui
import workbench as wb

UPLOAD, SERVER = "Upload a .zip", "Folder or .zip on the server"
log = logging.getLogger("workbench.app.load")


def choose_input() -> tuple[str, Any]:
    """(what, value): the uploaded file, or the path typed, per the chosen way."""
    mode = st.radio("Where is the extract?", [UPLOAD, SERVER], key="load_mode", horizontal=True)
    if mode == UPLOAD:
        return UPLOAD, st.file_uploader("Extract (.zip)", type=["zip"], key="load_zip")
    path = st.text_input("Server path (folder or .zip)", key="load_path",
                         placeholder="/data/exports/powerschool")
    return SERVER, path.strip()


def choose_source() -> tuple[str | None, str | None]:
    known = ", ".join(f"{s['name']} (prefix '{s['id_prefix']}')" for s in ui.status()["sources"])
    left, right = st.columns(2)
    source = left.text_input(
        "Source name", key="load_source", placeholder="the format's name: powerschool or oneroster",
        help="Lower-case letters, digits and _. Loading a source again replaces what it loaded "
        "before." + (f" Sources so far: {known}." if known else ""),
    )
    prefix = right.text_input(
        "ID prefix", key="load_prefix",
        help="Put in front of every ID of this source, so that two sources never collide. "
        "Empty keeps the source's previous prefix (none for a new source).",
    )
    return source.strip() or None, prefix.strip() or None


def run_load(what: str, value: Any, source: str | None, prefix: str | None) -> dict[str, Any]:
    """Load with progress shown; returns the outcome to show until the next load."""
    with st.status("Loading…", expanded=True) as box:
        def say(message: str) -> None:
            box.markdown(ui.escape_md(message))

        try:
            if what == UPLOAD:
                result = ui.load_upload(value.name, value.getvalue(), source=source,
                                        id_prefix=prefix, progress=say)
            else:
                result = ui.load_into_workspace(value, source=source, id_prefix=prefix,
                                                progress=say)
        except wb.InputError as exc:
            box.update(label="Nothing was loaded", state="error", expanded=False)
            return {"error": ui.problems_markdown(exc)}
        except wb.WorkbenchError as exc:
            box.update(label="Nothing was loaded", state="error", expanded=False)
            return {"error": f"{ui.escape_md(str(exc))}\n\n{ui.NOTHING_LOADED}"}
        except Exception as exc:  # a bug, not bad input: say so and keep the details for a report
            log.exception("load failed unexpectedly")
            box.update(label="Nothing was loaded", state="error", expanded=False)
            return {"error": ui.unexpected_markdown(exc), "details": traceback.format_exc()}
        box.update(label=f"Loaded #{result.load_id}", state="complete", expanded=False)
    return {"result": result}


def show_outcome(outcome: dict[str, Any]) -> None:
    if "error" in outcome:
        st.error(outcome["error"], icon=":material/block:")
        if "details" in outcome:
            with st.expander("Details for a bug report"):
                st.code(outcome["details"], language=None)
        return
    result: wb.LoadResult = outcome["result"]
    st.success(ui.result_summary(result))
    left, right = st.columns(2)
    left.dataframe(ui.result_counts_frame(result), hide_index=True)
    if result.finding_rules:
        right.dataframe(ui.rules_frame(result.finding_rules), hide_index=True)
    else:
        right.info("No findings.")
    st.page_link("pages/home.py", label="See the workspace on Home", icon=":material/home:")


ui.require_router()
st.title("Load an extract")
st.caption(
    "A PowerSchool table extract (Students.csv, Schools.csv, CC.csv …) or a OneRoster package, "
    "as a folder or a .zip. A load replaces everything its source loaded before, all or nothing: "
    "an extract with a problem is refused and the workspace stays as it was."
)
what, value = choose_input()
source, prefix = choose_source()
if st.button("Load", key="load_button", type="primary"):
    if value:
        st.session_state["load_outcome"] = run_load(what, value, source, prefix)
    else:
        st.session_state.pop("load_outcome", None)
        st.warning("Choose a .zip to upload or type a folder path first.")
if "load_outcome" in st.session_state:
    show_outcome(st.session_state["load_outcome"])
