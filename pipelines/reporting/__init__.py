"""Outputs: charts, number and table formats, stamped export files, the headline KPI table and
the board pack. Never imports streamlit or ``ui/`` (tests/test_structure.py): the app's pages,
the command line and the tests all draw the same things from here.

- ``charts``       plotly figures with one colour and honesty scheme (n, 95% intervals)
- ``formats``      numbers, money (with its currency), percentages and missing values as text
- ``tables``       a table as it is shown: human column names, formatted cells, intervals in one column
- ``files``        PNG / SVG / HTML / CSV / XLSX / Parquet, each stamped with filters and data date
- ``spreadsheet``  CSV that a spreadsheet will not run as formulas
- ``kpis``         the headline KPIs (Overview tiles = board pack table) and the default period
- ``board_pack``   the PDF of KPIs and key charts
"""
