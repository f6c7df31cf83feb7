"""The mapping assistant: read an unknown export, profile it, write a draft mapping file.

``python -m pipelines map FILE [--table TABLE] [--out FILE.yaml]``. Each canonical column gets
a source only when one column fits it both by its header and by its values (dates and their
formats, money and its number format, e-mails, 0-10 or 1-5 scores, ids, vocabularies); anything
less is left blank with the reason as a comment, so accepting the draft as it is never loads a
wrong column. Vocabulary columns get a value map listing every vendor value seen, with its
guessed canonical value or blank. Exit 0: every required canonical column has a confident
source; 3: a person must decide (the YAML says where).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import adapters, ingest, validation, warehouse
from pipelines.errors import IngestError

# Rows profiled: enough to see every format and vocabulary value of a real export, cheap at any size.
PROFILE_ROWS = 50_000
# A column is of a kind when this share of its non-empty values is (a few bad rows are quarantined
# later as unreadable; a wrong kind fits far fewer).
KIND_SHARE = 0.8
# A vocabulary: at most this many distinct values, each repeated on average.
MAX_VOCABULARY = 30
EMAIL = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
# Date formats tried on every column; a mapping names the one that reads the values.
DATE_FORMATS = [
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%y", "%m/%d/%y %H:%M",
    "%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%y", "%d/%m/%y %H:%M", "%d.%m.%Y", "%d.%m.%Y %H:%M",
    "%d.%m.%y", "%d-%m-%Y", "%d/%b/%y %I:%M %p", "%d %b %Y", "%b %d, %Y",
]
# The start every DATE_FORMATS value has (2025-01-20, 1/5/2025, 20.01.2025, 20/Jan/25, 20 Jan 2025,
# Jan 20, 2025): trying 25 formats on 50,000 values of every column took seconds a column, so only
# a column whose values mostly have this shape is tried.
DATE_SHAPE = (r"^([0-9]{1,4}[-/.][0-9A-Za-z]{1,3}[-/.][0-9]{2,4}|[0-9]{1,2} [A-Za-z]{3,} [0-9]{4}"
              r"|[A-Za-z]{3,} [0-9]{1,2}, [0-9]{4})")
# Formats that read the same text day-first and month-first: told apart only by a day above 12.
DAY_MONTH_TWINS = {"%m/%d/%Y": "%d/%m/%Y", "%m/%d/%Y %H:%M": "%d/%m/%Y %H:%M", "%m/%d/%y": "%d/%m/%y",
                   "%m/%d/%y %H:%M": "%d/%m/%y %H:%M"}
# A four-digit-year pattern (%Y) counts a value only when it reads a year from here on: DuckDB's
# %Y reads "03/15/24" as the year 24, so a two-digit-year export must be told by %y, never by %Y.
EARLIEST_YEAR = 1000

# Canonical column -> header patterns in order of preference (first pattern that fits one column
# wins; two columns fitting the same pattern: unsure), and the kind its values must have.
ACCOUNT = [r"(account|company|organi[sz]ation|customer|client)[ _-]?(id|number|no\b|key)",
           r"^(account|company|organi[sz]ation|customer|client)( name)?$", r"organi[sz]ation|company|customer|client|account$"]
ROLES: dict[str, dict[str, tuple[list[str], str]]] = {
    "dim_account": {
        "account_id": ([r"(account|company|organi[sz]ation|customer|client)[ _-]?(id|number|key)", r"^record id$", r"^id$"], "id"),
        "account_name": ([r"(account|company|organi[sz]ation|customer|client)[ _-]?name", r"^name$", r"^(company|account|organi[sz]ation)$"], "text"),
        "owner": ([r"owner|account manager"], "text"), "segment": ([r"segment|tier"], "text"),
        "region": ([r"region|territory"], "text"), "website": ([r"website|domain|url"], "text"),
    },
    "dim_contact": {
        "contact_id": ([r"contact[ _-]?id", r"^record id$", r"^id$"], "id"), "account_id": (ACCOUNT, "text"),
        "email": ([r"e-?mail"], "email"), "name": ([r"^(full )?name$", r"contact name"], "text"),
    },
    "fct_opportunity": {
        "opportunity_id": ([r"(opportunity|deal|opp)[ _-]?(id|key)", r"^record id$", r"^id$"], "id"),
        "account_id": (ACCOUNT, "text"),
        "owner": ([r"^(opportunity |deal )?owner( name)?$", r"sales ?rep|salesperson", r"owner"], "text"),
        "sales_team": ([r"team|role"], "text"), "stage": ([r"stage|phase", r"status"], "text"),
        "created_date": ([r"creat|add(ed)? (time|on)|opened"], "date"), "close_date": ([r"close|won time|closing"], "date"),
        "amount": ([r"amount|value|deal size|price"], "money"), "lead_source": ([r"lead ?source", r"source|origin"], "vocabulary"),
        "referred_by": ([r"referr"], "text"), "deal_reference": ([r"deal[ _-]?(number|no\b|ref)|opportunity number"], "id"),
    },
    "fct_project": {
        "project_id": ([r"project[ _-]?(id|key|number|no\b)", r"^id$"], "id"),
        "opportunity_id": ([r"(opportunity|deal)[ _-]?(id|number|no\b|ref)", r"project code"], "id"),
        "account_id": (ACCOUNT, "text"), "delivery_team": ([r"team|group|practice|department"], "text"),
        "delivery_manager": ([r"project (manager|lead)|delivery manager|manager|lead"], "text"),
        "start_date": ([r"start"], "date"), "planned_end_date": ([r"due|planned end|deadline", r"end date"], "date"),
        "actual_end_date": ([r"complet|actual end|finished"], "date"), "budget_cost": ([r"budget"], "money"),
        "actual_cost": ([r"actual cost", r"cost|spent"], "money"), "revenue": ([r"revenue|fees|billable|invoiced"], "money"),
    },
    "fct_escalation": {
        "escalation_id": ([r"ticket[ _-]?(id|number)|issue key|incident", r"^(id|key|number)$"], "id"),
        "account_id": (ACCOUNT, "text"), "project_id": ([r"project"], "text"),
        "opened_at": ([r"created|opened"], "date"), "resolved_at": ([r"resolved|solved"], "date"),
        "severity": ([r"priority|severity|urgency"], "vocabulary"), "sales_involved": ([r"sales"], "boolean"),
        "category": ([r"category", r"type"], "text"),
    },
    "fct_activity": {
        "activity_id": ([r"activity[ _-]?id|event[ _-]?id", r"^id$"], "id"), "account_id": (ACCOUNT, "text"),
        "activity_date": ([r"^date$|start date|activity date", r"date"], "date"),
        "activity_type": ([r"activity type|^type$|category"], "vocabulary"),
        "sales_participant": ([r"sales|organi[sz]er|assigned"], "text"), "delivery_participant": ([r"delivery"], "text"),
    },
    "fct_survey_response": {
        "response_id": ([r"response[ _-]?id|respondent[ _-]?id|submission[ _-]?id|^#$", r"^id$"], "id"),
        "account_id": (ACCOUNT, "text"), "contact": ([r"e-?mail"], "email"),
        "responded_at": ([r"submit|recorded|completed", r"end date|date|time"], "date"),
        "score": ([r"recommend|nps|likely", r"satisf|csat", r"score|rating"], "score"),
        "comment": ([r"comment|reason|why|feedback|improve"], "text"), "project_id": ([r"project"], "text"),
    },
}
# Header words that tell the table (--table overrides).
TABLE_HINTS = {
    "fct_survey_response": r"recommend|nps|satisf|respon(se|dent)|survey",
    "fct_opportunity": r"opportunit|deal|stage|amount|pipeline",
    "fct_project": r"project|budget|actual cost|fees",
    "fct_escalation": r"ticket|issue|priority|severity|incident|escalat",
    "fct_activity": r"activity|meeting|event|subject",
    "dim_contact": r"contact|first name|last name",
    "dim_account": r"account|company|industry|website",
}
# Vendor value -> canonical value, by keyword; a value no rule reads (or two read) stays blank.
VOCABULARY_GUESSES = {
    "lead_source": {"delivery": r"deliver|employee referral|consult|professional services|\bps\b",
                    "marketing": r"web|marketing|seo|advert|webinar|event|trade ?show|campaign|organic|paid|social|inbound",
                    "sales": r"outbound|cold|prospect|self[ -]?sourced", "partner": r"partner|reseller|channel",
                    "customer_referral": r"customer referral|client referral|word of mouth", "other": r"^other$"},
    "activity_type": {"status_report": r"status", "sales_meeting": r"meeting|call", "joint_engagement": r"joint|workshop",
                      "qbr": r"qbr|quarterly|business review"},
    "severity": {"critical": r"critical|urgent|highest|blocker|\bp1\b|sev ?1", "high": r"^high$|major|\bp2\b|sev ?2",
                 "medium": r"medium|normal|\bp3\b|sev ?3", "low": r"^low$|lowest|minor|trivial|\bp4\b|sev ?4"},
}
# What a table's rows are called: a column of distinct ids named "<word> id" with one of these
# words is that table's key when no header pattern found it (Olist's "review_id").
KEY_WORDS = {
    "dim_account": r"account|company|organi[sz]ation|customer|client", "dim_contact": r"contact|person|people",
    "fct_opportunity": r"deal|opportunit|opp", "fct_project": r"project|engagement|job",
    "fct_escalation": r"ticket|issue|incident|case|escalat", "fct_activity": r"activit|event|meeting",
    "fct_survey_response": r"respon|review|answer|submission|feedback|survey",
}
ID_NAME = r"^(?P<word>.*?)[ _-]?id$"
BOOLEAN_VALUES = {"yes": True, "no": False, "true": True, "false": False, "y": True, "n": False, "1": True, "0": False,
                  "ja": True, "nein": False, "oui": True, "non": False, "x": True}


@dataclass
class ColumnProfile:
    name: str
    filled: int = 0
    distinct: int = 0
    emails: int = 0
    integers: int = 0
    low: int | None = None
    high: int | None = None
    numbers: int = 0
    spaced: int = 0
    date_formats: list[str] = field(default_factory=list)  # formats that read KIND_SHARE of the values
    number_format: str | None = None
    values: list[tuple[str, int]] = field(default_factory=list)  # the most common values

    def share(self, count: int) -> float:
        return count / self.filled if self.filled else 0.0

    def kinds(self) -> set[str]:
        kinds = {"text"}
        if not self.filled:
            return kinds
        if self.share(self.emails) >= KIND_SHARE:
            kinds.add("email")
        if self.date_formats:
            kinds.add("date")
        if self.share(self.numbers) >= KIND_SHARE and not self.date_formats:
            kinds.add("money")
        if self.share(self.integers) >= KIND_SHARE and self.low is not None and self.low >= 0 and self.high <= 10:
            kinds.add("score")
        if self.distinct == self.filled and not self.spaced:
            kinds.add("id")
        if self.distinct <= MAX_VOCABULARY and self.filled > self.distinct:
            kinds.add("vocabulary")
        if {v.lower() for v, _ in self.values} and {v.lower() for v, _ in self.values} <= set(BOOLEAN_VALUES):
            kinds.add("boolean")
        return kinds

    def looks_like_names(self) -> bool:
        return self.share(self.spaced) > 0.2 or not any(ch.isdigit() for v, _ in self.values for ch in v)


@dataclass(frozen=True)
class KnownAccounts:
    """The warehouse's accounts, to recognise a column of account ids or names by its values."""

    ids: frozenset[str]
    names: frozenset[str]  # lower-case

    @staticmethod
    def of(db: Path | None) -> KnownAccounts | None:
        """``db``'s accounts (default: the usual warehouse); None when there is none or no account."""
        path = warehouse.db_path(db)
        if not Path(path).exists():
            return None
        with warehouse.connect_readonly(path) as con:
            try:
                rows = con.execute("SELECT account_id, lower(account_name) FROM dim_account").fetchall()
            except duckdb.CatalogException:
                return None
        if not rows:
            return None
        return KnownAccounts(frozenset(r[0] for r in rows if r[0]), frozenset(r[1] for r in rows if r[1]))

    def matched(self, p: ColumnProfile) -> tuple[str, float] | None:
        """("id" or "name", share) when most of the column's most common values are account ids or names."""
        if not p.values:
            return None
        ids = sum(1 for v, _ in p.values if v in self.ids) / len(p.values)
        names = sum(1 for v, _ in p.values if v.lower() in self.names) / len(p.values)
        kind, share = max((("id", ids), ("name", names)), key=lambda pair: pair[1])
        return (kind, share) if share >= KIND_SHARE else None


