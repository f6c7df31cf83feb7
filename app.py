"""Win-Win dashboard: routes to the pages; builds the demo warehouse on a fresh install."""

import streamlit as st

from ui.bootstrap import ensure_warehouse

st.set_page_config(page_title="Win-Win", page_icon=":material/handshake:", layout="wide")
ensure_warehouse()
st.navigation([st.Page("pages/overview.py", title="Overview", icon=":material/insights:", default=True)]).run()
