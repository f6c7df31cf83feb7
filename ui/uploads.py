"""The Data page's loading: uploads loaded through the one atomic ingest, what each load did in
words, and the mapping step that turns an export no layout knows into a saved layout.

An upload no bundled or saved layout reads never reaches the ingest as an error: the page says
what it expected and opens the mapping step (``mapping_step``): the target table and each
canonical column prefilled by the mapping assistant (``pipelines/mapping.py``; blank where it is
unsure), the first rows as the load would stage them with their validation verdicts
(``mapping.preview``, the load's own staging and GX suite), then "Save layout" and "Load".
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines import mapping, warehouse
from pipelines.errors import IngestError
from pipelines.ingest import DATA_SUFFIXES, FileResult, ingest_uploads, upload_name
from pipelines.reporting import tables
from pipelines.validation import REQUIRED
from ui import auth, data
from ui.text import plain

# A second upload while an ingest runs waits this long for the writer lock, then says why.
UPLOAD_LOCK_WAIT_SECONDS = 30
# The canonical tables as a reader names what a file holds.
TABLES = {
    "dim_account": "Accounts (CRM)", "dim_contact": "Contacts (CRM)", "fct_opportunity": "Deals (CRM)",
    "fct_project": "Delivery projects (PSA)", "fct_escalation": "Escalations (tickets)",
    "fct_activity": "Client activities (meetings, status reports)",
    "fct_survey_response": "Survey answers (NPS or CSAT)",
}
SURVEY_TYPES = {"nps": "NPS (0-10: how likely to recommend)", "csat": "CSAT (1-5: how satisfied)"}
BLANK = "— leave blank —"
# Canonical columns whose general label (reporting.tables.LABELS) says something else in a table.
COLUMN_NAMES = {("fct_opportunity", "owner"): "sales_rep", ("fct_activity", "owner"): "sales_rep"}
# Refusals are written for the command line too; on the page its flags become words (issue 15).
COMMAND_LINE_WORDS = [
    (r"\s*\(python -m pipelines map [^)]*\)", ""),
    (r"--format with a mapping file naming it", "map the file yourself (the button below)"),
    (r"in a mapping file, passed with --mapping", "by mapping the file yourself (the button below)"),
    (r"\s*Pass --format NAME to force a layout, or describe yours in a mapping file\.", ""),
    (r"\nA mapping file is YAML;.*", ""),  # adapters.MAPPING_HELP: its YAML example
]
# session_state: upload sha256 -> layout name saved for it in this session (the step stays open to load it).
_SAVED = "mapping_saved"
_RESULTS = "load_results"
# session_state: shas of recognised uploads a person chose to map after their load was refused.
_MAP_ANYWAY = "map_anyway"


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@contextmanager
def _as_file(upload: Upload):
    with tempfile.TemporaryDirectory(prefix="winwin-upload-") as tmp:
        path = Path(tmp) / upload_name(upload.name)
        path.write_bytes(upload.content)
        yield path


@st.cache_data(max_entries=64, show_spinner=False)
def _recognised(name: str, content: bytes, layouts_key: tuple) -> tuple[str | None, str | None]:
    """(layout title, None) for a file a layout reads, (None, None) for an unknown one, (None, why)
    for one that cannot be read. ``layouts_key`` changes when a layout is saved."""
    with _as_file(Upload(name, content)) as path:
        try:
            layout = mapping.recognise(path)
        except IngestError as exc:
            return None, str(exc)
    return (layout.title if layout else None), None


@st.cache_data(show_spinner=False, max_entries=4)
def _known_accounts(path: str, build: tuple[int, int] | None) -> mapping.KnownAccounts | None:
    """The warehouse's account ids and names (per build), by which the assistant recognises a column
    holding them (a survey's "Custom Data 1" of Salesforce ids)."""
    return mapping.KnownAccounts.of(Path(path)) if build else None


@st.cache_data(max_entries=16, show_spinner="Reading the file's columns…")
def _profile(name: str, content: bytes) -> mapping.Profile:
    with _as_file(Upload(name, content)) as path:
        return mapping.profile(path)


@st.cache_data(max_entries=32, show_spinner="Checking the first rows as the load will…")
def _preview(name: str, content: bytes, mapping_text: str, build) -> mapping.Preview:
    """``build`` (the warehouse's build key): a new build may resolve more names, so it re-checks."""
    with _as_file(Upload(name, content)) as path:
        return mapping.preview(path, mapping.parse_text(mapping_text, "draft"), data.db_path())


def load_area() -> None:
    """The uploader; known files load with one button, each unknown one opens its mapping step."""
    may_load = auth.can("load")
    if not may_load:
        st.info("Loading exports is for the loader and admin roles.", icon=":material/lock:")
    limit_mb = st.get_option("server.maxUploadSize")
    files = st.file_uploader(
        f"CSV or XLSX exports, up to {limit_mb:,} MB each", type=sorted(s.lstrip(".") for s in DATA_SUFFIXES),
        accept_multiple_files=True, key="uploads", disabled=not may_load,
        help="Recognised by their column names, validated, then swapped in as one new build of the warehouse. "
        "A rejected file changes nothing.",
    )
    if not files or not may_load:
        _show_results()
        return
    uploads = [Upload(f.name, f.getvalue()) for f in files]
    saved_here = st.session_state.setdefault(_SAVED, {})
    map_anyway = st.session_state.setdefault(_MAP_ANYWAY, set())
    known, unknown = [], []
    for upload in uploads:
        title, unreadable = _recognised(upload.name, upload.content, mapping.saved_layouts_key())
        if unreadable:
            st.error(plain(in_words(unreadable)), icon=":material/block:")
        elif title and upload.sha not in saved_here and upload.sha not in map_anyway:
            known.append(upload)
            st.caption(f"{plain(upload.name)}: recognised as {plain(title)}.")
        else:
            unknown.append(upload)
    if known and clicked(st, f"Load {len(known)} file(s)", key="load-known", type="primary"):
        _load(known)
    _show_results()
    if isinstance(st.session_state.get(_RESULTS), str):  # refused: a mapping may say what the layout cannot
        for upload in known:
            if clicked(st, f"Map {plain(upload.name)} myself", key=f"map-anyway-{upload.sha[:16]}"):
                map_anyway.add(upload.sha)
                st.rerun()
    for upload in unknown:
        if upload.sha not in saved_here and upload.sha not in map_anyway:
            st.warning(_unknown_message(upload), icon=":material/help:")
        mapping_step(upload)


def in_words(message: str) -> str:
    """A refusal as the page says it: no command-line flags, no YAML example."""
    for pattern, words in COMMAND_LINE_WORDS:
        message = re.sub(pattern, words, message, flags=re.DOTALL)
    return message


def clicked(place, label: str, key: str, **options) -> bool:
    """A button whose click is kept until the script reaches it: the callback sets a flag read once
    here. A run that restarts before this point (``auth._through_app``'s rerun, which AppTest meets on
    every run of a page script) would otherwise lose a plain button's single True."""
    flag = f"{key}-clicked"
    place.button(label, key=key, on_click=st.session_state.__setitem__, args=(flag, True), **options)
    return bool(st.session_state.pop(flag, False))


def _unknown_message(upload: Upload) -> str:
    read = _profile(upload.name, upload.content)
    columns = ", ".join(name for name in read.header if name)
    shown = columns[:200] + ("…" if len(columns) > 200 else "")
    return (f"**{plain(upload.name)}** is not an export Win-Win knows. Its columns ({plain(shown)}) match none of "
            "the layouts it reads (Salesforce, HubSpot, Pipedrive, Dynamics, Zoho, Kantata, Harvest, Jira, Zendesk, "
            "ServiceNow, Qualtrics, SurveyMonkey, Typeform and more, or a layout your firm saved). Say below which "
            "column holds what, once: saved as a layout, the next export of the same tool loads directly.")


def mapping_step(upload: Upload) -> None:
    """Map one unknown upload: table, columns, preview with verdicts, Save layout, Load."""
    read = _profile(upload.name, upload.content)
    key = upload.sha[:16]
    with st.container(border=True):
        st.markdown(f"**Map {plain(upload.name)}**")
        for note in read.place.notes:
            st.caption(plain(note[:1].upper() + note[1:]) + ".")
        accounts = _known_accounts(str(data.db_path()), data.build_key())
        guess = mapping.draft_from(read, accounts=accounts)
        choices = list(mapping.ROLES)
        table = st.selectbox(
            "What the file holds", choices, index=choices.index(guess.table) if guess.table else None,
            format_func=TABLES.get, key=f"map-{key}-table", placeholder="Choose what each row is",
            help=plain(guess.table_reason.replace("; --table overrides", "").replace("; give --table", "")),
        )
        if table is None:
            st.info("Win-Win could not tell from the column names what each row is: choose it above.")
            return
        assistant = mapping.draft_from(read, table, accounts=accounts)
        options = [BLANK, *dict.fromkeys(name for name in read.header if name in read.columns)]
        needed = {warehouse.NATURAL_KEYS[table], *REQUIRED.get(table, [])}
        chosen: dict[str, str | None] = {}
        grid = st.columns(3)
        for place, column in enumerate(mapping.ROLES[table]):
            entry = assistant.entries[column]
            default = entry.rule["from"] if entry.rule else entry.candidate or BLANK  # candidate: loads once told
            picked = grid[place % 3].selectbox(
                _label(table, column) + (" (needed)" if column in needed else ""), options,
                index=options.index(default), key=f"map-{key}-{table}-{column}", help=plain(entry.reason),
            )
            chosen[column] = None if picked == BLANK else picked
        survey_type = None
        if table == "fct_survey_response":
            found = assistant.constants.get("survey_type")
            survey_type = st.selectbox(
                "Survey type", list(SURVEY_TYPES), index=list(SURVEY_TYPES).index(found) if found else None,
                format_func=SURVEY_TYPES.get, key=f"map-{key}-survey-type", placeholder="NPS or CSAT?")
        untold = mapping.draft_from(read, table, chosen, survey_type, accounts=accounts)
        final = mapping.draft_from(read, table, chosen, survey_type, _told(untold, key), accounts=accounts)
        _say_what_is_left(final)
        layout_ok = _show_preview(upload, final.yaml(), table)
        stem = re.sub(r"[\W_]*\d[\d\W_]*$", "", Path(upload.name).stem)  # "copper_deals_2025-05": next month's too
        name = st.text_input("Layout name", value=mapping.layout_name(stem) or "my_export",
                             key=f"map-{key}-name", max_chars=mapping.MAX_LAYOUT_NAME,
                             help="The file name of the saved layout (letters, digits and _).")
        clean = mapping.layout_name(name)
        text = final.yaml(title=f"{name} (saved on the Data page from {upload.name})")
        _save_and_load(upload, text, clean, layout_ok)


def _told(untold: mapping.Draft, key: str) -> dict:
    """What only a person can say about the values: which comes first in dates with no day above
    12, how "1,500"-like amounts are written, and what each vendor value the assistant could not
    read means (a lead source "Referral": a customer's, a partner's?)."""
    told: dict = {}
    needs = untold.needs
    if "day_first" in needs:
        day_first = st.selectbox("Dates are written", [True, False], index=None, key=f"map-{key}-day-first",
                                 format_func={True: "day first (31/12/2025)", False: "month first (12/31/2025)"}.get,
                                 placeholder="No day above 12 in the file: which comes first?")
        if day_first is not None:
            told["day_first"] = day_first
    if "number_format" in needs:
        written = st.selectbox("Amounts are written", ["1,234.50", "1.234,50"], index=None, key=f"map-{key}-numbers",
                               placeholder="1,500 reads as a thousand or as one and a half: which?")
        if written:
            told["number_format"] = written
    for column, entry in untold.entries.items():
        allowed = warehouse.CANONICAL_VALUES.get((untold.table, column))
        blanks = [value for value, canonical in ((entry.rule or {}).get("map") or {}).items() if canonical is None]
        if not allowed or not blanks:
            continue
        st.caption(f"{plain(_label(untold.table, column))}: values the assistant could not read. Name them, or leave "
                   "them blank (loaded as empty and listed under 'Vendor values missing from the mappings').")
        grid = st.columns(3)
        named = {}
        for place, value in enumerate(blanks):
            picked = grid[place % 3].selectbox(plain(value), [BLANK, *allowed], key=f"map-{key}-{column}-value-{value}",
                                               format_func=lambda v: v.replace("_", " "))
            if picked != BLANK:
                named[value] = picked
        told.setdefault("values", {})[column] = named
    return told


def _say_what_is_left(final: mapping.Draft) -> None:
    if final.unsure:
        wanted = ", ".join(_label(final.table, c) if c != "survey_type" else "survey type" for c in final.unsure)
        st.warning(f"Still to decide: {plain(wanted)}. Left blank, those columns load nothing: never a guess.",
                   icon=":material/edit:")


def _label(table: str, column: str) -> str:
    if column == "account_id":  # the step maps the file's account column, an id or a name (looked up)
        return "Account"
    return tables.label(COLUMN_NAMES.get((table, column), column))


def _show_preview(upload: Upload, text: str, final_table: str) -> bool:
    """The first rows with their verdicts; False when the mapping cannot load yet (and why)."""
    try:
        shown = _preview(upload.name, upload.content, text, data.build_key())
    except IngestError as exc:
        st.warning(plain(in_words(str(exc))), icon=":material/edit:")
        return False
    rows = shown.rows.rename(columns={column: name for (table, column), name in COLUMN_NAMES.items()
                                      if table == final_table})
    st.dataframe(tables.readable(rows).frame, hide_index=True, width="stretch",
                 column_config={"Verdict": st.column_config.TextColumn("Verdict", width="medium", pinned=True)})
    quarantined = sum(shown.reasons.values())
    loading = shown.checked - quarantined - shown.duplicates
    reasons = "; ".join(f"{reason}: {n:,}" for reason, n in shown.reasons.items())
    st.caption(
        f"The first {shown.checked:,} of {shown.rows_in:,} rows, checked as the load will check them: "
        f"{loading:,} load, {quarantined:,} would be quarantined" + (f" ({plain(reasons)})" if reasons else "")
        + (f", {shown.duplicates:,} repeated rows kept once" if shown.duplicates else "") + "."
    )
    return True


def _save_and_load(upload: Upload, text: str, clean: str, layout_ok: bool) -> None:
    saved_here = st.session_state.setdefault(_SAVED, {})
    taken = mapping.name_taken(clean) if clean else None
    replace = saved_here.get(upload.sha) == clean  # this session saved it: saving again updates it
    if taken == "bundled" and not replace:
        st.warning(f"A layout that comes with Win-Win is called {plain(clean)}: a saved layout of that name is used "
                   "instead of it for every file.", icon=":material/warning:")
        replace = st.checkbox("Replace the bundled layout", key=f"map-{upload.sha[:16]}-replace")
    elif taken == "saved" and not replace:
        st.warning(f"Your firm already saved a layout called {plain(clean)}.", icon=":material/warning:")
        replace = st.checkbox("Replace it", key=f"map-{upload.sha[:16]}-replace")
    save, load = st.columns(2)
    blocked = not (clean and layout_ok) or bool(taken and not replace)
    if clicked(save, "Save layout", key=f"map-{upload.sha[:16]}-save", disabled=blocked):
        try:
            path = mapping.save_layout(text, clean, replace=replace)
        except IngestError as exc:
            st.error(plain(str(exc)))
        else:
            saved_here[upload.sha] = clean
            st.success(f"Saved as {plain(path)}. The next export of this tool is recognised and loads directly.",
                       icon=":material/save:")
    if clicked(load, "Load", key=f"map-{upload.sha[:16]}-load", type="primary", disabled=not layout_ok):
        with tempfile.TemporaryDirectory(prefix="winwin-map-") as tmp:
            mapping_file = Path(tmp) / f"{clean or 'draft'}.yaml"
            mapping_file.write_text(text, encoding="utf-8")
            loaded = _load([upload], mapping_file)
        if loaded:
            saved_here.pop(upload.sha, None)
            st.session_state.setdefault(_MAP_ANYWAY, set()).discard(upload.sha)
            st.rerun()  # the results show above the uploads, the file now as a loaded one


def _load(uploads: list[Upload], mapping_file: Path | None = None) -> bool:
    """Load through the same atomic ingest as the command line; the results stay on the page."""
    with st.status(f"Loading {len(uploads)} file(s)…", expanded=True) as progress:
        try:
            results = ingest_uploads(
                [(u.name, u.content) for u in uploads], db=data.db_path(), loaded_by=auth.visitor().user,
                progress=progress.write, lock_wait=UPLOAD_LOCK_WAIT_SECONDS,
                mappings=[mapping_file] if mapping_file else None,
            )
        except (IngestError, warehouse.WarehouseBusy) as exc:
            progress.update(label="Nothing was loaded", state="error")
            st.session_state[_RESULTS] = str(exc)
            return False
        progress.update(label=f"Loaded {len(results)} file(s)", state="complete", expanded=False)
    st.session_state[_RESULTS] = results
    return True


def _show_results() -> None:
    """What the last load did: a success only when every row loaded; quarantined rows are a warning
    that says how many and where they are listed."""
    results = st.session_state.get(_RESULTS)
    if results is None:
        return
    if isinstance(results, str):
        st.error(f"{plain(in_words(results))}\n\nNothing was loaded: every page keeps showing the data it had.",
                 icon=":material/block:")
        return
    for r in results:
        kind, text = result_message(r)
        getattr(st, kind)(text)
    summary = tables.readable(pd.DataFrame([result_row(r) for r in results]))
    st.dataframe(summary.frame, hide_index=True, width="stretch")


def result_message(r: FileResult) -> tuple[str, str]:
    """("success" | "warning" | "info", the sentence) for one file's load."""
    name = f"**{plain(r.file_name)}**"
    if r.skipped:
        return "info", f"{name}: already loaded (the same file read the same way); nothing changed."
    loaded = r.inserted + r.updated + r.unchanged
    extras = []
    if r.duplicates:
        extras.append(f"{len(r.duplicates):,} repeated rows kept once")
    if r.footer_rows:
        extras.append(f"{r.footer_rows:,} report footer line(s) skipped")
    for column, values in r.unmapped.items():
        extras.append(f"{sum(values.values()):,} {plain(tables.label(column).lower())} values not in the layout's "
                      "map, loaded as empty")
    tail = (" " + "; ".join(extras) + ".") if extras else ""
    if r.quarantined:
        return "warning", (f"{name}: {r.quarantined:,} of {r.rows_in:,} rows quarantined, not loaded; {loaded:,} "
                           f"loaded. The quarantined rows and their reasons are listed under [Quarantine](#quarantine) "
                           f"below.{tail}")
    return "success", (f"{name}: all {r.rows_in:,} rows loaded as {plain(r.layout)} ({r.inserted:,} new, "
                       f"{r.updated:,} updated, {r.unchanged:,} unchanged).{tail}")


def result_row(r: FileResult) -> dict:
    return {"file": r.file_name, "layout": r.layout, "holds": TABLES.get(r.table, r.table), "rows_in": r.rows_in,
            "new": r.inserted, "updated": r.updated, "unchanged": r.unchanged, "quarantined": r.quarantined,
            "reconciles": r.reconciles()}