@dataclass
class Entry:
    """One canonical column of the draft: its YAML rule (None: blank) and why."""

    rule: dict | None
    reason: str
    needs: str | None = None  # what a person must tell for it: "day_first" or "number_format" (``told``)
    candidate: str | None = None  # with ``needs``: the column that fits, to load once that is told


@dataclass
class HeaderPlace:
    """Where a file's column names are: the lines above them (report titles, a row of group
    headings) and how many header rows there are; ``notes`` say so in words."""

    skip_rows: int = 0
    header_rows: int = 1
    notes: list[str] = field(default_factory=list)


@dataclass
class Profile:
    """What the assistant read of a file: where its header is, the column names, each column's profile."""

    file_name: str
    place: HeaderPlace
    header: list[str]
    columns: dict[str, ColumnProfile]


@dataclass
class Draft:
    file_name: str
    table: str | None
    table_reason: str
    header: list[str]
    entries: dict[str, Entry]
    constants: dict
    unsure: list[str]
    place: HeaderPlace = field(default_factory=HeaderPlace)

    @property
    def needs(self) -> set[str]:
        """What a person must tell before some columns can load: "day_first", "number_format"."""
        return {entry.needs for entry in self.entries.values() if entry.needs}

    @property
    def confident(self) -> bool:
        return not self.unsure

    def yaml(self, title: str | None = None) -> str:
        q = json.dumps  # a JSON string is a YAML string, quoted as needed
        lines = [f"# Draft mapping for {self.file_name}, written by the mapping assistant on {date.today().isoformat()}.",
                 "# Every source below fits its column by header and by values; where nothing fitted for sure",
                 "# the column is left blank (it loads nothing) with the reason. Decide, fill in, then load with",
                 f"#   python -m pipelines ingest --mapping THIS_FILE {self.file_name}",
                 f"title: {q(title or 'Draft mapping for ' + self.file_name)}",
                 f"table: {self.table or ''}  # {self.table_reason}"]
        required = [e.rule["from"] for name, e in self.entries.items()
                    if e.rule and self.table and (name == warehouse.NATURAL_KEYS[self.table]
                                                  or name in validation.REQUIRED.get(self.table, []))]
        lines += [f"# {note}" for note in self.place.notes]
        lines += ["detect:", f"  skip_rows: {self.place.skip_rows}", f"  header_rows: {self.place.header_rows}",
                  f"  required: [{', '.join(q(r) for r in dict.fromkeys(required))}]", "columns:"]
        for name, entry in self.entries.items():
            if entry.rule is None:
                lines.append(f"  {name}:  # {entry.reason}")
                continue
            rule = dict(entry.rule)
            value_map = rule.pop("map", None)
            simple = ", ".join(f"{k}: {q(v) if isinstance(v, str) else json.dumps(v)}" for k, v in rule.items())
            lines.append(f"  {name}: {{{simple}}}  # {entry.reason}" if value_map is None else f"  {name}:  # {entry.reason}")
            if value_map is not None:
                lines += [f"    {k}: {q(v) if isinstance(v, str) else json.dumps(v)}" for k, v in rule.items()]
                lines.append("    map:  # every value seen; blank = not recognised, loaded as empty and counted")
                lines += [f"      {q(vendor)}: {'' if canonical is None else json.dumps(canonical)}"
                          for vendor, canonical in value_map.items()]
        if self.constants:
            lines.append("constants: {" + ", ".join(f"{k}: {v}" for k, v in self.constants.items()) + "}")
        return "\n".join(lines) + "\n"


