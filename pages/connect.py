"""Connect: the PowerSchool API as a source. Service URL, client ID and secret, Test Connection,
and a pull with progress per table. The secret is never written to the workspace or a log."""

import logging
import traceback
from typing import Any

import pandas as pd
import streamlit as st

import ui
import workbench as wb

log = logging.getLogger("workbench.app.connect")
STATUS_ICONS = {"ok": "✅", "warn": "⚠️", "fail": "❌"}


def credentials() -> tuple[str, str, str]:
    defaults = ui.powerschool_secrets()
    url = st.text_input("Service URL", key="ps_url", value=defaults.get("url", ""),
                        placeholder="https://district.powerschool.com")
    left, right = st.columns(2)
    client_id = left.text_input("Client ID", key="ps_client_id", value=defaults.get("client_id", ""))
    secret = right.text_input("Client Secret", key="ps_client_secret", type="password",
                              value=defaults.get("client_secret", ""))
    st.caption("From the plugin's Data Provider Configuration in PowerSchool. They stay in this "
               "session's memory (or in Streamlit secrets, `[powerschool]`), never in the workspace.")
    return url.strip(), client_id.strip(), secret.strip()


def checks_frame(checks: list[Any]) -> pd.DataFrame:
    return pd.DataFrame([{"": STATUS_ICONS.get(c.status, c.status), "check": c.name,
                          "result": c.detail, "what to do": c.hint} for c in checks])


def run_test(url: str, client_id: str, secret: str) -> None:
    from workbench.sources.powerschool.connection import test_connection

    with st.spinner("Testing the connection…"):
        checks = test_connection(url, client_id, secret)
    st.session_state["ps_checks"] = checks


def run_pull(url: str, client_id: str, secret: str, source: str | None, prefix: str | None) -> dict[str, Any]:
    with st.status("Pulling from PowerSchool…", expanded=True) as box:
        def say(message: str) -> None:
            box.markdown(ui.escape_md(message))

        try:
            result = ui.pull_into_workspace(url, client_id, secret, source=source, id_prefix=prefix,
                                            progress=say)
        except wb.InputError as exc:
            box.update(label="Nothing was loaded", state="error", expanded=False)
            return {"error": ui.problems_markdown(exc)}
        except wb.WorkbenchError as exc:
            box.update(label="Nothing was loaded", state="error", expanded=False)
            return {"error": f"{ui.escape_md(str(exc))}\n\nFinished tables are kept: pull again "
                             "to resume. The workspace is unchanged."}
        except Exception as exc:  # a bug, not bad input
            log.error("pull failed unexpectedly: %s", type(exc).__name__)
            box.update(label="Nothing was loaded", state="error", expanded=False)
            return {"error": ui.unexpected_markdown(exc), "details": traceback.format_exc()}
        box.update(label=f"Loaded #{result.load_id}", state="complete", expanded=False)
    return {"result": result}


ui.require_router()
st.title("Connect to PowerSchool")
st.caption("Pull the district through the PowerSchool API (OAuth client credentials) into the "
           "same canonical roster an extract gives. A broken pull resumes where it stopped.")
url, client_id, secret = credentials()
left, right = st.columns(2)
source = left.text_input("Source name", key="ps_source", placeholder="powerschool").strip() or None
prefix = right.text_input("ID prefix", key="ps_prefix").strip() or None
ready = bool(url and client_id and secret)
c1, c2 = st.columns(2)
if c1.button("Test Connection", key="ps_test", disabled=not ready):
    run_test(url, client_id, secret)
if c2.button("Load from PowerSchool", key="ps_pull", type="primary", disabled=not ready):
    st.session_state["ps_outcome"] = run_pull(url, client_id, secret, source, prefix)
if not ready:
    st.info("Enter the Service URL, client ID and client secret.")
if "ps_checks" in st.session_state:
    checks = st.session_state["ps_checks"]
    (st.success if all(c.ok for c in checks) else st.error)(
        "Every check passed." if all(c.ok for c in checks)
        else f"{sum(not c.ok for c in checks)} check(s) failed: see what to do below.")
    st.dataframe(checks_frame(checks), hide_index=True)
outcome = st.session_state.get("ps_outcome")
if outcome:
    if "error" in outcome:
        st.error(outcome["error"], icon=":material/block:")
    else:
        st.success(ui.result_summary(outcome["result"]))
        st.dataframe(ui.result_counts_frame(outcome["result"]), hide_index=True)
