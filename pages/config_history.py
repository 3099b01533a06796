"""Configuration history: every saved version, the diff of any two, and restoring an old one."""

import streamlit as st

import ui
from ui import config as cfg
from ui import config_frames as frames
from workbench import rules


def show_versions(versions: list[rules.ConfigVersion]) -> None:
    st.dataframe(frames.history_frame(versions), hide_index=True)


def compare(numbers: list[int]) -> None:
    st.subheader("Compare two versions")
    left, right = st.columns(2)
    old = left.selectbox("From", numbers, index=max(len(numbers) - 2, 0), key="cfg_hist_from")
    new = right.selectbox("To", numbers, index=len(numbers) - 1, key="cfg_hist_to")
    if old == new:
        st.caption(f"What version {new} changed when it was saved:")
        st.code(cfg.version_of(new).diff, language="diff")
        return
    diff = cfg.diff(old, new)
    if diff:
        st.code(diff, language="diff")
    else:
        st.caption("The two versions are the same.")


def offer_restore(numbers: list[int]) -> None:
    st.subheader("Restore a version")
    st.caption("Restoring saves the old version again as the newest one; nothing is erased.")
    left, right = st.columns([1, 3])
    number = left.selectbox("Version", numbers[::-1], key="cfg_hist_restore")
    cfg.author_input(right)
    with st.expander(f"Version {number} as YAML"):
        st.code(cfg.version_of(number).yaml, language="yaml")
    if st.button(f"Restore version {number}", key="cfg_restore"):
        cfg.restore(number)
        st.rerun()


ui.require_router()
st.title("Configuration history")
cfg.show_outcome()
versions = cfg.history()
if not versions:
    st.info("No configuration was saved yet: the workspace uses the defaults. Save a change on "
            "a Configure page and it shows here.")
else:
    show_versions(versions)
    numbers = [v.version for v in versions]
    compare(numbers)
    offer_restore(numbers)