def profile(path: Path, sheet: str | None = None) -> Profile:
    """Where the file's header is, its column names and a profile of each column, from its first
    PROFILE_ROWS rows."""
    with tempfile.TemporaryDirectory(prefix="winwin-map-") as tmp:
        source = adapters.prepare(Path(path), Path(tmp), sheet)
        place = find_header(source.head)
        probe = adapters.Layout(name="draft", title="draft", table="dim_account", required=(), columns=(),
                                header_rows=place.header_rows, skip_rows=place.skip_rows)
        header = adapters.header_of(source, probe)
        con = duckdb.connect()
        adapters.land(con, source, probe)
        con.execute(f"CREATE TEMP TABLE sample AS SELECT * FROM land ORDER BY source_row LIMIT {PROFILE_ROWS}")
        profiles = {}
        for i, name in enumerate(header):
            if not name or name in profiles:
                continue
            profiles[name] = _profile_column(con, i, name)
        con.close()
    return Profile(Path(path).name, place, header, profiles)


# The column names' line is filled at least this share as wide as the widest of the first lines
# (a title or a row of group headings is far narrower; a data row may have a few blanks).
FULL_ROW_SHARE = 0.6
# A cell that is a value, not a column name: a number, an amount, a date or an e-mail address.
DATA_CELL = re.compile(r"^[-+(]?[$€£]?\s?[0-9][0-9.,\s]*\)?$|^[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}|^[^@\s]+@[^@\s]+$")


