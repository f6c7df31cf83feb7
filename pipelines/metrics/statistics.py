"""Intervals and fits every metric reports its uncertainty with, and the verdict an interval decides.

The intervals the pages draw on their first view (Wilson, Newcombe, Welch, t and normal) are the
textbook formulas on scipy.special's quantiles, each held equal to statsmodels' to 1e-12 in
tests/test_metrics.py: statsmodels and scipy.stats take half a second to import, and the Overview
paid it on every cold start while the browser waited for its KPI tiles (issue 16). The fit
(``linear_fit``) stays statsmodels', imported where it is computed."""

from __future__ import annotations

import numpy as np
import pandas as pd

CONFIDENCE = 0.95
# Below this many answers in a group a comparison is "too few answers to tell", whatever its interval.
MIN_ANSWERS = 10
# The scales figures are measured on (low, high). An interval never leaves its figure's scale: a
# t-interval on few values runs far past it (CSAT scores 2 and 5: 3.5 +- 19.1 on a 1-5 scale), and
# "-15.6 to 22.6" says nothing a reader can use, while "1 to 5" says "anything on the scale".
SCORE_SCALES = {"nps": (0.0, 10.0), "csat": (1.0, 5.0)}  # a survey answer's score, by survey type
NPS_SCALE = (-100.0, 100.0)  # shares need none: Wilson's and Newcombe's intervals stay within 0-1 and -1..1
MARGIN_SCALE = (-np.inf, 1.0)  # (revenue - cost) / revenue: a cost is never below 0
AMOUNT_SCALE = (0.0, np.inf)  # money won: never below nothing
BUDGET_VARIANCE_SCALE = (-1.0, np.inf)  # actual / budget cost - 1: a cost is never below 0

Scale = tuple[float, float]


def clipped(low, high, scale: Scale | None):
    """An interval's bounds kept within ``scale`` (unchanged without one; NaN stays NaN)."""
    if scale is None:
        return low, high
    return np.clip(low, *scale), np.clip(high, *scale)


def difference_scale(scale: Scale | None) -> Scale | None:
    """The scale of a difference of two figures on ``scale``: +-(high - low)."""
    return None if scale is None else (-(scale[1] - scale[0]), scale[1] - scale[0])


def _normal_quantile(confidence: float) -> float:
    """The z of a two-sided ``confidence`` interval (1.96 for 95%): scipy's normal quantile."""
    from scipy.special import ndtri

    return float(ndtri(0.5 + confidence / 2))


def _t_quantile(confidence: float, degrees):
    """The t of a two-sided ``confidence`` interval on ``degrees`` of freedom (NaN stays NaN)."""
    from scipy.special import stdtrit

    return stdtrit(degrees, 0.5 + confidence / 2)


def wilson_interval(successes, trials, confidence: float = CONFIDENCE):
    """Wilson score interval, within 0-1 (statsmodels' ``proportion_confint(method="wilson")``);
    better than the normal one near 0 and 1 and small n. Floats for numbers, arrays for arrays."""
    successes, trials = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    z = _normal_quantile(confidence)
    share = successes / trials
    denominator = 1 + z**2 / trials
    centre = (share + z**2 / (2 * trials)) / denominator
    half_width = z * np.sqrt(share * (1 - share) / trials + z**2 / (4 * trials**2)) / denominator
    low, high = np.clip(centre - half_width, 0, 1), np.clip(centre + half_width, 0, 1)
    return (float(low), float(high)) if low.ndim == 0 else (low, high)


def weighted_moments(values, weights) -> tuple[float, float, float]:
    """Sum of weights, mean and sum of squared deviations of ``values`` each counted ``weights``
    times (statsmodels' ``DescrStatsW``): a histogram of scores stands in for the answers."""
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    total = float(weights.sum())
    mean = float(np.dot(values, weights) / total) if total else float("nan")
    return total, mean, float(np.dot((values - mean) ** 2, weights))


