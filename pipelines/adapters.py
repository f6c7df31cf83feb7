"""Vendor layouts as data: read a mapping file, recognise a file's layout, land it, stage it.

A layout is a YAML file in ``pipelines/sources/`` (or a user's own, via ``--mapping``). This
module is the one engine that reads them all, so a new vendor export is a new YAML file,
never new code. Landing reads the file with DuckDB's CSV reader (bulk, no Python row loops);
staging is SQL generated from the mapping, with every literal passed as a parameter.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import os
import re
import tempfile
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from pipelines import workbook
from pipelines.errors import IngestError  # noqa: F401  (re-exported: older imports read it from here)
from pipelines.warehouse import CANONICAL_COLUMNS, CANONICAL_VALUES, NATURAL_KEYS

SOURCES_DIR = Path(__file__).parent / "sources"
# A firm's saved layouts (the mapping assistant's drafts, the Data page's "Save layout"):
# recognised like the bundled ones, and preferred to them. WINWIN_LAYOUTS names another folder.
SAVED_LAYOUTS_DIR = Path(__file__).resolve().parent.parent / "data" / "layouts"


def saved_layouts_dir() -> Path:
    return Path(os.environ.get("WINWIN_LAYOUTS") or SAVED_LAYOUTS_DIR)

# How many leading bytes are enough to find the encoding, delimiter and header lines.
SNIFF_BYTES = 256 * 1024
DELIMITERS = [",", ";", "\t", "|"]
# A "huge cell" limit: longer lines are a broken file, not data (DuckDB's default is 2 MB).
MAX_LINE_BYTES = 16 * 1024 * 1024
COLUMN_TYPES = {"text", "integer", "number", "money", "date", "timestamp", "boolean"}
# Number formats: which character groups thousands, which marks decimals, and the shape a value
# must have once currency signs and codes are stripped. A value of another shape ("1.234,50" read
# as "1,234.50") is quarantined as unreadable instead of silently becoming 1.2345.
NUMBER_FORMATS = {
    "1,234.50": (",", ".", r"^-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)([.][0-9]+)?$"),
    "1.234,50": (".", ",", r"^-?([0-9]{1,3}([.][0-9]{3})+|[0-9]+)(,[0-9]+)?$"),
    "1 234,50": (" ", ",", r"^-?[0-9]+(,[0-9]+)?$"),
}
# Date formats a mapping may name besides strptime patterns. "iso8601": "2025-01-20T09:03:00Z",
# with or without 'T', fraction or 'Z' (UTC assumed). "epoch": Unix seconds (APIs, Delighted).
ISO8601_FORMATS = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%f",
                   "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
EPOCH = "epoch"
# Always tried after a mapping's own formats: a spreadsheet's date cells arrive as ISO text.
SPREADSHEET_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
# What a mapping's `lookup:` can resolve, per canonical column: the file quotes a name or a
# number another system gives the record, and the warehouse gives its id.
#   account_name:      the account of that name (dim_account)
#   deal_reference:    the deal whose own number (fct_opportunity.deal_reference) it is; a value
#                      that is already a deal id is kept (PSA tools quote "Deal Number" / "Project Code")
#   project_reference: the project of that id, else the project of the deal with that number or id
LOOKUPS = {
    "account_id": ("account_name",),
    "opportunity_id": ("deal_reference",),
    "project_id": ("project_reference",),
}

MAPPING_HELP = """\
A mapping file is YAML; save it as my_layout.yaml and run
  python -m pipelines ingest --mapping my_layout.yaml FILE
Example:
  title: My CRM deals export
  table: fct_opportunity            # target canonical table
  detect:
    header_rows: 1                  # lines of header; column names come from the first
    skip_rows: 0                    # lines before the header (report titles)
    required: [Deal Id, Amount]     # columns that identify the layout
  columns:
    opportunity_id: Deal Id         # the natural key: a later export updates these rows
    account_id: {from: Customer, lookup: account_name}   # a name: the id comes from the accounts
    amount: {from: Amount, type: money, number_format: "1.234,50"}
    close_date: {from: [Closed, Expected close], type: date, format: ["%d.%m.%Y", iso8601]}
    lead_source: {from: Source, map: {Referral by PS: delivery, Web: marketing}}
  constants: {deal_type: new_business}