def find_header(head: list[list[str]]) -> HeaderPlace:
    """Where the column names are: the first line filled almost as wide as the file (report titles
    and a sparse row of group headings such as "Dates" over two date columns stand above it), or
    the line under a full row of repeated group headings ("Deal, Deal, Dates, Dates"). A sparser
    line of text just under it, before the values (SurveyMonkey's "Response" under each question),
    is a second header row. Whatever is skipped is said in ``notes``, never silently."""
    filled = [sum(1 for cell in row if cell.strip()) for row in head]
    widest = max(filled, default=0)
    if widest <= 2:
        return HeaderPlace()

    def names(i: int) -> list[str]:
        return [cell.strip() for cell in head[i] if cell.strip()]

    def has_values(i: int) -> bool:
        return any(DATA_CELL.match(cell) for cell in names(i))

    def full(i: int) -> bool:
        return filled[i] >= FULL_ROW_SHARE * widest

    header = next(i for i in range(len(head)) if full(i))
    while (header + 2 < len(head) and len(set(names(header))) < len(names(header)) and full(header + 1)
           and not has_values(header) and not has_values(header + 1) and has_values(header + 2)):
        header += 1  # the full row above held group headings, repeated over their columns
    header_rows = 1
    if (header + 2 < len(head) and 0 < filled[header + 1] < filled[header] and not has_values(header + 1)
            and has_values(header + 2)):
        header_rows = 2
    if header == 0 and header_rows == 1:
        return HeaderPlace()
    notes = [f"the column names are on line {header + 1}" + (
        f", with a second header row under them ({_cells(head[header + 1])}) read as header, not as data"
        if header_rows == 2 else "")]
    for i in range(header):
        if filled[i]:
            title = not any(cell.strip() for cell in head[i][2:]) and filled[i] <= 2
            notes.append(f"line {i + 1} is {'a title line' if title else 'a header row above the column names'}, "
                         f"skipped: {_cells(head[i])}")
    return HeaderPlace(header, header_rows, notes)


def _cells(row: list[str]) -> str:
    text = ", ".join(repr(c.strip()) for c in row if c.strip())
    return text[:120] + ("…" if len(text) > 120 else "")


