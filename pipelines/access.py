"""Who may see and do what: roles from ``data/access.yaml``, and row-level scoping in SQL.

A team lead's scope is enforced where the data is read, not by hiding widgets: their read
connection is an in-memory catalog named like the warehouse whose every table is a view of
the real one, keeping only the rows of the accounts they may see (tables with no account
are shown empty, bar the few that hold no customer rows). Every page, drill-down, export and
board pack then runs its usual SQL and cannot reach another account's rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from pipelines import marts

ACCESS_FILE = Path(__file__).resolve().parent.parent / "data" / "access.yaml"
# What each role may do. "read": the analysis pages; "export": downloads and the board pack;
# "load": the Data page's uploader; "data": the Data page (loaded files, quarantined rows as
# exported, which hold every account's records); "admin": all of it.
ROLES = {
    "viewer": {"read"},
    "team_lead": {"read", "export"},
    "analyst": {"read", "export", "data"},
    "loader": {"read", "export", "data", "load"},
    "admin": {"read", "export", "data", "load", "admin"},
}
# Roles that see only their own accounts.
SCOPED_ROLES = {"team_lead"}
# A user not listed in the file gets this role: none, since a login provider (Google, say)
# admits anyone with an account there.
NO_ROLE = "none"
# Tables without an account column that a scoped reader still needs: the data date only.
UNSCOPED_TABLES = {"mart_data_date"}
# Tables without an account column whose rows belong to a record of an account: the column that
# names the record, and the table that holds it with its account.
KEYED_BY_RECORD = {"escalation_id": "fct_escalation"}
# The name of the person at the keyboard when the server answers this machine only.
LOCAL_USER = "local user"


class AccessError(Exception):
    """The access file is wrong; the message names it and what to fix."""


@dataclass(frozen=True)
class Access:
    """One user's role and, for a team lead, whose accounts they see."""

    user: str
    role: str
    owners: tuple[str, ...] = ()  # account managers whose accounts a team lead sees (their own name first)
    teams: tuple[str, ...] = ()  # delivery teams whose clients' accounts a team lead sees

    def can(self, permission: str) -> bool:
        return permission in ROLES.get(self.role, set())

    @property
    def scoped(self) -> bool:
        return self.role in SCOPED_ROLES

    def describe(self) -> str:
        if not self.scoped:
            return f"{self.user} · {self.role.replace('_', ' ')}"
        whose = ", ".join([*self.owners, *(f"team {team}" for team in self.teams)]) or "no accounts"
        return f"{self.user} · team lead: accounts of {whose}"


def access_file() -> Path:
    return Path(os.environ.get("WINWIN_ACCESS", ACCESS_FILE))


def local_access() -> Access:
    """The server answers this machine only: its user is the admin (as with any desktop tool)."""
    return Access(LOCAL_USER, "admin")


def access_for(user: str, path: Path | None = None) -> Access | None:
    """The role of ``user`` (an e-mail from the login) as the access file gives it; None when
    the file does not admit them."""
    spec = read_access_file(path or access_file())
    entry = {str(k).lower(): v for k, v in (spec.get("users") or {}).items()}.get(user.strip().lower())
    if entry is None:
        role = str(spec.get("default_role", NO_ROLE))
        return None if role == NO_ROLE else Access(user, role)
    if isinstance(entry, str):
        entry = {"role": entry}
    return Access(user, str(entry.get("role")), _names(entry.get("owners", entry.get("owner"))),
                  _names(entry.get("teams", entry.get("team"))))


def read_access_file(path: Path) -> dict:
    """The access file, checked: a wrong role is an error at sign-in, never a silent viewer."""
    if not path.exists():
        return {}
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AccessError(f"{path}: cannot read the access file: {exc}") from exc
    roles = {str(spec.get("default_role", NO_ROLE))}
    for entry in (spec.get("users") or {}).values():
        roles.add(str(entry if isinstance(entry, str) else (entry or {}).get("role")))
    wrong = sorted(roles - set(ROLES) - {NO_ROLE})
    if wrong:
        raise AccessError(f"{path}: unknown role(s) {wrong}; roles are {sorted(ROLES)} or {NO_ROLE!r}")
    return spec


def _names(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


# The accounts a team lead sees: those they (or the owners listed) manage, and the clients of
# their delivery teams' projects. Both lists are bound parameters.
ALLOWED_ACCOUNTS_SQL = """
SELECT account_id FROM full_warehouse.main.dim_account WHERE list_contains(?, owner)
UNION
SELECT account_id FROM full_warehouse.main.fct_project WHERE list_contains(?, delivery_team) AND account_id IS NOT NULL
"""


def connect_scoped(db: Path, access: Access) -> duckdb.DuckDBPyConnection:
    """A read-only connection on which every table holds only the rows ``access`` may see.

    Used like ``warehouse.connect_readonly`` (take cursors with ``warehouse.reader_cursor``).
    Table names come from the warehouse's own catalog, never from a user.
    """
    con = duckdb.connect(":memory:")
    con.execute("ATTACH ? AS full_warehouse (READ_ONLY)", [str(db)])
    con.execute("ATTACH ':memory:' AS warehouse")
    con.execute(f"CREATE TABLE warehouse.main.allowed_account AS {ALLOWED_ACCOUNTS_SQL}",
                [list(access.owners), list(access.teams)])
    tables = con.execute(
        """SELECT table_name, list(column_name) FROM information_schema.columns
           WHERE table_catalog = 'full_warehouse' AND table_schema = 'main' GROUP BY table_name"""
    ).fetchall()
    for table, columns in tables:
        if "account_id" in columns:
            keep = "account_id IN (SELECT account_id FROM warehouse.main.allowed_account)"
        elif key := next((column for column in KEYED_BY_RECORD if column in columns), None):
            keep = (f"{key} IN (SELECT {key} FROM full_warehouse.main.{KEYED_BY_RECORD[key]} "
                    "WHERE account_id IN (SELECT account_id FROM warehouse.main.allowed_account))")
        else:
            keep = "TRUE" if table in UNSCOPED_TABLES else "FALSE"
        name = _identifier(table)
        con.execute(f"CREATE VIEW warehouse.main.{name} AS SELECT * FROM full_warehouse.main.{name} WHERE {keep}")
    con.execute("USE warehouse")
    # A mart of totals over every account (no account column) is summed again from the accounts
    # this reader may see, by its own SQL over the views above: never the whole firm's totals.
    for name in marts.SUMMED_AFTER_REFRESH:
        if any(table == name for table, _ in tables):
            con.execute(f"CREATE OR REPLACE VIEW {_identifier(name)} AS {marts.sql_of(name)}")
    return con


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
