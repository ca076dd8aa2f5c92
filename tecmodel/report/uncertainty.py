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
        lines.append("")
    return "\n".join(lines)


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
    player_of = {entry["factor"]: entry["group"] for entry in json.loads(shapley.attrs["factors"])}
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


def shapley_sobol_sentence(
    shapley: xr.Dataset, sobol: xr.Dataset, metric: str = "npv", site: str | None = None
) -> str:
    """One sentence saying whether the Shapley effects and the Sobol' indices of the same players
    tell the same story, and why they differ where they do.

    Without correlated inputs a player's Shapley share lies between its S1 and ST (its first-order
    effect plus an equal share of each interaction it takes part in), so the two agree up to the
    interactions. With correlated inputs Sobol' indices (which assume independence) and Shapley
    effects (which keep the case's rank correlations) answer different questions; the sentence
    names the correlated pairs, the player whose share moves most and whether the ranking changes.

    Parameters
    ----------
    shapley : xarray.Dataset
        :func:`tecmodel.analysis.sensitivity.shapley_case.shapley` output.
    sobol : xarray.Dataset
        :func:`tecmodel.analysis.sensitivity.sobol_case.sobol` output over the same players.
    metric : str
        Metric compared.
    site : str, optional
        Site compared; default the portfolio (or the last site).
    """
    site = site or str(shapley["site"].values[-1])
    players = [str(f) for f in shapley["factor"].values if f in sobol["factor"].values]
    share = shapley["shapley_index"].sel(metric=metric, site=site, factor=players).to_series()
    first = sobol["S1"].sel(metric=metric, site=site, factor=players).to_series()
    total = sobol["ST"].sel(metric=metric, site=site, factor=players).to_series()
    by_shapley = list(share.sort_values(ascending=False).index)
    by_sobol = list(total.sort_values(ascending=False).index)
    order = " > ".join(by_shapley)
    pairs = correlated_players(shapley)
    if not pairs:
        return (
            f"{metric} at {site}: the study correlates none of these players, so each Shapley "
            "share is its first-order Sobol' index plus an equal share of its interactions and "
            f"the two agree ({order} by both"
            + (
                ")."
                if by_shapley == by_sobol
                else "; the order differs only within the intervals)."
            )
        )
    in_pairs = [player for player in players if any(player in pair[:2] for pair in pairs)]
    shifts = "; ".join(
        f"{player}: Shapley {share[player]:.3f} against S1 {first[player]:.3f}"
        for player in in_pairs
    )
    named = ", ".join(f"{a} and {b} (rank correlation {rho:+.2f})" for a, b, rho in pairs)
    ranking_text = (
        "the ranking is the same"
        if by_shapley == by_sobol
        else f"the ranking changes from {' > '.join(by_sobol)} (Sobol' ST) to {order} (Shapley)"
    )
    return (
        f"{metric} at {site}: Sobol' indices drop the case's rank correlation of {named}, which "
        "the Monte Carlo and the Shapley effects keep; with it respected the variance is shared "
        f"differently ({shifts}) and "
        f"{ranking_text}."
    )