def _profile_column(con: duckdb.DuckDBPyConnection, index: int, name: str) -> ColumnProfile:
    cell = f"NULLIF(TRIM(c{int(index)}), '')"
    row = con.execute(
        f"""SELECT count(v), count(DISTINCT v), count(*) FILTER (WHERE regexp_matches(v, ?)),
                   count(*) FILTER (WHERE regexp_matches(v, '^-?[0-9]+$')),
                   min(TRY_CAST(v AS BIGINT)) FILTER (WHERE regexp_matches(v, '^-?[0-9]+$')),
                   max(TRY_CAST(v AS BIGINT)) FILTER (WHERE regexp_matches(v, '^-?[0-9]+$')),
                   count(*) FILTER (WHERE regexp_matches(v, ?) AND regexp_matches(v, '[0-9]')),
                   count(*) FILTER (WHERE contains(v, ' ')), count(*) FILTER (WHERE regexp_matches(v, ?))
        FROM (SELECT {cell} AS v FROM sample)""",
        [EMAIL, adapters.NUMBER_TEXT, DATE_SHAPE],
    ).fetchone()
    p = ColumnProfile(name, *row[:8])
    if p.filled and row[8] >= KIND_SHARE * p.filled:  # only a column shaped like dates pays for every format
        dates = ", ".join(f"count(*) FILTER (WHERE year(TRY_STRPTIME(v, ?)) >= {EARLIEST_YEAR})" if "%Y" in fmt
                          else "count(TRY_STRPTIME(v, ?))" for fmt in DATE_FORMATS)
        counts = con.execute(f"SELECT {dates} FROM (SELECT {cell} AS v FROM sample)", DATE_FORMATS).fetchone()
        p.date_formats = [fmt for fmt, n in zip(DATE_FORMATS, counts) if n >= KIND_SHARE * p.filled]
    p.values = con.execute(
        f"SELECT v, count(*) FROM (SELECT {cell} AS v FROM sample) WHERE v IS NOT NULL GROUP BY v ORDER BY 2 DESC, 1 LIMIT ?",
        [MAX_VOCABULARY + 1],
    ).fetchall()
    if "money" in p.kinds():
        us, eu = (sum(n for v, n in p.values if re.fullmatch(pattern, re.sub(r"[^0-9,.]", "", v)))
                  for pattern in adapters.NUMBER_EVIDENCE.values())
        p.number_format = "1,234.50" if us > eu else "1.234,50" if eu > us else None
    return p


def guess_table(header: list[str]) -> tuple[str | None, str]:
    text = " | ".join(header).lower()
    scores = {table: len(re.findall(pattern, text)) for table, pattern in TABLE_HINTS.items()}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, n), (second, m) = ranked[0], ranked[1]
    if n == 0:
        return None, "unsure: the header names no table's columns; give --table"
    if n == m:
        return None, f"unsure: the header reads as {best} and as {second} alike; give --table"
    return best, f"guessed from the header ({n} words of {best}, {m} of {second}); --table overrides"


def draft(path: Path, table: str | None = None, sheet: str | None = None, db: Path | None = None) -> Draft:
    """Profile ``path`` and write the draft mapping for ``table`` (guessed when not given); the
    accounts of warehouse ``db`` (default: the usual one, if there is one) tell an account column."""
    return draft_from(profile(path, sheet), table, accounts=KnownAccounts.of(db))


def draft_from(read: Profile, table: str | None = None, chosen: dict[str, str | None] | None = None,
               survey_type: str | None = None, told: dict | None = None,
               accounts: KnownAccounts | None = None) -> Draft:
    """The draft for a profiled file. ``chosen`` (the Data page's select boxes) names a canonical
    column's source column (None: blank) where a person decided; the rest are the assistant's.
    ``told`` is what a person said the values cannot: {"day_first": bool, "number_format": "1.234,50",
    "values": {column: {vendor value: canonical value}}}. ``accounts``: the warehouse's, whose ids
    or names a column holding them is recognised by."""
    told = told or {}
    header, profiles, chosen = read.header, read.columns, chosen or {}
    reason = "given with --table"
    if table is None:
        table, reason = guess_table(header)
    elif table not in warehouse.CANONICAL_COLUMNS:
        raise IngestError(f"unknown --table {table!r}; expected one of {sorted(warehouse.CANONICAL_COLUMNS)}")
    entries: dict[str, Entry] = {}
    constants: dict = {}
    unsure: list[str] = []
    if table is None:
        return Draft(read.file_name, None, reason, header, {}, {}, ["table"], read.place)
    if survey_type:
        constants["survey_type"] = survey_type  # a person's choice: the score's header does not overrule it
    used: set[str] = set()
    for column, (patterns, kind) in ROLES[table].items():
        entry = _choose(column, patterns, kind, profiles, used, table, constants, told)
        if entry.rule is None and column == warehouse.NATURAL_KEYS[table]:
            entry = _key_by_id_name(table, profiles, used) or entry
        if entry.rule is None and column == "account_id" and accounts:
            entry = _account_by_values(accounts, profiles, used) or entry
        picked = entry.rule["from"] if entry.rule else None
        if picked:
            used.add(picked)
        if column in chosen and chosen[column] != picked:  # what the select box shows is what loads
            entry = rule_for(table, column, chosen[column], profiles, constants, told)
        entries[column] = entry
    for column, named in (told.get("values") or {}).items():  # vendor values a person named on the Data page
        rule = entries[column].rule if column in entries else None
        if rule and rule.get("map") is not None and named:
            value_map = {**rule["map"], **{v: c for v, c in named.items() if v in rule["map"]}}
            entries[column] = Entry({**rule, "map": value_map}, f"{entries[column].reason}; values named on the Data page")
    if table == "fct_opportunity" and entries["stage"].rule:
        stage = profiles[entries["stage"].rule["from"]]
        won = {v: True for v, _ in stage.values if re.search(r"\bwon\b|gewonnen|gagn", v, re.I)}
        closed = won | {v: True for v, _ in stage.values if re.search(r"\blost\b|verloren|perdu", v, re.I)}
        for name, values in (("is_won", won), ("is_closed", closed)):
            entries[name] = (Entry({"from": stage.name, "type": "boolean", "map": values, "default": False},
                                   f"from the stage: {', '.join(values)}") if values and len(stage.values) <= MAX_VOCABULARY
                             else Entry(None, "unsure: no stage value reads as won or lost; map the stage yourself"))
    key = warehouse.NATURAL_KEYS[table]
    needed = [key] + [c for c in validation.REQUIRED.get(table, []) if c in ROLES[table]]
    for column in needed:
        if entries.get(column) is None or entries[column].rule is None:
            if table == "fct_survey_response" and column == "account_id" and entries["contact"].rule:
                continue  # found by the contact's e-mail
            unsure.append(column)
    if table == "fct_survey_response" and "survey_type" not in constants:
        unsure.append("survey_type")
    unsure += [name for name, e in entries.items() if e.rule is None and name not in unsure and e.reason.startswith("unsure")
               and name in needed]
    return Draft(read.file_name, table, reason, header, entries, constants, list(dict.fromkeys(unsure)), read.place)


