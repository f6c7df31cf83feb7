"""Data: load exports, what the warehouse holds, how fresh and valid it is, and every row that
was quarantined."""

import io
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines import status, warehouse
from pipelines.errors import IngestError
from pipelines.reporting.spreadsheet import spreadsheet_safe_csv
from pipelines.ingest import DATA_SUFFIXES, ingest_uploads
from ui import auth, data

# A second upload while an ingest runs waits this long for the writer lock, then says why.
UPLOAD_LOCK_WAIT_SECONDS = 30

st.title("Data")
auth.require("data", "the Data page (it lists every account's loaded files and quarantined records)")
st.caption(
    "Every input row is either loaded or quarantined with its reason. Check here what a figure "
    "rests on before you quote it."
)


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.getvalue()


with st.expander("Load exports", expanded=data.build_key() is None and auth.can("load"), icon=":material/upload:"):
    may_load = auth.can("load")
    if not may_load:
        st.info("Loading exports is for the loader and admin roles.", icon=":material/lock:")
    limit_mb = st.get_option("server.maxUploadSize")
    uploads = st.file_uploader(
        f"CSV or XLSX exports, up to {limit_mb:,} MB each", type=sorted(s.lstrip(".") for s in DATA_SUFFIXES),
        accept_multiple_files=True, key="uploads", disabled=not may_load,
        help="Loaded exactly as `python -m pipelines ingest` loads them: recognised by their header, "
        "validated, then swapped in as one new build. A rejected file changes nothing.",
    )
    if uploads and may_load and st.button(f"Load {len(uploads)} file(s)", type="primary"):
        results, rejected = [], None
        with st.status(f"Loading {len(uploads)} file(s)…", expanded=True) as progress:
            try:
                results = ingest_uploads(
                    [(u.name, u.getvalue()) for u in uploads], db=data.db_path(), loaded_by=auth.visitor().user,
                    progress=progress.write, lock_wait=UPLOAD_LOCK_WAIT_SECONDS,
                )
            except (IngestError, warehouse.WarehouseBusy) as exc:
                rejected = exc
                progress.update(label="Nothing was loaded", state="error")
            else:
                progress.update(label=f"Loaded {len(results)} file(s)", state="complete", expanded=False)
        if rejected:
            st.error(f"{rejected}\n\nEvery page keeps showing the data it had.")
        else:
            st.success("\n\n".join(r.summary() for r in results))
            st.dataframe(
                pd.DataFrame([{"file": r.file_name, "layout": r.layout, "rows in": r.rows_in, "new": r.inserted,
                               "updated": r.updated, "unchanged": r.unchanged, "quarantined": r.quarantined,
                               "reconciles": r.reconciles()} for r in results]),
                hide_index=True, width="stretch",
            )

if data.build_key() is None:
    st.info(
        "There is no warehouse yet. Load your exports above, or with\n\n`python -m pipelines ingest path/to/exports/`"
    )
    st.stop()

report = data.query(status.report)
st.caption(
    f"Warehouse `{data.db_path()}` · built {report['built_at']:%d %b %Y %H:%M} UTC · data up to "
    + (f"{report['data_date']:%d %b %Y}" if report["data_date"] else "– (no rows yet)")
)

st.subheader("Tables")
st.dataframe(
    pd.DataFrame({"table": list(report["tables"]), "rows": list(report["tables"].values())}),
    hide_index=True, width="content",
)

st.subheader("Files loaded")
files = pd.DataFrame(report["files"])
if files.empty:
    st.info("No file loaded yet: `python -m pipelines ingest path/to/exports/`")
else:
    files["file_sha256"] = files["file_sha256"].str[:12] + "…"
    st.dataframe(
        files, hide_index=True, width="stretch",
        column_config={"loaded_at": st.column_config.DatetimeColumn("loaded at (UTC)", format="D MMM YYYY, HH:mm")},
    )
    st.caption("For every file: rows in = inserted + updated + unchanged + quarantined. A file loaded again with the same mapping is skipped.")

    st.subheader("Freshness per source")
    st.dataframe(
        pd.DataFrame(report["freshness"]), hide_index=True, width="stretch",
        column_config={
            "last_loaded_at": st.column_config.DatetimeColumn("last loaded (UTC)", format="D MMM YYYY, HH:mm"),
            "latest_event_date": st.column_config.DateColumn("latest event", format="D MMM YYYY"),
        },
    )
    st.caption("Latest event: the newest deal closed, project started or completed, escalation opened, "
               "activity or survey answer among the rows of that source.")

st.subheader("Validation")
checks = pd.DataFrame(report["validation"])
if checks.empty:
    st.info("Nothing validated yet.")
else:
    st.dataframe(checks, hide_index=True, width="stretch",
                 column_config={"validated_at": st.column_config.DatetimeColumn("validated (UTC)", format="D MMM YYYY, HH:mm")})
    st.caption("Per table, the Great Expectations checks of the files its latest build loaded, and the checks of "
               "references between tables that run on every build. A failed quarantine check sent its rows to the "
               "quarantine below; a failed warning (a reference to a record not loaded yet) loaded them and counts them.")
    failed = data.query(status.failed_expectations)
    if not failed.empty:
        st.dataframe(failed, hide_index=True, width="stretch")
docs = warehouse.docs_dir(data.db_path())
if (docs / "index.html").exists():
    st.download_button(
        "Download the GX Data Docs (zip)", lambda: zipped(docs), f"{docs.name}-gx-data-docs.zip", "application/zip",
        help=f"Great Expectations' own report of the latest build's checks; also in `{docs / 'index.html'}` "
        "on the machine that runs the app (open it in a browser). GX loads its styles and the index's "
        "table from the internet; offline, open the pages under validations/ directly.",
    )

st.subheader("Quarantine")
by_reason = pd.DataFrame(report["quarantine"], columns=["table_name", "reason", "rows"])
if by_reason.empty:
    st.success("No row was quarantined.")
else:
    st.dataframe(by_reason, hide_index=True, width="content")
    reasons = ["All reasons", *by_reason["reason"].drop_duplicates()]
    chosen = st.selectbox("Show the rows quarantined for", reasons, key="reason", bind="query-params")
    rows = data.query(status.quarantined_rows, None if chosen == reasons[0] else chosen)
    st.dataframe(rows, hide_index=True, width="stretch")
    st.download_button(
        f"Download these {len(rows):,} rows (CSV)", spreadsheet_safe_csv(rows), "quarantine.csv", "text/csv",
        help="Each row with its file, row number, reason and the record as exported. Safe to open in a "
        "spreadsheet: text that would run as a formula is prefixed with an apostrophe.",
    )

unmapped = pd.DataFrame(report["unmapped_values"])
if not unmapped.empty:
    st.subheader("Vendor values missing from the mappings")
    st.caption("Loaded as empty, never guessed: add them to the layout's mapping file and load the file again.")
    st.dataframe(unmapped, hide_index=True, width="content")
