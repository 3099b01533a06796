"""Keeping every page behind the router (app.py), even on a server's very first run.

Streamlit keeps its legacy "pages/ folder" mode on until the first ``st.navigation`` call of the
process. If the first request a fresh server gets is a page URL (a steward's tab reconnecting to
``/load`` after a restart), Streamlit runs ``pages/load.py`` on its own: no router, no sidebar,
and a navigation listing the raw file names. A page that finds the router has never run in this
process sends the browser through app.py, which turns the legacy mode off for good.
"""

from __future__ import annotations

import threading

import streamlit as st

ROUTER = "app.py"


@st.cache_resource(show_spinner=False)
def _routed() -> threading.Event:
    return threading.Event()


def mark_routed() -> None:
    """Called by app.py on every run, before its pages."""
    _routed().set()


def require_router() -> None:
    """Called first by every page: go through app.py if it has never run in this process."""
    if not _routed().is_set():
        st.switch_page(ROUTER)