def rule_for(table: str, column: str, source: str | None, profiles: dict[str, ColumnProfile], constants: dict,
             told: dict | None = None) -> Entry:
    """A canonical column read from the source column a person chose: typed by what the column
    must hold (a date column gets the format its values tell, an amount its number format). A
    choice whose values do not fit stays a choice: the preview then shows its rows as unreadable."""
    if not source:
        return Entry(None, "left blank on the Data page")
    _, kind = ROLES[table][column]
    p = profiles[source]
    if _fits(p, kind, column):
        entry = _rule(column, p, kind, table, constants, told)
        return Entry(entry.rule, f"chosen on the Data page; {entry.reason}") if entry.rule else entry
    typed = {"date": "timestamp" if table in {"fct_escalation", "fct_survey_response"} else "date",
             "money": "money", "score": "integer", "boolean": "boolean"}.get(kind)
    return Entry({"from": source, **({"type": typed} if typed else {})}, f"chosen on the Data page (values not {kind})")


def _choose(column: str, patterns: list[str], kind: str, profiles: dict[str, ColumnProfile], used: set[str],
            table: str, constants: dict, told: dict | None = None) -> Entry:
    """One canonical column's source: the single column fitting the first pattern that any fits."""
    named_only = []
    for pattern in patterns:
        named = [p for name, p in profiles.items() if name not in used and re.search(pattern, name, re.I)]
        fitting = [p for p in named if _fits(p, kind, column)]
        named_only += [p.name for p in named if p not in fitting]
        if len(fitting) > 1:
            return Entry(None, f"unsure: {' and '.join(repr(p.name) for p in fitting)} both fit; name one")
        if fitting:
            return _rule(column, fitting[0], kind, table, constants, told)
    if named_only:
        return Entry(None, f"unsure: {', '.join(map(repr, dict.fromkeys(named_only)))} named like it, but the values "
                           f"are not {kind}")
    return Entry(None, "no column found")


def _key_by_id_name(table: str, profiles: dict[str, ColumnProfile], used: set[str]) -> Entry | None:
    """The key no header pattern found: the one column of distinct ids named "<word> id" whose word
    says what the table's rows are ("review_id" for survey answers). An id named for something
    else ("order_id", "customer_id") is another table's key as often as this one's: not proposed."""
    ids = [p for name, p in profiles.items()
           if name not in used and "id" in p.kinds() and p.filled > 1 and (named := re.match(ID_NAME, name, re.I))
           and re.search(KEY_WORDS[table], named.group("word"), re.I)]
    if len(ids) > 1:
        return Entry(None, f"unsure: {' and '.join(repr(p.name) for p in ids)} all hold distinct ids; name the key")
    if not ids:
        return None
    return Entry({"from": ids[0].name}, f"no column is named like the key; this one is named for what the rows are "
                                        f"and its {ids[0].filled:,} values are all distinct ids")


def _account_by_values(accounts: KnownAccounts, profiles: dict[str, ColumnProfile], used: set[str]) -> Entry | None:
    """The account column no header pattern found, by its values: most of them the warehouse's
    account ids (SurveyMonkey's "Custom Data 1") or account names."""
    found = [(p, hit) for name, p in profiles.items() if name not in used and (hit := accounts.matched(p))]
    if len(found) > 1:
        return Entry(None, f"unsure: {' and '.join(repr(p.name) for p, _ in found)} all hold the warehouse's accounts")
    if not found:
        return None
    [(p, (kind, share))] = found
    reason = f"{share:.0%} of its most common values are the warehouse's account {kind}s"
    return Entry({"from": p.name, "lookup": "account_name"} if kind == "name" else {"from": p.name}, reason)


