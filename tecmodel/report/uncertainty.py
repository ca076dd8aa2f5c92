"""Readable terminal tables of the uncertainty analyses: Sobol' indices, Shapley effects,
convergence, Monte Carlo summaries and tornado data.

This module owns how those results look on a terminal. It formats; it computes nothing.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import xarray as xr

from tecmodel.model.tables import SIGNED_METRICS
from tecmodel.report.labels import metric_label
from tecmodel.report.text import display_unit, format_value


def _index(value: float, half_width: float) -> str:
    if math.isnan(value):
        return "-"
    if value != 0.0 and abs(value) < 0.0005:
        return f"{value:.1e} ± {half_width:.0e}"
    return f"{value:6.3f} ± {half_width:.3f}"


def sobol_table(dataset: xr.Dataset, metric: str) -> pd.DataFrame:
    """S1 and ST with their confidence half-widths: rows factors, columns (site, index)."""
    columns = {}
    for site in dataset["site"].values:
        for index in ("S1", "ST"):
            values = dataset[index].sel(metric=metric, site=site).values
            halves = dataset[f"{index}_conf"].sel(metric=metric, site=site).values
            columns[(str(site), index)] = [
                _index(v, h) for v, h in zip(values, halves, strict=True)
            ]
    table = pd.DataFrame(columns, index=[str(f) for f in dataset["factor"].values])
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["site", "index"])
    return table


def ranking(dataset: xr.Dataset, metric: str, site: str, index: str = "ST") -> str:
    """Factors ordered by an index, e.g. ``chip_cost (0.91) > utilisation (0.08) > ...``."""
    values = (
        dataset[index]
        .sel(metric=metric, site=site)
        .to_series()
        .dropna()
        .sort_values(ascending=False)
    )
    return " > ".join(f"{factor} ({value:.2f})" for factor, value in values.items()) or "-"


def sobol_text(dataset: xr.Dataset) -> str:
    """Every metric's S1/ST table and the ranking of the factors on each site."""
    attrs = dataset.attrs
    lines = [
        f"{attrs.get('case', '')}: Sobol' indices, N = {attrs['n']} ({attrs['evaluations']:,} model "
        f"evaluations), seed {attrs['seed']}, ± = half-width of the {attrs['confidence']:.0%} bootstrap "
        "confidence interval",
        "",
    ]
    for metric in dataset["metric"].values:
        lines.append(f"{metric}:")
        lines.append(sobol_table(dataset, str(metric)).to_string())
        for site in dataset["site"].values:
            lines.append(f"  ranking by ST on {site}: {ranking(dataset, str(metric), str(site))}")
        undefined = int(dataset["n_undefined"].sel(metric=metric).max())
        if undefined:
            lines.append(f"  (undefined in up to {undefined} evaluations: indices NaN)")
        lines.append("")
    if "S2" in dataset:
        lines.append(
            "second order S2 on portfolio NPV (row x column):"
            if "npv" in dataset["metric"].values
            else "second order S2:"
        )
        metric = "npv" if "npv" in dataset["metric"].values else str(dataset["metric"].values[0])
        site = dataset["site"].values[-1]
        frame = dataset["S2"].sel(metric=metric, site=site).to_pandas()
        lines.append(frame.map(lambda v: "" if math.isnan(v) else f"{v:.3f}").to_string())
        lines.append("")
    return "\n".join(lines)


def convergence_text(dataset: xr.Dataset, metric: str = "npv", site: str | None = None) -> str:
    """S1 and ST of one metric at increasing N, side by side."""
    site = site if site is not None else str(dataset["site"].values[-1])
    columns = {}
    for factor in dataset["factor"].values:
        for index in ("S1", "ST"):
            values = dataset[index].sel(factor=factor, metric=metric, site=site).values
            halves = dataset[f"{index}_conf"].sel(factor=factor, metric=metric, site=site).values
            columns[(str(factor), index)] = [
                _index(v, h) for v, h in zip(values, halves, strict=True)
            ]
    table = pd.DataFrame(columns, index=pd.Index(dataset["n"].values, name="N"))
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["factor", "index"])
    head = (
        f"{dataset.attrs.get('case', '')}: convergence of the Sobol' indices of {metric} on {site}"
    )
    return head + "\n" + table.to_string()


