"""Roster Workbench app: the router and the shared sidebar. Pages live in pages/.

Run with ``streamlit run app.py``; the workspace is ``$WORKBENCH_WORKSPACE`` (default
``./demo/workspace``).
"""

import streamlit as st

import ui

st.set_page_config(page_title="Roster Workbench", page_icon=":material/school:", layout="wide")

ui.mark_routed()
navigation = st.navigation({
    "Roster": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/load.py", title="Load", icon=":material/upload_file:"),
        st.Page("pages/connect.py", title="Connect", icon=":material/cloud_sync:"),
        st.Page("pages/fields.py", title="Fields", icon=":material/view_list:"),
    ],
    "Review": [
        st.Page("pages/duplicates.py", title="Duplicates", icon=":material/join:"),
        st.Page("pages/master_fields.py", title="Master Fields", icon=":material/merge:"),
    ],
    "Sync": [
        st.Page("pages/preview.py", title="Preview", icon=":material/difference:"),
        st.Page("pages/commit.py", title="Commit", icon=":material/task_alt:"),
    ],
    "Configure": [
        st.Page("pages/schools.py", title="Schools & Attributes", icon=":material/domain:"),
        st.Page("pages/requirements.py", title="Data Requirements", icon=":material/rule:"),
        st.Page("pages/filters.py", title="Filter Rules", icon=":material/filter_alt:"),
        st.Page("pages/advanced.py", title="Advanced Settings", icon=":material/tune:"),
        st.Page("pages/quality.py", title="Data Quality", icon=":material/monitoring:"),
        st.Page("pages/config_history.py", title="Configuration history",
                icon=":material/history:"),
    ],
})

with st.sidebar:
    st.caption(f"Workspace (set with `{ui.ENV_VAR}`)")
    st.code(str(ui.workspace_path()), language=None, wrap_lines=True)

with ui.workspace_session():  # the workspace file is free between runs, for scheduled syncs
    ui.require_workspace()
    navigation.run()
