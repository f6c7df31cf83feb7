"""Hostile inputs (issue 17): each test reproduces an attack that worked before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.__main__ import main
from tests.conftest import ROOT

BAD = ROOT / "tests" / "bad_inputs"


def test_a_workbook_with_a_far_cell_is_refused_with_status_2_and_the_process_survives(tmp_path, capsys):
    """Cells A1 and XFD1048576 made the reader allocate 512 GiB and abort the process (exit 134)."""
    assert main(["ingest", "--db", str(tmp_path / "w.duckdb"), str(BAD / "xlsx_far_cell.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "xlsx_far_cell.xlsx: the workbook needs more memory than" in err and "512 GiB" in err


def test_a_csv_of_twenty_thousand_columns_is_refused_before_it_is_read(tmp_path, capsys):
    """An 8 MB CSV of 20,000 columns peaked at 2.36 GiB while loading."""
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(20_000)) + "\n" + ",".join("1" * 20_000) + "\n")
    assert main(["ingest", "--db", str(tmp_path / "w.duckdb"), str(wide)]) == 2
    assert "wide.csv: 20,000 columns; Win-Win reads exports of up to 2,000 columns" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


def test_sql_in_a_mapping_files_constants_key_is_refused_not_run(tmp_path):
    """`constants: {"1 AS x; DROP TABLE dim_account; --": y}` was pasted into the staging SQL."""
    import pytest

    from pipelines.adapters import IngestError, parse_layout

    mapping = tmp_path / "evil.yaml"
    mapping.write_text('table: dim_account\ncolumns: {account_id: Id}\n'
                       'constants: {"segment FROM land; DROP TABLE x; --": a}\n')
    with pytest.raises(IngestError, match="constants: dim_account has no column"):
        parse_layout(mapping)


ACCOUNTS_HEADER = ('"Account Owner","Account Name","Account ID","Customer Segment","Sales Region","Industry",'
                   '"Website","Billing Country"\n')


def accounts_export(*names: str) -> str:
    rows = (f'"Zoë Owner","{n}","ID-{n}","SMB","EMEA","Retail","{n}.example","France"\n' for n in names)
    return ACCOUNTS_HEADER + "".join(rows)


def account_names(db) -> set[str]:
    from pipelines import warehouse

    with warehouse.connect_readonly(db) as con:
        return {name for (name,) in con.execute("SELECT account_name FROM dim_account").fetchall()}


def test_two_uploads_with_one_name_both_load(tmp_path):
    """`dup.csv` twice: the second overwrote the first while both were reported loaded."""
    from pipelines.ingest import ingest_uploads

    alpha, bravo = accounts_export("Alpha").encode(), accounts_export("Bravo").encode()
    results = ingest_uploads([("dup.csv", alpha), ("dup.csv", bravo)],
                             db=tmp_path / "w.duckdb")
    assert [r.inserted for r in results] == [1, 1]
    assert account_names(tmp_path / "w.duckdb") == {"Alpha", "Bravo"}


def test_two_files_with_one_name_in_two_folders_both_load_even_when_transcoded(tmp_path):
    """Windows-1252 files get a UTF-8 work copy, once named after the file alone."""
    from pipelines.ingest import ingest

    for folder, name in (("north", "Alpha"), ("south", "Bravo")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "accounts.csv").write_bytes(accounts_export(name).encode("cp1252"))
    ingest([tmp_path / "north" / "accounts.csv", tmp_path / "south" / "accounts.csv"], db=tmp_path / "w.duckdb")
    assert account_names(tmp_path / "w.duckdb") == {"Alpha", "Bravo"}


def test_an_upload_named_with_300_characters_and_a_direction_override_loads_under_a_safe_name(tmp_path):
    from pipelines.ingest import ingest_uploads, upload_name

    name = "x" * 300 + "\u202e" + ".csv"
    assert upload_name(name) == "x" * 116 + ".csv" and upload_name("../../etc/passwd") == "passwd.csv"
    [result] = ingest_uploads([(name, accounts_export("Alpha").encode())], db=tmp_path / "w.duckdb")
    assert result.inserted == 1 and "\u202e" not in result.file_name


def test_the_data_docs_run_no_script_from_an_export_and_fetch_nothing(tmp_path):
    """Sample values in the GX Data Docs ran as script (three alerts on opening a validation page)
    and the pages pulled scripts from CDNs."""
    import os
    import shutil

    import pytest
    from playwright.sync_api import sync_playwright

    from benchmarks.cold_start import CHROMIUM, CHROMIUM_ARGS
    from pipelines import warehouse
    from pipelines.ingest import ingest
    from tests.conftest import WORLD

    if not CHROMIUM.exists():
        if os.environ.get("WINWIN_BROWSER_TESTS") == "required":
            pytest.fail(f"no {CHROMIUM}")
        pytest.skip(f"no {CHROMIUM}")
    shutil.copytree(WORLD, tmp_path / "world")
    hostile = (BAD / "nps_11.csv").read_text(encoding="utf-8")
    hostile = hostile.replace(",EN,11,3,", ",EN,<img src=x onerror=alert(1)>,3,").replace(
        '"ok",0015g00000ACME01AAA\n', '"<script>alert(2)</script>",<svg onload=alert(3)>\n', 1)
    (tmp_path / "world" / "hostile_nps.csv").write_text(hostile, encoding="utf-8")
    ingest([tmp_path / "world"], db=tmp_path / "w.duckdb")
    pages = sorted(warehouse.docs_dir(tmp_path / "w.duckdb").rglob("*.html"))
    assert any("hostile_nps" in page.name for page in pages)
    dialogs, remote = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        local = ("file:", "data:")
        page.on("request", lambda request: None if request.url.startswith(local) else remote.append(request.url))
        for html in pages:
            page.goto(html.as_uri())
            page.wait_for_timeout(200)
        browser.close()
    assert dialogs == [] and remote == []


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB file system of its own (tmpfs: root only, as in CI)."""
    import os
    import subprocess

    folder = tmp_path / "small"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)]).returncode:
        pytest.skip("mounting a small file system needs root")
    yield folder
    subprocess.run(["umount", "-l", str(folder)])