def montecarlo_text(summary: xr.Dataset, sites: list[str] | None = None) -> str:
    """Summary statistics with confidence intervals, in display units, per site.

    A one-site case shows its site only (the portfolio is the same).
    """
    attrs = summary.attrs
    stopped = " (stopped early: tolerance reached)" if attrs.get("stopped_early") else ""
    lines = [
        f"{attrs['case']}: Monte Carlo, n = {attrs['n']:,}{stopped}, sampler {attrs['sampler']}, seed "
        f"{attrs['seed']}; value [low, high] = {attrs['confidence']:.0%} confidence interval; cvar5 = mean "
        "of the worst 5 %",
        "",
    ]
    if "debt_sizing" in attrs:
        lines.insert(1, f"debt sized once on {attrs['debt_sizing']}, fixed in every sample")
    all_sites = [str(s) for s in summary["site"].values]
    if sites is None:
        sites = all_sites[:1] if len(all_sites) == 2 else all_sites
    for site in sites:
        rows: dict[str, dict[str, str]] = {}
        for metric in summary["metric"].values:
            metric = str(metric)
            unit = display_unit(metric)
            label = f"{metric} [{unit}]" if unit else metric
            for statistic in summary["statistic"].values:
                value, low, high = (
                    float(summary[name].sel(statistic=statistic, metric=metric, site=site))
                    for name in ("value", "ci_low", "ci_high")
                )
                if statistic == "prob_negative" and metric not in SIGNED_METRICS:
                    text = "-"
                elif statistic == "prob_negative":
                    text = f"{value:.1%}  [{low:.1%}, {high:.1%}]"
                else:
                    text = (
                        f"{format_value(value, metric)}  [{format_value(low, metric)}, "
                        f"{format_value(high, metric)}]"
                    )
                rows.setdefault(str(statistic), {})[label] = text
        table = pd.DataFrame(rows).T
        undefined = summary["n_undefined"].sel(site=site)
        lines.append(f"{site}:")
        lines.append(table.to_string())
        notes = [
            f"{metric} undefined in {int(undefined.sel(metric=metric)):,} samples"
            for metric in summary["metric"].values
            if int(undefined.sel(metric=metric))
        ]
        if notes:
            lines.append("  (" + "; ".join(notes) + ")")
        if "event_probability" in summary:
            lines.append(covenant_line(summary, site))
        lines.append("")
    return "\n".join(lines)


#: How the covenant events of a study read in the terminal.
EVENT_LABELS = {
    "min_dscr_below_one": "P(min DSCR < 1.0)",
    "lock_up": "P(lock-up)",
    "default": "P(default)",
}


def covenant_line(summary: xr.Dataset, site: str) -> str:
    """The covenant probabilities of one borrower (or the portfolio), with their intervals."""
    parts = []
    for event in summary["event"].values:
        value, low, high = (
            float(summary[name].sel(event=event, site=site))
            for name in ("event_probability", "event_ci_low", "event_ci_high")
        )
        label = EVENT_LABELS.get(str(event), str(event))
        parts.append(
            f"{label} {value:.1%} [{low:.1%}, {high:.1%}]" if value == value else f"{label} -"
        )
    return "  covenants: " + "; ".join(parts)


def tornado_text(dataset: xr.Dataset, metric: str = "npv", site: str | None = None) -> str:
    """Low, base and high of one metric per factor, largest swing first."""
    site = site if site is not None else str(dataset["site"].values[-1])
    order = (
        abs(dataset["swing"].sel(metric=metric, site=site))
        .to_series()
        .sort_values(ascending=False)
        .index
    )
    base = float(dataset["base"].sel(metric=metric, site=site))
    rows = {}
    for factor in order:
        factor_units = str(dataset["factor_units"].sel(factor=factor).values)
        lows, highs = (
            dataset[name].sel(factor=factor).dropna("site").values
            for name in ("input_low", "input_high")
        )
        shown = sorted(
            {f"{low:.4g} / {high:.4g}" for low, high in zip(lows, highs, strict=True)},
            key=lambda text: float(text.split(" / ")[0]),
        )
        rows[factor] = {
            "input low / high": f"{'; '.join(shown)} {factor_units}",
            "low": format_value(
                float(dataset["low"].sel(factor=factor, metric=metric, site=site)), metric
            ),
            "high": format_value(
                float(dataset["high"].sel(factor=factor, metric=metric, site=site)), metric
            ),
        }
    head = (
        f"{dataset.attrs.get('case', '')}: tornado of {metric} [{display_unit(metric)}] on {site} "
        f"(factors at their {dataset.attrs['quantile_low']:g} / {dataset.attrs['quantile_high']:g} quantiles; "
        f"base {format_value(base, metric)})"
    )
    return head + "\n" + pd.DataFrame(rows).T.to_string()