def _fits(p: ColumnProfile, kind: str, column: str) -> bool:
    if not p.filled:
        return False
    if kind == "vocabulary":
        return len(p.values) <= MAX_VOCABULARY
    if kind == "date":
        return "date" in p.kinds()  # a format day and month cannot be told in is left blank by _rule
    return kind in p.kinds() or kind == "text" and not p.date_formats


def _date_format(p: ColumnProfile) -> str | None:
    """The one format that reads the values, or None when day-first and month-first both do."""
    formats = [f for f in p.date_formats if f not in DAY_MONTH_TWINS.values()]
    twins = [f for f in formats if f in DAY_MONTH_TWINS and DAY_MONTH_TWINS[f] in p.date_formats]
    if twins:
        return None  # every day is 12 or less: "03/04/2025" is March 4 or 3 April
    return (formats or p.date_formats)[0]


def _rule(column: str, p: ColumnProfile, kind: str, table: str, constants: dict, told: dict | None = None) -> Entry:
    n = f"{p.filled:,} values"
    told = told or {}
    if kind == "date":
        fmt = _date_format(p)
        if fmt is None and told.get("day_first") is not None:  # a person said which
            month_first = next(f for f in p.date_formats if f in DAY_MONTH_TWINS)
            fmt = DAY_MONTH_TWINS[month_first] if told["day_first"] else month_first
        if fmt is None:
            return Entry(None, f"unsure: {p.name!r} holds dates, but day and month cannot be told apart "
                               f"(no day above 12); add format \"%d/%m/%Y\" or \"%m/%d/%Y\"", "day_first", p.name)
        kind_name = "timestamp" if table in {"fct_escalation", "fct_survey_response"} else "date"
        return Entry({"from": p.name, "type": kind_name, "format": fmt}, f"dates read by {fmt} ({n})")
    if kind == "money":
        written = p.number_format
        if written is None and any(re.fullmatch(adapters.AMBIGUOUS_NUMBER, re.sub(r"[^0-9,.]", "", v))
                                   for v, _ in p.values):
            written = told.get("number_format")  # a person said which, else unsure
            if written is None:
                return Entry(None, f"unsure: {p.name!r} holds amounts such as {p.values[0][0]!r} that read as a "
                                   "thousand or a decimal; add number_format", "number_format", p.name)
        rule = {"from": p.name, "type": "money"}
        if written:
            rule["number_format"] = written
        return Entry(rule, f"amounts ({n}{', written ' + written if written else ''})")
    if kind == "score":
        if constants.get("survey_type") in validation.SCORE_RANGES:
            return Entry({"from": p.name, "type": "integer"}, f"whole numbers {p.low}-{p.high}: {constants['survey_type']}")
        recommend = re.search(r"recommend|nps|likely|empfehl", p.name, re.I)
        satisfied = re.search(r"satisf|csat|zufrieden", p.name, re.I)
        if recommend or (not satisfied and p.high is not None and p.high > 5):
            constants["survey_type"] = "nps"
        elif satisfied and p.low is not None and p.low >= 1 and p.high <= 5:
            constants["survey_type"] = "csat"
        else:
            return Entry(None, f"unsure: {p.name!r} holds whole numbers {p.low}-{p.high}: NPS (0-10) or CSAT (1-5)?")
        return Entry({"from": p.name, "type": "integer"}, f"whole numbers {p.low}-{p.high}: {constants['survey_type']}")
    if kind == "boolean":
        values = {v: BOOLEAN_VALUES[v.lower()] for v, _ in p.values}
        return Entry({"from": p.name, "type": "boolean", "map": values}, "yes/no values")
    if kind == "vocabulary":
        guesses = VOCABULARY_GUESSES.get(column, {})
        value_map = {}
        for value, _ in p.values:
            hits = [canonical for canonical, pattern in guesses.items() if re.search(pattern, value, re.I)]
            value_map[value] = hits[0] if len(hits) == 1 else None
        blank = sum(v is None for v in value_map.values())
        return Entry({"from": p.name, "map": value_map},
                     f"{len(value_map)} values{f', {blank} not recognised (blank)' if blank else ''}")
    if column == "account_id" and p.looks_like_names():
        return Entry({"from": p.name, "lookup": "account_name"}, "company names: the id comes from the accounts")
    if column == "opportunity_id" and table == "fct_project":
        return Entry({"from": p.name, "lookup": "deal_reference"}, "the deal by its number or id")
    if column == "project_id" and table == "fct_survey_response":
        return Entry({"from": p.name, "lookup": "project_reference"}, "the project by its id or deal number")
    return Entry({"from": p.name}, f"{kind} ({n}, {p.distinct:,} distinct)")


# --- The Data page's mapping step: save a layout, preview its rows ------------------------------

# A saved layout's name is its file name: lower-case letters, digits and "_" only (no folder, no
# dot, so nothing outside the layouts folder is ever written), at most this long.
MAX_LAYOUT_NAME = 60
# The preview validates the file's first rows the way the load will (uniqueness within them only)
# and shows the first few with their verdicts.
PREVIEW_CHECKED_ROWS = 1_000
PREVIEW_SHOWN_ROWS = 15
LOADS = "loads"


