"""Narrow screens (a laptop split in two, a tablet: about 820 px): the page, not the menu, gets the width.

Streamlit starts its sidebar collapsed only below its "md" breakpoint (768 px); at 820 px the
300 px sidebar stays open and squeezes four KPI tiles into ~120 px each, cutting their labels.
``fit_narrow_screens`` (called by every analysis page through ``filters.page_filters``) lets a
KPI label wrap instead of being cut, and collapses the sidebar when a page opens in a window
narrower than NARROW_PX (as Streamlit does on phones; the chevron opens it again).
"""

from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components

# Below this width the sidebar starts collapsed (Streamlit's own rule stops at 768 px).
NARROW_PX = 900

# KPI labels wrap onto a second line rather than end in "…".
_STYLE = """<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; height: auto !important;
}
</style>"""

# Runs in a same-origin component frame when a page opens (a rerun of the same page keeps the frame,
# so a sidebar the user opened stays open while they use it): collapse it on a narrow window.
_COLLAPSE = f"""<script>
const app = window.parent;
if (app.innerWidth < {NARROW_PX}) {{
  const sidebar = app.document.querySelector('[data-testid="stSidebar"]');
  const close = app.document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (sidebar && sidebar.getAttribute("data-collapsed") === "false" && close) close.click();
}}
</script>"""


def fit_narrow_screens() -> None:
    """Whole KPI labels and, on a narrow window, a collapsed sidebar (see the module docstring)."""
    st.html(_STYLE)
    components.html(_COLLAPSE, height=0)
