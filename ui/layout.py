"""Narrow screens (a laptop split in two, a tablet: about 820 px): the page, not the menu, gets the width.

Streamlit starts its sidebar collapsed only below its "md" breakpoint (768 px); at 820 px the
300 px sidebar stays open and squeezes four KPI tiles into ~120 px each, cutting their labels.
``fit_narrow_screens`` (called by every analysis page through ``filters.page_filters``) lets a
KPI label wrap instead of being cut, and collapses the sidebar when a page opens in a window
narrower than NARROW_PX (as Streamlit does on phones; the chevron opens it again).
"""

from __future__ import annotations

import streamlit as st

# Below this width the sidebar starts collapsed (Streamlit's own rule stops at 768 px).
NARROW_PX = 900

# KPI labels wrap onto a second line rather than end in "…".
_STYLE = """<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; height: auto !important;
}
</style>"""

# Runs in the page when it opens (a rerun of the same page keeps the element, so a sidebar the user
# opened stays open while they use it): collapse it on a narrow window. Constant text, no data in it.
_COLLAPSE = f"""<script>
if (window.innerWidth < {NARROW_PX}) {{
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (sidebar && sidebar.getAttribute("data-collapsed") === "false" && close) close.click();
}}
</script>"""


def fit_narrow_screens() -> None:
    """Whole KPI labels and, on a narrow window, a collapsed sidebar (see the module docstring)."""
    st.html(_STYLE)
    st.html(_COLLAPSE, unsafe_allow_javascript=True)