def recognise(path: Path, sheet: str | None = None) -> adapters.Layout | None:
    """The layout that reads ``path`` (bundled or saved), or None when no layout knows it; a file
    that cannot be read at all raises IngestError saying why."""
    with tempfile.TemporaryDirectory(prefix="winwin-map-") as tmp:
        source = adapters.prepare(Path(path), Path(tmp), sheet)
        try:
            return adapters.detect_layout(source, adapters.load_layouts())
        except IngestError:
            return None


def saved_layouts_key() -> tuple:
    """Changes whenever a saved layout is added, changed or removed (a cache key for ``recognise``)."""
    folder = adapters.saved_layouts_dir()
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.y*ml"))) if folder.is_dir() else ()


def layout_name(text: str) -> str:
    """``text`` as a layout's file name ("Acme PSA / budgets" -> "acme_psa_budgets"); "" when nothing is left."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:MAX_LAYOUT_NAME].strip("_")


def name_taken(name: str) -> str | None:
    """"bundled" when a layout shipped with Win-Win has that name, "saved" when the firm saved one, else None."""
    if any((adapters.SOURCES_DIR / f"{name}{suffix}").exists() for suffix in (".yaml", ".yml")):
        return "bundled"
    if any((adapters.saved_layouts_dir() / f"{name}{suffix}").exists() for suffix in (".yaml", ".yml")):
        return "saved"
    return None


def save_layout(text: str, name: str, replace: bool = False) -> Path:
    """Write a mapping to the saved layouts folder as NAME.yaml, once it parses; raise IngestError
    when the name is empty or taken (``replace`` says a person chose to replace it: a saved layout of
    a bundled layout's name is used instead of the bundled one for every file)."""
    clean = layout_name(name)
    if not clean:
        raise IngestError("a layout needs a name with letters or digits")
    taken = name_taken(clean)
    if taken and not replace:
        raise IngestError(f"{clean!r} is the name of a {taken} layout; choose another name or replace it")
    folder = adapters.saved_layouts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{clean}.yaml"
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, prefix=f".{clean}-", suffix=".yaml",
                                     delete=False) as out:
        out.write(text)
    try:
        adapters.parse_layout(Path(out.name))  # a mapping that cannot load is never saved
        os.replace(out.name, path)
    finally:
        Path(out.name).unlink(missing_ok=True)
    return path


def parse_text(text: str, name: str) -> adapters.Layout:
    """A mapping held as text (not saved yet), read as a layout named ``name``."""
    with tempfile.TemporaryDirectory(prefix="winwin-map-") as tmp:
        path = Path(tmp) / f"{layout_name(name) or 'draft'}.yaml"
        path.write_text(text, encoding="utf-8")
        return adapters.parse_layout(path)


@dataclass
class Preview:
    """The file's first rows as the load would stage them, each with its verdict."""

    rows: pd.DataFrame  # "row", "verdict", then the layout's canonical columns
    checked: int  # rows validated (the first PREVIEW_CHECKED_ROWS)
    rows_in: int  # rows in the whole file
    reasons: dict[str, int]  # quarantine reason -> rows, among the checked ones
    duplicates: int


def preview(path: Path, layout: adapters.Layout, db: Path | None = None, sheet: str | None = None) -> Preview:
    """Land, stage and validate the file's first rows with ``layout`` exactly as a load does
    (``ingest.stage_and_validate``), against the current warehouse's accounts, deals and projects for
    lookups, and write nothing."""
    db = warehouse.db_path(db)
    with tempfile.TemporaryDirectory(prefix="winwin-map-") as tmp:
        source = adapters.prepare(Path(path), Path(tmp), sheet)
        layout = adapters.locate_header(source, layout) or layout
        if db.exists():
            con = warehouse.connect_readonly(db)
        else:
            con = duckdb.connect()
            warehouse.create_schema(con)
        try:
            staged = ingest.stage_and_validate(con, source, layout, keep_rows=PREVIEW_CHECKED_ROWS)
            checked, last_row = con.execute("SELECT count(*), coalesce(max(source_row), 0) FROM land").fetchone()
            names = [c.name for c in staged.layout.columns] + list(staged.layout.constants)
            shown = con.execute(
                f"""SELECT l.source_row AS row, {', '.join(f's.{n}' for n in dict.fromkeys(names))}
                FROM land AS l LEFT JOIN staged AS s ON s.source_row = l.source_row
                ORDER BY l.source_row LIMIT {PREVIEW_SHOWN_ROWS}"""
            ).df()
        finally:
            con.close()
    failed = staged.failed[staged.failed["source_row"] <= last_row]  # a damaged row further down is not checked yet
    reasons = dict(zip(failed["source_row"], failed["reason"]))
    verdicts = [reasons.get(row) or (f"duplicate of row {staged.duplicates[row]}, kept once" if row in staged.duplicates
                                     else LOADS) for row in shown["row"]]
    shown.insert(1, "verdict", verdicts)
    by_reason = failed.groupby("reason")["source_row"].count().sort_values(ascending=False)
    return Preview(shown, checked, staged.rows_in, {str(k): int(v) for k, v in by_reason.items()}, len(staged.duplicates))
