"""The board pack: the Overview's KPIs and the key charts as one PDF, filters and data date on every page.

Built outside Streamlit (``python -m pipelines report`` and the app's button call the same
``board_pack_pdf``), from the same metrics, the same KPI table (``reporting.kpis``) and the same
chart functions (``reporting.charts``) as the pages, so the pack looks like the screen. Pages are an HTML
document printed by the Debian chromium that kaleido already needs for chart images: charts
go in as SVG (vector: sharp when zoomed or printed), the page margins repeat the stamp and the
page number on every page, and nothing is fetched from the network.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date
from html import escape
from pathlib import Path

from pipelines import metrics
from pipelines.metrics import Filters
from pipelines.reporting import charts, formats
from pipelines.reporting.files import file_name, image_bytes
from pipelines.reporting.formats import number
from pipelines.reporting.kpis import KPIS, default_period

# Debian's package installs it here; other systems may call it one of the other names.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# Flags for a headless chromium that must not call home (as in tests/test_browser.py). Scripts,
# files and the network are shut by the page's own policy (PAGE_POLICY): print-to-pdf ignores
# --blink-settings=scriptEnabled=false (checked with chromium 156 here).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer"]
# The pack's Content-Security-Policy: its own inline styles and inline SVG, nothing else. A value
# that slipped past escaping still could not run a script or load a frame, an image or a font,
# from a file:// path or a network address.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# Printing the pack takes ~3 s here; a loaded machine may take many times that.
PRINT_TIMEOUT_S = 120
# Months of answers followed into the period on the Overview's satisfaction -> re-business chart.
LINK_MONTHS = 12
# Accounts listed on the pack's last page: the lowest health scores, one A4 page's worth.
AT_RISK_ROWS = 12
# Height on an A4 landscape page (210 mm less 28 mm of margins) left for charts under the heading.
CHART_AREA_MM = 135


@dataclass
class Section:
    """One page of the pack: a heading, why it matters, its charts and a note on what is behind them."""

    title: str
    why: str
    charts: list = field(default_factory=list)
    note: str = ""
    body: str = ""  # extra HTML (the KPI table)


def sections(con, period) -> list[Section]:
    """The pack's pages: the Overview's KPIs, its satisfaction -> re-business link and monthly
    trend, then the key chart of each analysis page, drawn as that page draws it."""
    previous = period.previous()
    now = metrics.kpis(con, period)
    before = metrics.kpis(con, previous) if previous else {}
    rows = "".join(
        f"<tr><th>{escape(k.label)}</th><td>{escape(k.value(now))}</td>"
        f"<td>{escape(k.value(before)) if previous else ''}</td>"
        f"<td>{escape(k.delta(now, before) or '') if previous else ''}</td>"
        f"<td class='def'>{escape(metrics.DEFINITIONS[k.definition])}</td></tr>"
        for k in KPIS
    )
    against = (f"This period against the previous period: {metrics.describe(previous)}." if previous
               else "An open-ended period has no previous period to compare against.")
    against += f" {formats.currency_note()}" if formats.currency_note() else ""
    table = (f"<table class='kpis'><tr><th></th><th>This period</th><th>Previous period</th><th>Change</th>"
             f"<th>Definition</th></tr>{rows}</table>")
    # The chain in words, as the Overview opens with it: one sentence a link, with its verdict.
    chain = "".join(f"<li>{escape(link['sentence'])}</li>" for link in metrics.chain_sentences(con, period))
    body = (f"<ul class='chain'>{chain}</ul><p class='note'>Each sentence says what came after what and how sure "
            f"the figures are (the 95% interval of the difference decides the verdict), not what caused what.</p>"
            f"{table}")
    overview = Section("Overview: headline KPIs", f"Is delivery quality turning into profit on the next "
                       f"deal? {against}", body=body)

    answered = metrics.answers_followed_into(period, LINK_MONTHS)
    link = metrics.rebusiness_by_nps_category(con, answered, months=LINK_MONTHS)
    satisfaction = Section(
        "Does satisfaction bring the next deal?",
        "Share of NPS answers whose account signed re-business within the next 12 months, by category.",
        [charts.nps_link_bars(link)],
        f"n = {int(link['n'].sum()):,} NPS answers with a complete 12-month window"
        + (f", given {metrics.describe(answered)}" if getattr(answered, "period", answered).start else "")
        + "; whiskers are 95% Wilson intervals; groups under "
        f"{charts.SMALL_N} answers are greyed. {metrics.DEFINITIONS['nps_rebusiness_link']}",
    )

    trend = metrics.monthly_trend(con, period)
    monthly = Section(
        "Monthly trend", "NPS with its 95% interval, won amount and delivered margin per month.",
        charts.monthly_trend_lines(trend),
        "The shaded band is the 95% interval of each month's NPS: months with few answers swing by chance.",
    )

    accounts = metrics.win_win_accounts(con, period)
    matrix = Section(
        "Satisfaction → Profit: the win-win matrix",
        "Accounts by NPS (customer wins) and delivered margin (business wins); "
        "the quadrant thresholds are the page's defaults.",
        [charts.win_win_matrix(accounts, metrics.WIN_WIN_NPS_THRESHOLD, metrics.WIN_WIN_MARGIN_THRESHOLD)],
        f"n = {len(accounts):,} accounts with NPS answers and completed projects in the period.",
    )

    sources = metrics.delivery_vs_other_sources(con, period)
    leads = Section(
        "Delivery-generated leads", "Do the leads delivery staff bring in win more often than the other sources?",
        [charts.source_win_rate_bars(sources)],
        f"{metrics.DEFINITIONS['delivery_leads']} Whiskers are 95% Wilson intervals; n = closed deals.",
    )

    # Escalations opened a window earlier, so that the 12 months after them fall in the period (as the page does).
    opened = metrics.answers_followed_into(period, metrics.AFTERMATH_MONTHS)
    after = charts.with_involvement(metrics.escalation_aftermath(con, opened))
    escalations = Section(
        "Escalations: what followed", "Re-business within 12 months of an escalation, with and without sales involved.",
        [charts.aftermath_rebusiness_bars(after)],
        f"{metrics.DEFINITIONS['escalations']} n = escalations whose 12 months are complete; "
        "whiskers are 95% Wilson intervals.",
    )

    split = metrics.rebusiness_vs_first_time(con, period)
    margin = Section(
        "Re-business & margin", "Is the next deal with a client more profitable than first-time business?",
        [charts.business_margin_bars(split)],
        f"{metrics.DEFINITIONS['rebusiness_margin']} Whiskers are t 95% intervals of the mean project margin; "
        "n = completed projects.",
    )

    health = metrics.account_health(con, period).head(AT_RISK_ROWS)
    listed = "".join(
        f"<tr><th>{escape(str(row.account_name))}</th><td>{escape(number(row.health))}</td>"
        f"<td class='def'>{escape(str(row.pulled_down_by or ''))}</td>"
        f"<td class='def'>{escape(str(row.at_risk_reasons or ''))}</td></tr>"
        for row in health.itertuples()
    )
    at_risk = Section(
        "Accounts: lowest health",
        f"The {AT_RISK_ROWS} accounts with the lowest health score (0-100), and what pulled each down.",
        body="<table class='kpis'><tr><th>Account</th><th>Health</th><th>Pulled down by</th>"
        f"<th>At-risk reasons</th></tr>{listed}</table>",
        note=metrics.DEFINITIONS.get("account_health", ""),
    )
    return [overview, satisfaction, monthly, matrix, leads, escalations, margin, at_risk]


def board_pack_html(con, period) -> str:
    """The pack as one HTML document, one section a page, charts inlined as SVG."""
    formats.use_currencies(metrics.currencies(con))  # its own thread when made from a page's button
    data_date = metrics.data_date(con)
    stamp = Filters.of(period).stamp(data_date)
    pages = []
    for section in sections(con, period):
        height = CHART_AREA_MM / max(len(section.charts), 1)  # the page's charts share its height
        drawn = "".join(
            f"<figure><div style='height: {height:.0f}mm'>{image_bytes(figure, stamp, 'svg').decode('utf-8')}"
            "</div></figure>"
            for figure in section.charts
        )
        pages.append(
            f"<section><h1>{escape(section.title)}</h1>"
            f"<p>{escape(section.why)}</p>{section.body}{drawn}<p class='note'>{escape(section.note)}</p></section>"
        )
    return f"""<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}"><title>Win-Win board pack · {escape(stamp)}</title>