def test_a_full_disk_refuses_the_load_cleanly_and_leaves_the_warehouse_as_it_was(small_disk, world_db, capsys):
    """A full disk left a partial build copy and exited 1 with a traceback."""
    import shutil

    db = small_disk / "warehouse.duckdb"
    shutil.copyfile(world_db, db)
    before = db.read_bytes()
    # Leave room for half a copy of the warehouse: the build's copy runs out of space.
    (small_disk / "filler").write_bytes(b"\0" * (shutil.disk_usage(small_disk).free - len(before) // 2))
    assert main(["ingest", "--db", str(db), str(BAD / "nps_11.csv")]) == 2
    assert "the disk is full" in capsys.readouterr().err
    assert db.read_bytes() == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "warehouse.duckdb", "warehouse.duckdb.lock"]


def test_an_ingest_sweeps_the_exports_a_crashed_run_left_in_the_temp_folder(tmp_path):
    import os
    import tempfile
    import time

    from pipelines import tempfiles
    from pipelines.ingest import ingest_uploads

    crashed = Path(tempfile.mkdtemp(prefix="winwin-upload-"))
    (crashed / "customers.csv").write_text("secret")
    recent = Path(tempfile.mkdtemp(prefix="winwin-upload-"))  # a run going on now
    hours_ago = time.time() - tempfiles.STALE_AFTER_S - 60
    os.utime(crashed, (hours_ago, hours_ago))
    ingest_uploads([("a.csv", accounts_export("Alpha").encode())], db=tmp_path / "w.duckdb")
    assert not crashed.exists() and recent.exists()
    recent.rmdir()


def test_a_file_too_big_for_the_memory_ceiling_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """An ingest has a ceiling (WINWIN_MEMORY_LIMIT_MB): what would pass it is refused, with why."""
    from pipelines import limits
    from pipelines.adapters import IngestError
    from pipelines.ingest import ingest

    monkeypatch.setattr(limits, "MEMORY_LIMIT_MB", 1)  # as WINWIN_MEMORY_LIMIT_MB=1 would set it
    big = tmp_path / "accounts.csv"
    big.write_text(accounts_export(*(f"Account {n}" for n in range(3_000))), encoding="utf-8")
    refused = r"accounts.csv: 0\.\d MB of rows needs about \d\.\d MB of memory to load, more than the 1 MB"
    with pytest.raises(IngestError, match=refused):
        ingest([big], db=tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("page", ["overview", "satisfaction_profit", "delivery_leads", "escalations", "rebusiness",
                                  "accounts"])
@pytest.mark.parametrize("start,end", [("0001-01-01", "9999-12-31"), ("9999-12-31", "0001-01-01")])
def test_a_custom_range_at_the_ends_of_the_calendar_falls_back_instead_of_failing(monkeypatch, world_db, page, start, end):
    """Year 1 or 9999 in a link's custom range ended every page in an error (its previous period
    does not exist); now the range falls back to the default."""
    from tests.conftest import run_app

    at = run_app(monkeypatch, world_db, {"period": "Custom range", "from": start, "to": end})
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
