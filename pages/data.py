"""Data: what the warehouse holds, which files built it, and every row that was quarantined."""

import pandas as pd
import streamlit as st

from pipelines import status
from pipelines.export import spreadsheet_safe_csv
from ui import data

st.title("Data")
st.caption(
    "Every input row is either loaded or quarantined with its reason. Check here what a figure "
    "rests on before you quote it."
)

if data.build_key() is None:
    st.info(
        "There is no warehouse yet. Load your exports with\n\n`python -m pipelines ingest path/to/exports/`"
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
