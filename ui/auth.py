"""Who is at the browser: the gate every page passes, and what the visitor may do.

Three ways in, checked in this order:
1. Streamlit's own login (OIDC) when ``.streamlit/secrets.toml`` has an ``[auth]`` section;
2. a trusted proxy header (``server.trustedUserHeaders`` mapping a header to ``email``) for a
   server behind a proxy that signs people in and strips that header from what clients send;
3. the server answering this machine only (``server.address`` 127.0.0.1, the default): the
   person at the keyboard is the admin.
Otherwise — bound beyond this machine with no login — no data is served and the page says
how to configure one. The roles are ``pipelines/access.py``'s (``data/access.yaml``).
"""

from __future__ import annotations

import streamlit as st

from pipelines import access

# server.address values that answer this machine only.
LOCAL_ADDRESSES = {"127.0.0.1", "localhost", "::1"}
_KEY = "winwin_access"

HOW_TO_SHARE = (
    "This server is reachable from other machines (`server.address` is `{address}`) and no login is configured, "
    "so it shows no data. Either:\n"
    "- serve this machine only: `address = \"127.0.0.1\"` under `[server]` in `.streamlit/config.toml`;\n"
    "- configure Streamlit's login (OIDC): an `[auth]` section in `.streamlit/secrets.toml`; or\n"
    "- put it behind a proxy that signs people in and passes their e-mail in a header named in "
    "`server.trustedUserHeaders` (for example `{{\"X-Forwarded-Email\": \"email\"}}`),\n\n"
    "then list who may see what in `data/access.yaml`. The README's \"Sharing the dashboard\" has the steps."
)


def _login_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own not-found error
        return False


def _refuse(message: str) -> None:
    st.title("Win-Win")
    st.warning(message, icon=":material/lock:")
    st.stop()


def _role_of(email: str | None) -> access.Access:
    if not email:
        _refuse("Your sign-in did not say who you are (no e-mail), so no data is shown.")
    try:
        found = access.access_for(email)
    except access.AccessError as exc:
        _refuse(f"The access file is wrong, so no data is shown: {exc}")
    if found is None:
        _refuse(f"{email} is signed in but not admitted to this dashboard. Ask an admin to add you to "
                "`data/access.yaml`.")
    return found


def gate() -> access.Access:
    """The visitor's access, or the page stops with why (before any data is read)."""
    if _login_configured():
        if not st.user.is_logged_in:
            st.title("Win-Win")
            st.write("Sign in to see your firm's delivery, satisfaction and profit figures.")
            st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")
            st.stop()
        found = _role_of(st.user.get("email"))
    elif st.get_option("server.trustedUserHeaders"):
        found = _role_of(st.user.get("email"))
    elif (st.get_option("server.address") or "") in LOCAL_ADDRESSES:
        found = access.local_access()
    else:
        _refuse(HOW_TO_SHARE.format(address=st.get_option("server.address") or "all interfaces"))
    st.session_state[_KEY] = found
    return found


def _through_app() -> None:
    """Run this request through app.py when Streamlit ran a page file alone.

    With a ``pages/`` folder, a new server's first request runs in Streamlit's old multipage mode
    until some run of app.py calls ``st.navigation``: a link straight at a page (/rebusiness) then
    runs pages/rebusiness.py without app.py's gate, menu, demo build or shared filters. Leaving that
    mode (what ``st.navigation`` itself does) and running again sends the same URL through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def visitor() -> access.Access:
    """The access the gate found for this session (app.py runs the gate before every page)."""
    _through_app()
    found = st.session_state.get(_KEY)
    return found if found is not None else gate()


def can(permission: str) -> bool:
    return visitor().can(permission)


def require(permission: str, what: str) -> None:
    """Stop the page when the visitor's role does not allow ``permission``."""
    if not can(permission):
        st.info(f"Your role ({visitor().role.replace('_', ' ')}) does not include {what}.", icon=":material/lock:")
        st.stop()
