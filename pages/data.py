"""Data: load exports (and map the ones no layout knows), what the warehouse holds, how fresh and
valid it is, and every row that was quarantined."""

import io
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines import status, warehouse
from pipelines.reporting import tables
from pipelines.reporting.spreadsheet import spreadsheet_safe_csv
from ui import auth, data, uploads
from ui.exports import show_table

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
    uploads.load_area()

if data.build_key() is None:
    st.info("There is no warehouse yet: load your exports above (a loader or an admin can).")
    st.stop()

report = data.query(status.report)
stamp = f"warehouse built {report['built_at']:%d %b %Y %H:%M} UTC"  # the page's times are all UTC
st.caption(
    f"Warehouse `{data.db_path()}` · built {report['built_at']:%d %b %Y %H:%M} UTC · data up to "
    + (f"{report['data_date']:%d %b %Y}" if report["data_date"] else "– (no rows yet)") + " · times in UTC"
)

st.subheader("Tables")
show_table(pd.DataFrame({"holds": [uploads.TABLES[t] for t in report["tables"]], "table": list(report["tables"]),
                         "rows": list(report["tables"].values())}), "Tables", stamp, width="content")

st.subheader("Files loaded")
files = pd.DataFrame(report["files"])
if files.empty:
    st.info("No file loaded yet: load your exports above.")
else:
    files["file_sha256"] = files["file_sha256"].str[:12] + "…"
    files = files.rename(columns={"file_sha256": "fingerprint", "table_name": "table", "rows_inserted": "new",
                                  "rows_updated": "updated", "rows_unchanged": "unchanged",
                                  "rows_quarantined": "quarantined"})
    show_table(files, "Files loaded", stamp,
               hide=["fingerprint", "table"], width="stretch")  # the export keeps them; the screen fits 1440 px
    st.caption("For every file: rows in = new + updated + unchanged + quarantined. A file loaded again with the same mapping is skipped.")

    st.subheader("Freshness per source")
    freshness = pd.DataFrame(report["freshness"])
    freshness["latest_event_date"] = pd.to_datetime(freshness["latest_event_date"])
    show_table(freshness.rename(columns={"latest_event_date": "latest_event",
                                         "table_name": "table"}), "Freshness per source", stamp, width="stretch")
    st.caption("Latest event: the newest deal closed, project started or completed, escalation opened, "
               "activity or survey answer among the rows of that source.")

st.subheader("Validation")
checks = pd.DataFrame(report["validation"])
if checks.empty:
    st.info("Nothing validated yet.")
else:
    show_table(checks.rename(columns={"table_name": "table", "failed_quarantine": "failed_to_quarantine",
                                      "failed_warning": "failed_as_warning"}),
               "Validation per table", stamp, width="stretch")
    st.caption("Per table, the Great Expectations checks of the files its latest build loaded, and the checks of "
               "references between tables that run on every build. A failed quarantine check sent its rows to the "
               "quarantine below; a failed warning (a reference to a record not loaded yet) loaded them and counts them.")
    failed = data.query(status.failed_expectations)
    if not failed.empty:
        failed["sample"] = failed["sample"].replace("", "(empty cells)")
        show_table(failed.rename(columns={"table_name": "table", "column_name": "column"}), "Failed checks", stamp,
                   width="stretch")
docs = warehouse.docs_dir(data.db_path())
if (docs / "index.html").exists():
    st.download_button(
        "Download the GX Data Docs (zip)", lambda: zipped(docs), f"{docs.name}-gx-data-docs.zip", "application/zip",
        help=f"Great Expectations' own report of the latest build's checks; also in `{docs / 'index.html'}` "
        "on the machine that runs the app (open it in a browser). GX loads its styles and the index's "
        "table from the internet; offline, open the pages under validations/ directly.",
    )

st.subheader("Quarantine", anchor="quarantine")
by_reason = pd.DataFrame(report["quarantine"], columns=["table_name", "reason", "rows"])
if by_reason.empty:
    st.success("No row was quarantined.")
else:
    show_table(by_reason.rename(columns={"table_name": "table"}), "Quarantine by reason", stamp, width="content")
    reasons = ["All reasons", *by_reason["reason"].drop_duplicates()]
    chosen = st.selectbox("Show the rows quarantined for", reasons, key="reason", bind="query-params")
    rows = data.query(status.quarantined_rows, None if chosen == reasons[0] else chosen)
    shown = tables.readable(rows.rename(columns={"table_name": "table", "source_row": "row"}))
    st.dataframe(shown.frame, hide_index=True, width="stretch",
                 column_config={shown.key: st.column_config.Column(shown.key, pinned=True)} if shown.key else None)
    st.download_button(
        f"Download these {len(rows):,} rows (CSV)", spreadsheet_safe_csv(rows), "quarantine.csv", "text/csv",
        help="Each row with its file, row number, reason and the record as exported. Safe to open in a "
        "spreadsheet: text that would run as a formula is prefixed with an apostrophe.",
    )

unmapped = pd.DataFrame(report["unmapped_values"])
if not unmapped.empty:
    st.subheader("Vendor values missing from the mappings")
    st.caption("Loaded as empty, never guessed: add them to the layout's value map and load the file again.")
    show_table(unmapped.rename(columns={"column_name": "column"}), "Vendor values missing from the mappings", stamp,
               width="content")