def nps_interval(promoters, detractors, answers, confidence: float = CONFIDENCE):
    """NPS and its normal-approximation interval, on the -100..100 scale.

    Each answer scores +1 (promoter), 0 or -1 (detractor); NPS is 100 x their mean, so its
    variance is (share promoters + share detractors - (NPS/100)^2) / n.
    """
    promoters, detractors, answers = (pd.Series(x, dtype=float) for x in (promoters, detractors, answers))
    answers = answers.where(answers > 0)
    score = (promoters - detractors) / answers
    spread = _normal_quantile(confidence) * ((promoters + detractors) / answers - score**2).clip(lower=0).pow(0.5) / answers.pow(0.5)
    low, high = clipped(100 * (score - spread), 100 * (score + spread), NPS_SCALE)
    return 100 * score, low, high


def nps_difference(promoters_a, detractors_a, n_a, promoters_b, detractors_b, n_b, confidence: float = CONFIDENCE) -> dict:
    """NPS of ``a`` minus NPS of ``b`` (points) with the normal interval of the difference: the two
    samples are independent, so the variances of ``nps_interval`` add."""
    result = {"effect": None, "ci_low": None, "ci_high": None, "n_a": int(n_a), "n_b": int(n_b)}
    if not n_a or not n_b:
        return result
    share_a, share_b = (promoters_a - detractors_a) / n_a, (promoters_b - detractors_b) / n_b
    variance = ((promoters_a + detractors_a) / n_a - share_a**2) / n_a + ((promoters_b + detractors_b) / n_b - share_b**2) / n_b
    spread = _normal_quantile(confidence) * max(variance, 0.0) ** 0.5
    effect = share_a - share_b
    low, high = clipped(100 * (effect - spread), 100 * (effect + spread), difference_scale(NPS_SCALE))
    return result | {"effect": 100 * effect, "ci_low": float(low), "ci_high": float(high)}


def with_intervals(frame: pd.DataFrame, successes: str, trials: str) -> pd.DataFrame:
    """``frame`` with rate = successes / trials and its Wilson interval (NaN where no trials)."""
    frame = frame.copy()
    frame["rate"] = frame[successes] / frame[trials].where(frame[trials] > 0)
    low, high = wilson_interval(frame[successes].to_numpy(), frame[trials].clip(lower=1).to_numpy())
    frame["ci_low"], frame["ci_high"] = low, high
    frame.loc[frame[trials] == 0, ["rate", "ci_low", "ci_high"]] = float("nan")
    return frame


