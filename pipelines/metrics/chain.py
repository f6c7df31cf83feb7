"""The chain in words: one sentence per link (delivery -> satisfaction -> re-business -> margin),
each with its effect, 95% interval, n and a verdict the interval decides. The sentences say what
came after what, and how sure the figures are; they never say what caused what."""

from __future__ import annotations

import pandas as pd

from pipelines.metrics.delivery import delivery_effect
from pipelines.metrics.filters import Filters, Period, answers_followed_into
from pipelines.metrics.satisfaction import MEASURES, check_measure, default_measure
from pipelines.metrics.sources import loaded_sources, missing_note
from pipelines.metrics.statistics import difference_interval, proportion_difference, verdict

LINKS = ["delivery -> satisfaction", "satisfaction -> re-business", "re-business -> margin"]
# Months after an answer in which the account's re-business counts (the Overview's link).
LINK_MONTHS = 12
# The answers a satisfaction -> re-business sentence compares: the unhappy group against the happy one.
COMPARED = {"nps": ("detractor", "promoter", "nps_category", "detractors", "promoters"),
            "csat": ("dissatisfied (1-2)", "satisfied (4-5)", "csat_band", "dissatisfied answers (CSAT 1-2)",
                     "satisfied answers (CSAT 4-5)")}


def _interval(effect: dict, scale: float, unit: str) -> str:
    return (f"difference {effect['effect'] * scale:+.1f}{unit}, 95% CI {effect['ci_low'] * scale:+.1f} to "
            f"{effect['ci_high'] * scale:+.1f}{unit}")


def _row(link: str, sentence: str, effect: dict | None, judged: str) -> dict:
    effect = effect or {}
    return {"link": link, "sentence": sentence, "verdict": judged, "effect": effect.get("effect"),
            "ci_low": effect.get("ci_low"), "ci_high": effect.get("ci_high"), "n_a": effect.get("n_a"),
            "n_b": effect.get("n_b")}


def delivery_sentence(con, filters: Filters, measure: str) -> dict:
    effect = delivery_effect(con, filters, measure)
    judged = effect["verdict"]
    if effect["effect"] is None:
        return _row(LINKS[0], f"Delivery -> satisfaction: {judged} (n = {effect['n_a']:,} answers after late or "
                              f"over-budget projects, {effect['n_b']:,} after on-time, on-budget ones).", effect, judged)
    sentence = (f"Delivery -> satisfaction: {MEASURES[measure]['label']} answers about projects finished late or over budget "
                f"scored {effect['mean_a']:.1f} on average against {effect['mean_b']:.1f} about on-time, on-budget ones "
                f"({_interval(effect, 1, '')}; n = {effect['n_a']:,} and {effect['n_b']:,} answers): {judged}.")
    return _row(LINKS[0], sentence, effect, judged)


def rebusiness_sentence(con, filters: Filters, measure: str) -> dict:
    low_group, high_group, column, low_name, high_name = COMPARED[measure]
    where, params = answers_followed_into(filters, LINK_MONTHS).within("account", "answer_date")
    counts = con.execute(
        f"""SELECT {column} AS grp, count(*) AS n, count(CASE WHEN deals_{LINK_MONTHS}m > 0 THEN 1 END) AS rebought
            FROM mart_response_outcome
            WHERE survey_type = ? AND window_complete_{LINK_MONTHS}m AND {where}
            GROUP BY 1""", [measure] + params).df().set_index("grp")
    low, high = (counts.loc[g] if g in counts.index else pd.Series({"n": 0, "rebought": 0}) for g in (low_group, high_group))
    effect = proportion_difference(int(low["rebought"]), int(low["n"]), int(high["rebought"]), int(high["n"]))
    judged = verdict(effect)
    if effect["effect"] is None:
        return _row(LINKS[1], f"Satisfaction -> re-business: {judged} (n = {effect['n_a']:,} {low_name}, "
                              f"{effect['n_b']:,} {high_name} with {LINK_MONTHS} months since).", effect, judged)
    sentence = (f"Satisfaction -> re-business: re-business was won within {LINK_MONTHS} months of "
                f"{low['rebought'] / low['n']:.0%} of {low_name} against {high['rebought'] / high['n']:.0%} of {high_name} "
                f"({_interval(effect, 100, ' pts')}; n = {effect['n_a']:,} and {effect['n_b']:,} answers): {judged}.")
    return _row(LINKS[1], sentence, effect, judged)


def margin_sentence(con, filters: Filters) -> dict:
    where, params = filters.within("project", "actual_end_date")
    projects = con.execute(
        f"""SELECT COALESCE(is_rebusiness, FALSE) AS is_rebusiness, margin FROM mart_project
            WHERE is_delivered AND margin IS NOT NULL AND {where}""", params).df()
    again, first = (projects.loc[projects["is_rebusiness"] == flag, "margin"] for flag in (True, False))
    effect = difference_interval(again, first)
    judged = verdict(effect, unit="projects")
    if effect["effect"] is None:
        return _row(LINKS[2], f"Re-business -> margin: {judged} (n = {effect['n_a']:,} re-business and "
                              f"{effect['n_b']:,} first-time projects completed).", effect, judged)
    sentence = (f"Re-business -> margin: projects of re-business deals delivered a mean margin of {again.mean():.0%} "
                f"against {first.mean():.0%} for first-time business ({_interval(effect, 100, ' pts')}; "
                f"n = {effect['n_a']:,} and {effect['n_b']:,} projects): {judged}.")
    return _row(LINKS[2], sentence, effect, judged)


def chain_sentences(con, filters: Filters | Period = Filters(), measure: str | None = None) -> list[dict]:
    """One dict per link, in the chain's order: link, sentence, verdict ("clearly lower", "clearly
    higher", "no clear difference", "too few answers to tell", or "no data" with what to load),
    effect, ci_low, ci_high, n_a (the problem / unhappy / re-business side), n_b. ``measure``
    defaults to the one with more answers in the period."""
    filters = Filters.of(filters)
    measure = measure or default_measure(con, filters)
    check_measure(measure)
    loaded = loaded_sources(con)
    rows = []
    needs = [("delivery -> satisfaction", ("projects", measure), lambda: delivery_sentence(con, filters, measure)),
             ("satisfaction -> re-business", (measure, "deals"), lambda: rebusiness_sentence(con, filters, measure)),
             ("re-business -> margin", ("deals", "projects"), lambda: margin_sentence(con, filters))]
    label = MEASURES[measure]["label"]
    # What a link counts, for the sentence of a period in which there is none of it on either side.
    counted = {LINKS[0]: f"{label} answers about projects completed by then",
               LINKS[1]: f"{label} answers whose {LINK_MONTHS} months have passed by the data date",
               LINKS[2]: "projects completed with a margin"}
    for link, sources, sentence in needs:
        absent = [source for source in sources if not loaded[source]]
        if absent:
            rows.append(_row(link, f"{link[0].upper()}{link[1:]}: {missing_note(absent[0])}.", None, "no data"))
            continue
        row = sentence()
        if not row["n_a"] and not row["n_b"]:  # loaded, but nothing of it in this period: not "too few"
            row = _row(link, f"{link[0].upper()}{link[1:]}: no data in this period (no {counted[link]}).", None, "no data")
        rows.append(row)
    return rows
