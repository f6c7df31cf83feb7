"""Hostile inputs (issue 17): each test reproduces an attack that worked before its fix."""

from __future__ import annotations

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
    mapping.write_text('table: dim_account\ncolumns: {account_id: Id}\nconstants: {"segment FROM land; DROP TABLE x; --": a}\n')
    with pytest.raises(IngestError, match="constants: dim_account has no column"):
        parse_layout(mapping)
