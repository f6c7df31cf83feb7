"""Benchmarks: `python -m benchmarks [--scales 1,10,100,400]` writes benchmarks/RESULTS.md.

Win-Win's ingest against the DuckDB floor and a pandas notebook, every page's queries, the
incremental ingest and the app's cold start, all measured side by side in one run.
"""