A list under `from` takes the first non-empty of those columns (with `join: true`, all of them
joined by a space: first and last name); map keys ignore case; `format` may be a list too
(also: iso8601, epoch for Unix seconds); number_format is one of "1,234.50", "1.234,50",
"1 234,50"."""


@dataclass(frozen=True)
class ColumnSpec:
    """How one canonical column is derived from one source column."""

    name: str
    sources: tuple[str, ...]  # the first non-empty of these columns
    type: str = "text"
    formats: tuple[str, ...] = ()  # date/timestamp: strptime patterns, "iso8601" or "epoch"
    number_format: str = "1,234.50"
    value_map: dict | None = None
    default: object = None
    lookup: str | None = None  # "account_name": the value names an account of dim_account
    join: bool = False  # the non-empty source columns joined by a space (first and last name)


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    table: str
    required: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    header_rows: int = 1
    skip_rows: int = 0
    footer: tuple[str, ...] = ()
    constants: dict = field(default_factory=dict)
    path: Path | None = None
    digest: str = ""  # sha256 of the mapping file: a changed mapping loads a loaded file anew
    users: bool = False  # the firm's own (saved or --mapping): preferred to a bundled layout

    @property
    def source_columns(self) -> list[str]:
        return list(dict.fromkeys(source for c in self.columns for source in c.sources))

    @property
    def header_line(self) -> int:
        """0-based line holding the column names."""
        return self.skip_rows


def parse_layout(path: Path) -> Layout:
    """Read one mapping file; raise IngestError naming the file and the field that is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        spec = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise IngestError(f"{path}: cannot read mapping file: {exc}") from exc
    if not isinstance(spec, dict) or "table" not in spec or "columns" not in spec:
        raise IngestError(f"{path}: a mapping needs 'table' and 'columns'.\n\n{MAPPING_HELP}")
    table = spec["table"]
    if table not in CANONICAL_COLUMNS:
        raise IngestError(f"{path}: unknown table {table!r}; expected one of {sorted(CANONICAL_COLUMNS)}")
    columns = []
    for name, rule in spec["columns"].items():
        if name not in CANONICAL_COLUMNS[table]:
            raise IngestError(
                f"{path}: {table} has no column {name!r}; its columns are {CANONICAL_COLUMNS[table]}"
            )
        rule = {"from": rule} if isinstance(rule, (str, list)) else dict(rule)  # `name: Column` or `name: [A, B]`
        col_type = rule.get("type", "boolean" if isinstance(rule.get("default"), bool) else "text")
        if col_type not in COLUMN_TYPES:
            raise IngestError(f"{path}: column {name}: type {col_type!r} is not one of {sorted(COLUMN_TYPES)}")
        number_format = rule.get("number_format", "1,234.50")
        if number_format not in NUMBER_FORMATS:
            raise IngestError(f"{path}: column {name}: number_format must be one of {list(NUMBER_FORMATS)}")
        value_map = rule.get("map")
        _check_vocabulary(path, table, name, (value_map or {}).values())
        if "from" not in rule:
            raise IngestError(f"{path}: column {name}: say which file column it comes from with 'from'")
        lookup = rule.get("lookup")
        if lookup is not None and (lookup not in LOOKUPS.get(name, ()) or name == NATURAL_KEYS[table]):
            allowed = "; ".join(f"{column}: {', '.join(kinds)}" for column, kinds in LOOKUPS.items())
            raise IngestError(f"{path}: column {name}: lookup {lookup!r} is not available here; lookups are {allowed}"
                              " (never on the table's own key)")
        join = bool(rule.get("join", False))
        if join and col_type != "text":
            raise IngestError(f"{path}: column {name}: join is for text columns (names)")
        formats = _as_tuple(rule.get("format"))
        if EPOCH in formats and col_type not in {"date", "timestamp"}:
            raise IngestError(f"{path}: column {name}: format epoch needs type date or timestamp")
        columns.append(
            ColumnSpec(
                name=name,
                sources=_as_tuple(rule["from"]),
                type=col_type,
                formats=formats,
                number_format=number_format,
                value_map={str(k).lower(): v for k, v in value_map.items()} if value_map else None,
                default=rule.get("default"),
                lookup=lookup,
                join=join,
            )
        )
    constants = dict(spec.get("constants", {}))
    for name, value in constants.items():
        if name not in CANONICAL_COLUMNS[table]:  # a key becomes a column name in the staging SQL
            raise IngestError(f"{path}: constants: {table} has no column {str(name)[:80]!r}; "
                              f"its columns are {CANONICAL_COLUMNS[table]}")
        _check_vocabulary(path, table, name, [value])
    detect = spec.get("detect", {})
    key = NATURAL_KEYS[table]
    if key not in {c.name for c in columns}:
        raise IngestError(f"{path}: {table} rows are identified by {key!r}; map it under 'columns'")
    if table == "fct_survey_response" and not {"account_id", "contact", "project_id"} & {c.name for c in columns}:
        raise IngestError(
            f"{path}: a survey answer needs its account: map account_id (an id, or a company name with "
            "'lookup: account_name'), contact (the respondent's e-mail, matched to the CRM contacts or "
            "the e-mail's domain) or project_id (with 'lookup: project_reference')"
        )
    return Layout(
        name=Path(path).stem,
        title=spec.get("title", Path(path).stem),
        table=table,
        required=tuple(map(str, detect.get("required", [s for c in columns for s in c.sources]))),
        columns=tuple(columns),
        header_rows=int(detect.get("header_rows", 1)),
        skip_rows=int(detect.get("skip_rows", 0)),
        footer=tuple(detect.get("footer", [])),
        constants=constants,
        path=Path(path),
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _check_vocabulary(path: Path, table: str, column: str, values) -> None:
    """A canonical column with a vocabulary (lead_source, ...) only receives its own values."""
    allowed = CANONICAL_VALUES.get((table, column))
    wrong = sorted({str(v) for v in values} - set(allowed)) if allowed else []
    if wrong:
        raise IngestError(f"{path}: column {column}: {wrong} are not canonical values; use one of {list(allowed)}")


def _as_tuple(value) -> tuple[str, ...]:
    """A YAML scalar or list, as a tuple of strings (None: empty)."""
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def load_layouts(extra: list[Path] | None = None) -> dict[str, Layout]:
    """The bundled layouts, the saved ones (``saved_layouts_dir``) and any mapping files given;
    the later win on a name clash, and the firm's own are preferred when several match a file."""
    layouts = {layout.name: layout for layout in map(parse_layout, sorted(SOURCES_DIR.glob("*.yaml")))}
    saved = saved_layouts_dir()
    users = (sorted(saved.glob("*.yaml")) + sorted(saved.glob("*.yml")) if saved.is_dir() else []) + [
        Path(p) for p in (extra or [])]
    for path in users:
        layout = parse_layout(path)
        layouts[layout.name] = dataclasses.replace(layout, users=True)
    return layouts


# --- Reading files -------------------------------------------------------------------------


@dataclass
class SourceFile:
    """A file made ready for DuckDB's CSV reader: UTF-8, known delimiter, first lines parsed."""

    path: Path  # the user's file
    csv_path: Path  # what DuckDB reads (a UTF-8 copy when the original is not UTF-8 or XLSX)
    sha256: str
    encoding: str
    delimiter: str
    head: list[list[str]]  # first lines, parsed


def file_sha256(path: Path) -> str:
    return _scan(path)[0]


def _scan(path: Path) -> tuple[str, bool]:
    """The file's sha256 and whether all of it is UTF-8, in one pass over its bytes."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return digest.hexdigest(), utf8


# Bytes Windows-1252 leaves undefined; read as Latin-1 (the same code point) instead.
CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
MIXED_ENCODING = "utf-8, else windows-1252"


def _windows_1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """Decoding UTF-8, read the bytes that are not UTF-8 as Windows-1252.

    One rule for Windows-1252 files and for mixed ones (a UTF-8 export with rows pasted from
    Excel): a Windows-1252 accent is never valid UTF-8 next to plain text, so UTF-8 stays UTF-8
    and every other byte gets its Windows-1252 character instead of a "?" or mojibake.
    """
    bad = error.object[error.start:error.end]
    return "".join(chr(b) if b in CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in bad), error.end


codecs.register_error("winwin-cp1252", _windows_1252_fallback)


def _detect_encoding(sample: bytes, all_utf8: bool) -> str:
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if not all_utf8:
        return MIXED_ENCODING
    return "utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"


def _looks_binary(sample: bytes, encoding: str) -> bool:
    return encoding != "utf-16" and b"\x00" in sample[:4096]


def prepare(path: Path, workdir: Path, sheet: str | None = None) -> SourceFile:
    """Open a user file: reject what is not tabular text; transcode to UTF-8 when needed."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    sha, all_utf8 = _scan(path)
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"}:
        csv_path = _xlsx_to_csv(path, workdir, sheet)
        encoding = "xlsx"
    else:
        with open(path, "rb") as fh:
            sample = fh.read(SNIFF_BYTES)
        if not sample.strip():
            raise IngestError(f"{path.name}: the file is empty")
        if sample.startswith(b"%PDF") or sample.startswith(b"PK\x03\x04"):
            raise IngestError(f"{path.name}: this is a PDF or ZIP file, not a CSV export")
        encoding = _detect_encoding(sample, all_utf8)
        if _looks_binary(sample, encoding):
            raise IngestError(f"{path.name}: the file is binary, not a CSV export")
        csv_path = path
        if encoding not in {"utf-8"}:
            csv_path = workdir / f"{path.stem}.utf8.csv"
            decode = ("utf-8-sig", "winwin-cp1252") if encoding == MIXED_ENCODING else (encoding, "replace")
            with open(path, encoding=decode[0], errors=decode[1], newline="") as src, open(
                csv_path, "w", encoding="utf-8", newline=""
            ) as dst:
                for block in iter(lambda: src.read(1 << 20), ""):
                    dst.write(block)
    with open(csv_path, encoding="utf-8", errors="replace", newline="") as fh:
        text = fh.read(SNIFF_BYTES)
    lines = text.splitlines()[:12]
    first = next((ln for ln in lines if ln.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)  # a question text's commas do not split columns
    delimiter = max(DELIMITERS, key=unquoted.count)
    csv.field_size_limit(MAX_LINE_BYTES)  # a long comment in the first lines is data (default: 128 KB)
    head = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    widest = max(map(len, head), default=0)
    if widest > workbook.MAX_COLUMNS:  # each column costs memory per row read: 20,000 took 2.4 GiB for 8 MB
        raise IngestError(f"{path.name}: {widest:,} columns; Win-Win reads exports of up to "
                          f"{workbook.MAX_COLUMNS:,} columns. Export only the columns the layout needs")
    return SourceFile(path, csv_path, sha, encoding, delimiter, head)


def _xlsx_to_csv(path: Path, workdir: Path, sheet: str | None) -> Path:
    """Write the sheet that holds the data as UTF-8 CSV, in a child process with a memory ceiling."""
    try:
        return workbook.to_csv(path, workdir / f"{path.stem}.xlsx.csv", sheet)
    except workbook.WorkbookError as exc:
        raise IngestError(f"{path.name}: {exc}") from exc


def header_of(source: SourceFile, layout: Layout) -> list[str]:
    if len(source.head) <= layout.header_line:
        return []
    return [c.strip().lstrip("\ufeff") for c in source.head[layout.header_line]]


def detect_layout(source: SourceFile, layouts: dict[str, Layout]) -> Layout:
    """The layout whose required columns all appear in its header line; the most specific wins."""
    matches = [
        layout
        for layout in layouts.values()
        if set(layout.required) <= set(header_of(source, layout))
    ]
    if matches:
        return max(matches, key=lambda lay: (lay.users, len(lay.required), lay.header_rows))
    raise IngestError(unknown_layout_message(source, layouts))


def unknown_layout_message(source: SourceFile, layouts: dict[str, Layout]) -> str:
    def closeness(layout: Layout) -> float:
        header = set(header_of(source, layout))
        found = len(set(layout.required) & header) / max(len(layout.required), 1)
        fuzzy = difflib.SequenceMatcher(None, " ".join(sorted(header)), " ".join(layout.required)).ratio()
        return found + fuzzy / 10

    closest = sorted(layouts.values(), key=closeness, reverse=True)[:3]
    lines = [f"{source.path.name}: unknown layout. Its header line is:", f"  {_preview(source.head)}"]
    lines.append("The closest known layouts and their missing required columns:")
    for layout in closest:
        missing = [c for c in layout.required if c not in header_of(source, layout)]
        lines.append(f"  - {layout.name} ({layout.title}): missing {missing}")
    lines.append("Pass --format NAME to force a layout, or describe yours in a mapping file.")
    lines.append(MAPPING_HELP)
    return "\n".join(lines)


def _preview(head: list[list[str]]) -> str:
    first = next((row for row in head if any(c.strip() for c in row)), [])
    text = ", ".join(first)
    return text[:300] + ("…" if len(text) > 300 else "")


def check_required(source: SourceFile, layout: Layout) -> list[str]:
    """Column names of the file; reject it whole when a required column is missing or doubled."""
    header = header_of(source, layout)
    missing = [c for c in layout.required if c not in header]
    if missing:
        raise IngestError(
            f"{source.path.name}: missing required column(s) {missing} for layout {layout.name} "
            f"({layout.title}); expected {list(layout.required)} on header line "
            f"{layout.header_line + 1}, found {header[:20]}"
        )
    doubled = sorted({c for c in header if header.count(c) > 1 and c in layout.source_columns})
    if doubled:
        raise IngestError(
            f"{source.path.name}: column(s) {doubled} appear more than once in the header; "
            f"layout {layout.name} needs each mapped column once"
        )
    return header


# --- Landing and staging -------------------------------------------------------------------


def land(con: duckdb.DuckDBPyConnection, source: SourceFile, layout: Layout) -> int:
    """Bulk-read the file into temp table ``land`` (all text, columns c0..cN, source_row).

    Column names from the file never reach SQL text: they become positional names, and the
    mapping addresses them through ``source_index``. Returns the number of data rows.
    """
    header = check_required(source, layout)
    # The column list is built from integers only; the path and options are bound parameters.
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    names = ", ".join(f"c{i}" for i in range(len(header)))
    rest_blank = " AND ".join(f"NULLIF(TRIM(c{i}), '') IS NULL" for i in range(1, len(header))) or "TRUE"
    # One pass: read, number (row_number() OVER () keeps the reader's order: the file's) and drop
    # blank rows in the same statement.
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE land AS
            SELECT * FROM (
                SELECT CAST(row_number() OVER () AS INTEGER) AS source_row, {names} FROM read_csv(
                    ?, header = false, delim = ?, quote = '"', escape = '"', skip = ?,
                    columns = {columns}, null_padding = true, auto_detect = false,
                    strict_mode = false, max_line_size = ?)
            ) AS numbered
            WHERE NOT ({rest_blank} AND NULLIF(TRIM(c0), '') IS NULL)""",
            [str(source.csv_path), source.delimiter, layout.skip_rows + layout.header_rows, MAX_LINE_BYTES],
        )
    except duckdb.Error as exc:
        raise IngestError(f"{source.path.name}: cannot be read as {layout.name}: {_first_line(exc)}") from exc
    if layout.footer:
        # A report footer: from its first line (a known pattern in the first cell, the rest
        # empty) every single-cell line. Deleting those few rows is cheaper than filtering the
        # read by a minimum over the whole file (measured: a second pass, or a window, twice as slow).
        footer = "|".join(f"(?:{p})" for p in layout.footer)
        con.execute(
            f"""DELETE FROM land WHERE {rest_blank} AND source_row >= (
                SELECT min(source_row) FROM land WHERE {rest_blank} AND regexp_matches(c0, ?))""",
            [footer],
        )
    return con.execute("SELECT count(*) FROM land").fetchone()[0]


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:400]


def staging_sql(layout: Layout, header: list[str]) -> tuple[str, list]:
    """SELECT that renames, casts and cleans ``land`` into the layout's canonical columns.

    Each typed column also yields ``<name>__unparsed``: the raw text where the cast failed, so
    validation can quarantine the row and show what it could not read. Mapped columns keep
    ``raw_<name>`` so values missing from the map are counted, not silently dropped.
    """
    params: list = []
    typed, raws, unparsed = ["source_row"], [], []
    for col in layout.columns:
        raw = _raw(col, header)
        typed.append(f"{_cast(col, raw, params)} AS {col.name}")
        if col.type != "text" or col.value_map:
            raws.append(f"{raw} AS raw_{col.name}")
        if col.lookup and col.lookup != "account_name":  # a name with no account: "no matching account"
            unparsed.append(
                f"CASE WHEN raw_{col.name} IS NOT NULL AND {col.name} IS NULL THEN raw_{col.name} END"
                f" AS {col.name}__unresolved"
            )
            raws.append(f"{raw} AS raw_{col.name}")
        if col.type != "text" and not col.value_map:
            unparsed.append(
                f"CASE WHEN raw_{col.name} IS NOT NULL AND {col.name} IS NULL THEN raw_{col.name} END"
                f" AS {col.name}__unparsed"
            )
    for name, value in layout.constants.items():
        params.append(value)
        typed.append(f"? AS {name}")
    mapped = {col.name for col in layout.columns} | set(layout.constants)
    if layout.table == "fct_survey_response":
        # Always there, so an answer can find its account by e-mail or project when the file has none.
        typed.extend(f"CAST(NULL AS VARCHAR) AS {name}" for name in ("account_id", "contact", "project_id")
                     if name not in mapped)
    inner = ",\n    ".join(typed + raws)
    outer = ",\n  ".join(["typed.*"] + unparsed)
    return f"SELECT {outer}\nFROM (\n  SELECT {inner}\n  FROM land\n) AS typed", params


def _raw(col: ColumnSpec, header: list[str]) -> str:
    """The column's text: the first non-empty of its source columns (NULL when none is in the file)."""
    cells = [f"NULLIF(TRIM(c{header.index(source)}), '')" for source in col.sources if source in header]
    if not cells:
        return "CAST(NULL AS VARCHAR)"
    if len(cells) == 1:
        return cells[0]
    return f"NULLIF(CONCAT_WS(' ', {', '.join(cells)}), '')" if col.join else f"COALESCE({', '.join(cells)})"


def _cast(col: ColumnSpec, raw: str, params: list) -> str:
    if col.value_map:
        whens = []
        for vendor_value, canonical in col.value_map.items():
            params.extend([vendor_value, canonical])
            whens.append("WHEN ? THEN ?")
        mapped = f"CASE lower({raw}) {' '.join(whens)} END"  # the keys are lower-cased
        if col.default is not None:
            params.append(col.default)
            mapped = f"CASE WHEN {raw} IS NULL THEN NULL ELSE COALESCE({mapped}, ?) END"
        return f"CAST({mapped} AS BOOLEAN)" if col.type == "boolean" else mapped
    if col.lookup == "account_name":
        # The file names the account; its id is the one dim_account holds under that name.
        return f"(SELECT min(a.account_id) FROM dim_account AS a WHERE lower(a.account_name) = lower({raw}))"
    if col.lookup == "deal_reference":
        return (f"COALESCE((SELECT min(o.opportunity_id) FROM fct_opportunity AS o WHERE o.deal_reference = {raw}),"
                f" (SELECT min(o.opportunity_id) FROM fct_opportunity AS o WHERE o.opportunity_id = {raw}))")
    if col.lookup == "project_reference":
        return (f"COALESCE((SELECT min(p.project_id) FROM fct_project AS p WHERE p.project_id = {raw}),"
                f" (SELECT min(p.project_id) FROM fct_project AS p JOIN fct_opportunity AS o"
                f" ON o.opportunity_id = p.opportunity_id WHERE o.deal_reference = {raw} OR o.opportunity_id = {raw}))")
    if col.type == "text":
        return raw
    if col.type in {"date", "timestamp"}:
        parsed = _parse_time(col, raw, params)
        return f"CAST({parsed} AS DATE)" if col.type == "date" else parsed
    if col.type in {"money", "number", "integer"}:
        thousands, decimal, shape = NUMBER_FORMATS[col.number_format]
        # Keep digits, signs, parentheses and marks; drop currency codes/symbols. "(1,234.50)" is
        # an accountant's minus. Then check the shape, drop grouping, make the decimal mark a dot.
        kept = f"REGEXP_REPLACE({raw}, '[^0-9,.()\\-]', '', 'g')"
        signed = f"CASE WHEN {kept} LIKE '(%)' THEN '-' || REPLACE(REPLACE({kept}, '(', ''), ')', '') ELSE {kept} END"
        params.extend([shape, re.escape(thousands), decimal])
        digits = f"REPLACE(REGEXP_REPLACE({signed}, ?, '', 'g'), ?, '.')"
        target = {"integer": "BIGINT", "money": "DECIMAL(18,2)", "number": "DOUBLE"}[col.type]
        return f"CASE WHEN regexp_matches({signed}, ?) THEN TRY_CAST({digits} AS {target}) END"
    if col.type == "boolean":
        return f"TRY_CAST({raw} AS BOOLEAN)"
    raise AssertionError(col.type)


def _parse_time(col: ColumnSpec, raw: str, params: list) -> str:
    """The first of the mapping's formats that reads the text, then ISO (spreadsheet date cells)."""
    default = "%Y-%m-%d" if col.type == "date" else "%Y-%m-%d %H:%M:%S"
    patterns: list[str] = []
    for fmt in col.formats or (default,):
        patterns.extend(ISO8601_FORMATS if fmt == "iso8601" else [fmt])
    patterns.extend(SPREADSHEET_DATE_FORMATS)
    attempts = []
    for pattern in dict.fromkeys(patterns):
        if pattern == EPOCH:  # Unix seconds, read as UTC
            attempts.append(f"epoch_ms(TRY_CAST(TRY_CAST({raw} AS DOUBLE) * 1000 AS BIGINT))")
        else:
            params.append(pattern)
            attempts.append(f"TRY_STRPTIME({raw}, ?)")
    return attempts[0] if len(attempts) == 1 else f"COALESCE({', '.join(attempts)})"