<style>
@page {{ size: A4 landscape; margin: 14mm 12mm;
  @top-left {{ content: "Win-Win board pack · {_css_string(stamp)}"; font: 9pt sans-serif; color: #555; }}
  @bottom-right {{ content: "page " counter(page) " of " counter(pages); font: 8pt sans-serif; color: #555; }} }}
body {{ font-family: sans-serif; font-size: 10pt; color: #222; margin: 0; }}
section {{ break-after: page; }}
section:last-child {{ break-after: auto; }}
h1 {{ font-size: 16pt; margin: 2mm 0; }}
.note {{ color: #555; font-size: 8pt; }}
figure {{ margin: 0; break-inside: avoid; }}
figure svg {{ width: 100%; height: 100%; }}
table.kpis {{ border-collapse: collapse; width: 100%; margin-top: 4mm; }}
table.kpis th, table.kpis td {{ border-bottom: 1px solid #ddd; padding: 2mm; text-align: left; vertical-align: top; }}
table.kpis td {{ font-size: 12pt; white-space: nowrap; }}
table.kpis td.def {{ font-size: 8pt; color: #555; white-space: normal; }}
ul.chain {{ margin: 1mm 0; padding-left: 6mm; font-size: 9pt; }}
</style></head><body>{''.join(pages)}</body></html>"""


def _css_string(text: str) -> str:
    """Text as the inside of a CSS string: every character but letters, digits and spaces as a
    CSS hex escape, so no value (an account owner from a CRM export) can end the string, the
    rule or the <style> element it is printed in."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == " ") else f"\\{ord(ch):x} " for ch in text)


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("the board pack is printed by chromium, which is not installed: apt-get install chromium")


def print_pdf(html: str) -> bytes:
    """Print an HTML document to PDF with headless chromium (a private profile, no network)."""
    with tempfile.TemporaryDirectory(prefix="winwin-pack-") as folder:
        page, out = Path(folder) / "pack.html", Path(folder) / "pack.pdf"
        page.write_text(html, encoding="utf-8")
        done = subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={Path(folder) / 'profile'}",
             f"--print-to-pdf={out}", page.as_uri()],
            capture_output=True, text=True, timeout=PRINT_TIMEOUT_S,
        )
        if not out.exists():
            raise RuntimeError(f"chromium printed no PDF (exit {done.returncode}): {done.stderr[-2000:]}")
        return out.read_bytes()


def board_pack_pdf(con, period=None) -> bytes:
    """The board pack for ``period``, a Period or a metrics Filters (default: the Overview's,
    the last 12 months of data)."""
    period = period or default_period(metrics.data_date(con))
    return print_pdf(board_pack_html(con, period))


def board_pack_name(period, data_date: date | None) -> str:
    """What and when: "board-pack_01-nov-2025-31-oct-2026-data-up-to-31-oct-2026.pdf"."""
    return file_name("board pack", Filters.of(period).stamp(data_date), "pdf")

