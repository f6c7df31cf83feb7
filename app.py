"""Win-Win dashboard: routes to the pages; builds the demo warehouse on a fresh install."""

import streamlit as st

from ui import auth, filters
from ui.bootstrap import ensure_warehouse

st.set_page_config(page_title="Win-Win", page_icon="ui/icon.png", layout="wide")
# Who is at the browser, before anything is read or built: an unknown visitor sees no data.
visitor = auth.gate()
# Navigation first: it replaces Streamlit's automatic pages/ menu even while the demo builds.
PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/insights:", default=True),
    st.Page("pages/satisfaction_profit.py", title="Satisfaction → Profit", icon=":material/trending_up:"),
    st.Page("pages/delivery_leads.py", title="Delivery-generated leads", icon=":material/handshake:"),
    st.Page("pages/escalations.py", title="Escalations", icon=":material/warning:"),
    st.Page("pages/rebusiness.py", title="Re-business & margin", icon=":material/repeat:"),
    st.Page("pages/accounts.py", title="Accounts", icon=":material/groups:"),
    st.Page("pages/data.py", title="Data", icon=":material/database:"),
]
# The loaded files and quarantined rows hold every account's records: the Data page is linked only
# for roles that may see it, and refuses everyone else itself (a link to /data says why).
MENU = [entry for entry in PAGES if entry.title != "Data" or visitor.can("data")]
# Our own menu, not Streamlit's (hidden): each link carries the filters' URL parameters, so a
# page switch keeps them even when the browser has not yet reported every widget's value.
page = st.navigation(PAGES, position="hidden")
menu = st.sidebar.container()
ensure_warehouse()
# The sidebar's filters are drawn here, not in the pages, so they are the same widgets on every
# page and keep their values and URL parameters when the user switches pages.
filters.shared_sidebar()
filters.page_links(menu, MENU)
page.run()