def shapley_text(
    dataset: xr.Dataset,
    sobol: xr.Dataset | None = None,
    metric: str = "npv",
    sites: list[str] | None = None,
) -> str:
    """Shapley indices with their bootstrap intervals, beside Sobol' S1 and ST of the same factors.

    Rows are the players (factors or groups), largest share first on the portfolio; per site the
    share of the metric's variance [low, high] and, with `sobol` (a dataset of
    :func:`tecmodel.analysis.sensitivity.sobol_case.sobol` over the same factors and groups), S1 and
    ST ± their half-widths. A one-site case shows its site only (the portfolio is the same).
    """
    attrs = dataset.attrs
    level = f"{attrs['confidence']:.0%}"
    permutations = attrs["n_permutations"]
    orders = "every coalition" if permutations == "exact" else f"{permutations} random orders"
    correlation = str(attrs.get("correlation", ""))
    kept = (
        "the case's rank correlations dropped"
        if "dropped" in correlation
        else "no rank correlation among these factors"
        if correlation.startswith("independent")
        else "the case's rank correlations kept"
    )
    lines = [
        f"{attrs.get('case', '')}: Shapley effects of {metric} ({kept}); "
        f"{attrs['n_outer']:,} outer x {attrs['n_inner']} inner draws, {orders}, "
        f"{attrs['evaluations']:,} model evaluations, seed {attrs['seed']}; share of the "
        f"variance [{level} bootstrap interval]"
    ]
    if sobol is not None:
        lines.append(
            f"  beside Sobol' S1 and ST ± {sobol.attrs['confidence']:.0%} half-width "
            f"(N = {sobol.attrs['n']}, {sobol.attrs['evaluations']:,} evaluations; "
            "Sobol' indices treat the inputs as independent)"
        )
    lines.append("")
    all_sites = [str(s) for s in dataset["site"].values]
    if sites is None:
        sites = all_sites[:1] if len(all_sites) == 2 else all_sites
    shares = dataset["shapley_index"].sel(metric=metric, site=all_sites[-1]).to_series()
    for site in sites:
        selected = dataset.sel(metric=metric, site=site)
        rows: dict[str, dict[str, str]] = {}
        for factor in shares.sort_values(ascending=False).index:
            value, low, high = (
                float(selected[f"shapley_index{suffix}"].sel(factor=factor))
                for suffix in ("", "_lower", "_upper")
            )
            text = "-" if math.isnan(value) else f"{value:6.3f} [{low:6.3f}, {high:6.3f}]"
            rows[str(factor)] = {"Shapley": text}
            for index in ("S1", "ST") if sobol is not None else ():
                if factor not in sobol["factor"].values:
                    rows[str(factor)][index] = "-"
                    continue
                where = {"factor": factor, "metric": metric, "site": site}
                rows[str(factor)][index] = _index(
                    float(sobol[index].sel(where)), float(sobol[f"{index}_conf"].sel(where))
                )
        variance = float(selected["variance"])
        spread = format_value(math.sqrt(variance), metric) if variance >= 0 else "-"
        unit = display_unit(metric)
        unit = f" {unit}" if unit else ""
        lines.append(f"{site} (standard deviation of {metric}: {spread}{unit}):")
        lines.append(pd.DataFrame(rows).T.to_string())
        undefined = int(selected["n_undefined"])
        if undefined:
            lines.append(f"  ({metric} undefined in {undefined:,} evaluations: indices NaN)")
        lines.append("")
    return "\n".join(lines)


def correlated_players(shapley: xr.Dataset) -> list[tuple[str, str, float]]:
    """Pairs of players of a Shapley study whose inputs the case correlates, with the rank
    correlation [1] of the pair's most correlated columns; empty when the study dropped them.

    Read from the study's attributes: ``factors`` (each column's player, JSON) and
    ``correlation`` (the columns' Spearman matrix, JSON, or a text starting "independent").
    """
    text = str(shapley.attrs.get("correlation", ""))
    if not text.startswith("{"):
        return []
    matrix = json.loads(text)
    player_of = {
        entry["factor"]: entry["group"] for entry in json.loads(shapley.attrs.get("factors", "[]"))
    }
    columns = matrix["columns"]
    strongest: dict[tuple[str, str], float] = {}
    for i, first in enumerate(columns):
        for j in range(i + 1, len(columns)):
            rho = float(matrix["spearman"][i][j])
            pair = (player_of.get(first, first), player_of.get(columns[j], columns[j]))
            if rho == 0.0 or pair[0] == pair[1]:
                continue
            if abs(rho) > abs(strongest.get(pair, 0.0)):
                strongest[pair] = rho
    return [(first, second, rho) for (first, second), rho in strongest.items()]