def t_interval(mean, std, n, confidence: float = CONFIDENCE, scale: Scale | None = None):
    """Bounds of the t-interval of a mean from its sample's standard deviation (ddof 1) and size,
    for one sample or per group (Series): NaN below two values, the mean itself when all are
    equal, within ``scale`` (the values' own). Unclipped, equal to statsmodels'
    ``DescrStatsW.tconfint_mean`` (a test holds them to 1e-12)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half_width = _t_quantile(confidence, np.where(n >= 2, n - 1, np.nan)) * np.asarray(std, dtype=float) / np.sqrt(n)
    return clipped(mean - half_width, mean + half_width, scale)


def mean_interval(values, confidence: float = CONFIDENCE, scale: Scale | None = None) -> tuple[float, float, float]:
    """Mean and its t-interval within ``scale``; NaN bounds below two values."""
    values = pd.Series(values, dtype=float).dropna()
    low, high = t_interval(values.mean(), values.std(), len(values), confidence, scale)
    return (values.mean(), low, high)


def difference_interval(a, b, confidence: float = CONFIDENCE, weights_a=None, weights_b=None,
                        scale: Scale | None = None) -> dict:
    """Mean of ``a`` minus mean of ``b`` with its Welch t-interval (statsmodels' ``CompareMeans
    .tconfint_diff(usevar="unequal")``), both means and both n. ``weights_*`` count each value's
    repeats (a histogram of scores stands in for the answers); with the values' ``scale``, the
    interval stays within the differences it allows."""

    def sample(values, weights):
        values = pd.Series(values, dtype=float).reset_index(drop=True)
        weights = pd.Series(1.0, index=values.index) if weights is None else pd.Series(weights, dtype=float).reset_index(drop=True)
        kept = values.notna() & (weights > 0)
        return weighted_moments(values[kept], weights[kept])

    (total_a, mean_a, squares_a), (total_b, mean_b, squares_b) = sample(a, weights_a), sample(b, weights_b)
    n_a, n_b = int(round(total_a)), int(round(total_b))
    result = {"effect": None, "ci_low": None, "ci_high": None, "n_a": n_a, "n_b": n_b,
              "mean_a": mean_a if n_a else None, "mean_b": mean_b if n_b else None}
    if n_a < 2 or n_b < 2:
        return result
    # Each mean's squared standard error, and Welch-Satterthwaite's degrees of freedom.
    error_a, error_b = squares_a / total_a / (total_a - 1), squares_b / total_b / (total_b - 1)
    effect = mean_a - mean_b
    with np.errstate(divide="ignore", invalid="ignore"):
        degrees = np.float64(error_a + error_b) ** 2 / (error_a**2 / (total_a - 1) + error_b**2 / (total_b - 1))
        half_width = _t_quantile(confidence, degrees) * np.sqrt(error_a + error_b)
    low, high = effect - half_width, effect + half_width
    low, high = clipped(low if low == low else effect, high if high == high else effect, difference_scale(scale))
    return result | {"effect": effect, "ci_low": float(low), "ci_high": float(high)}


def proportion_difference(successes_a, n_a, successes_b, n_b, confidence: float = CONFIDENCE) -> dict:
    """Share of ``a`` minus share of ``b`` with Newcombe's hybrid score interval (statsmodels'
    ``confint_proportions_2indep(method="newcomb")``: each share's Wilson interval), and both n."""
    result = {"effect": None, "ci_low": None, "ci_high": None, "n_a": int(n_a), "n_b": int(n_b)}
    if not n_a or not n_b:
        return result
    share_a, share_b = successes_a / n_a, successes_b / n_b
    (low_a, high_a), (low_b, high_b) = (wilson_interval(successes_a, n_a, confidence),
                                        wilson_interval(successes_b, n_b, confidence))
    effect = share_a - share_b
    low = effect - np.sqrt((share_a - low_a) ** 2 + (high_b - share_b) ** 2)
    high = effect + np.sqrt((share_b - low_b) ** 2 + (high_a - share_a) ** 2)
    return result | {"effect": effect, "ci_low": float(low), "ci_high": float(high)}


def verdict(difference: dict, lower: str = "clearly lower", higher: str = "clearly higher", unit: str = "answers") -> str:
    """What an interval of a difference lets one say: ``lower``/``higher`` when it excludes 0,
    "no clear difference" when it spans 0, "too few answers to tell" below MIN_ANSWERS a side."""
    if difference.get("effect") is None or min(difference["n_a"], difference["n_b"]) < MIN_ANSWERS:
        return f"too few {unit} to tell"
    if difference["ci_high"] < 0:
        return lower
    if difference["ci_low"] > 0:
        return higher
    return "no clear difference"


def linear_fit(x, y, confidence: float = CONFIDENCE) -> dict:
    """Ordinary least squares of y on x (statsmodels): slope, its interval, intercept, R², p, n."""
    import statsmodels.api as sm

    points = pd.DataFrame({"x": x, "y": y}, dtype=float).dropna()
    empty = {"n": len(points), "slope": None, "ci_low": None, "ci_high": None, "intercept": None, "r2": None, "p_value": None}
    if len(points) < 3 or points["x"].nunique() < 2:
        return empty
    fit = sm.OLS(points["y"], sm.add_constant(points["x"])).fit()
    low, high = fit.conf_int(alpha=1 - confidence).loc["x"]
    return {"n": len(points), "slope": float(fit.params["x"]), "ci_low": float(low), "ci_high": float(high),
            "intercept": float(fit.params["const"]), "r2": float(fit.rsquared), "p_value": float(fit.pvalues["x"])}