def factors_of(sobol: xr.Dataset | None, shapley: xr.Dataset | None) -> list[str]:
    """The factors (players) of two analyses, in order of first appearance."""
    factors: list[str] = []
    for dataset in (sobol, shapley):
        if dataset is not None:
            factors += [str(f) for f in dataset["factor"].values if str(f) not in factors]
    return factors


def index_value(
    dataset: xr.Dataset | None, variable: str, factor: str, metric, site
) -> float | None:
    """One index, or None where the dataset lacks the factor, metric or site."""
    if dataset is None or variable not in dataset:
        return None
    try:
        return float(dataset[variable].sel(factor=factor, metric=metric, site=site))
    except KeyError:
        return None


def attribution_sentence(
    sobol: xr.Dataset | None, shapley: xr.Dataset | None, metric: str, site: str
) -> str:
    """One sentence, computed from the numbers, on whether Sobol' and Shapley attributions differ.

    A factor's attributions differ when its Shapley share lies outside [S1, ST] by more than
    the confidence half-widths (for independent inputs it lies inside: its first-order index
    plus a share of its interactions). The reason given is the one that applies: Sobol' indices
    drop the case's rank correlations, the Shapley effects keep them.

    Parameters
    ----------
    sobol, shapley : xarray.Dataset or None
        The two analyses of one case (either may be missing).
    metric, site : str
        The metric and site the sentence speaks of.

    Returns
    -------
    str
    """
    label = f"{metric_label(metric)} ({site})"
    pairs = correlated_players(shapley) if shapley is not None else []
    correlated = ", ".join(f"{a} and {b} ({rho:+.2f})" for a, b, rho in pairs)
    if sobol is None or shapley is None:
        if shapley is not None and pairs:
            return (
                f"Shapley shares of the variance of {label} keep the case's rank correlations "
                f"({correlated}); no Sobol' indices to compare in this report."
            )
        return f"Shares of the variance of {label}; only one method in this report."
    rows = []
    for factor in factors_of(sobol, shapley):
        values = [
            index_value(sobol, "S1", factor, metric, site),
            index_value(sobol, "ST", factor, metric, site),
            index_value(shapley, "shapley_index", factor, metric, site),
        ]
        if any(value is None for value in values):
            continue
        slack = (index_value(sobol, "S1_conf", factor, metric, site) or 0.0) + (
            index_value(shapley, "shapley_index_conf", factor, metric, site) or 0.0
        )
        s1, st, share = values
        outside = share < min(s1, st) - slack or share > max(s1, st) + slack
        rows.append((factor, s1, st, share, outside))
    if not rows:
        return f"Sobol' and Shapley analyses of {label} share no factor to compare."
    differing = [row for row in rows if row[4]]
    sobol_first = max(rows, key=lambda r: r[2])[0]
    shapley_first = max(rows, key=lambda r: r[3])[0]
    ranking = (
        f" The largest share moves from {sobol_first} (Sobol' ST) to {shapley_first} (Shapley)."
        if sobol_first != shapley_first
        else f" Both rank {sobol_first} first."
    )
    if differing:
        listed = "; ".join(
            f"{factor} {share:.2f} against S1 {s1:.2f} and ST {st:.2f}"
            for factor, s1, st, share, _o in differing
        )
        why = (
            f"the case rank-correlates {correlated}; Sobol' indices drop those correlations and "
            "Shapley effects keep them, which changes how much variance the correlated factors "
            "carry together, and with it every factor's share"
            if pairs
            else "the inputs are independent, so the difference is sampling error beyond the "
            "stated confidence; increase the sample sizes"
        )
        return f"Shapley and Sobol' differ for {label}: {listed}. Why: {why}.{ranking}"
    if pairs:
        return (
            f"Shapley and Sobol' agree for {label} within their confidence: the case "
            f"rank-correlates {correlated}, which Sobol' drops and Shapley keeps, but here that "
            f"moves no share beyond the sampling error.{ranking}"
        )
    return (
        f"Shapley and Sobol' agree for {label}: the factors are independent in this case, so "
        f"each Shapley share lies between its S1 and ST (within the confidence).{ranking}"
    )
