"""Figures of a real-options study (:func:`tecmodel.real_options`): the build probability by
decision year, the exercise boundary, and the distribution of the flexible against the committed
NPV. Every number comes from the study's dataset.
"""

from __future__ import annotations

import numpy as np

from tecmodel.report.figures.style import DOWN, SERIES_COLOURS, TOTAL, new_figure

RULE_LABELS = {"least_squares": "least-squares rule", "trigger": "trigger rule"}


def _decision(dataset, decision):
    name = str(dataset["decision"].values[0]) if decision is None else decision
    return name, dataset.sel(decision=name)


def exercise_probability_chart(dataset, decision: str | None = None):
    """Probability of building in each decision year (bars) and by then (lines), per rule, with
    two standard errors.

    Parameters
    ----------
    dataset : xarray.Dataset
        From :func:`tecmodel.real_options`.
    decision : str, optional
        A decision's name (the first by default).
    """
    name, one = _decision(dataset, decision)
    years = one["year"].values
    figure = new_figure(9.0, 4.8)
    axes = figure.subplots()
    width = 0.38
    for position, rule in enumerate(one["rule"].values):
        at = one.sel(rule=rule)
        colour = SERIES_COLOURS[position]
        offset = (position - 0.5) * width
        axes.bar(
            years + offset,
            100 * at["exercise_probability"].values,
            width,
            yerr=200 * at["exercise_probability_standard_error"].values,
            color=colour,
            alpha=0.75,
            label=f"{RULE_LABELS.get(str(rule), rule)}: in the year",
        )
        axes.plot(
            years,
            100 * at["cumulative_exercise_probability"].values,
            color=colour,
            marker="o",
            label=f"{RULE_LABELS.get(str(rule), rule)}: by then",
        )
    axes.set_xlabel("Decision year (construction starts after the lag)")
    axes.set_ylabel("Build probability [%]")
    axes.set_ylim(0, 100)
    axes.set_xticks(years)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    axes.set_title(
        f"{name}: when the site is built ({dataset.attrs['n']:,} valuation paths; bars ± 2 s.e.)"
    )
    return figure


def exercise_boundary_chart(dataset, decision: str | None = None):
    """The least-squares rule's exercise boundary by decision year, ± 2 standard errors, and
    the trigger rule's threshold.

    Parameters
    ----------
    dataset : xarray.Dataset
        From :func:`tecmodel.real_options`.
    decision : str, optional
    """
    name, one = _decision(dataset, decision)
    years = one["year"].values
    boundary = one["exercise_boundary"].values
    error = one["exercise_boundary_standard_error"].values
    side = one["exercise_side"].values
    figure = new_figure(9.0, 4.8)
    axes = figure.subplots()
    for value, colour, label in ((1.0, TOTAL, "builds above"), (-1.0, DOWN, "builds below")):
        shown = side == value
        if shown.any():
            axes.errorbar(
                years[shown],
                boundary[shown],
                yerr=2 * np.nan_to_num(error[shown]),
                fmt="o",
                color=colour,
                capsize=4,
                label=f"least-squares boundary ({label})",
            )
    axes.axhline(1.0, color="black", linewidth=0.8, label="central path")
    trigger_side = "above" if float(one["trigger_direction"]) > 0 else "below"
    names = dataset.attrs.get("trigger_index", dataset.attrs["main_state"])
    trigger_index = names.split(", ")[list(dataset["decision"].values).index(name)]
    axes.axhline(
        float(one["trigger_threshold"]),
        color=SERIES_COLOURS[1],
        linestyle="--",
        label=(
            f"trigger threshold on {trigger_index} (builds {trigger_side}, "
            f"{int(one['trigger_persistence'])} yr)"
        ),
    )
    state = dataset.attrs["main_state"].split(", ")[list(dataset["decision"].values).index(name)]
    axes.set_xlabel("Decision year")
    axes.set_ylabel(f"{state} / its central path [1]")
    axes.set_xticks(years)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    axes.set_title(f"{name}: exercise boundary (other states at their median)")
    return figure


def option_value_distribution(dataset, decision: str | None = None):
    """Distribution of the NPV committed today against the NPV the least-squares rule realises,
    on the same valuation paths, with their means.

    Parameters
    ----------
    dataset : xarray.Dataset
        From :func:`tecmodel.real_options`.
    decision : str, optional
    """
    name, one = _decision(dataset, decision)
    committed = one["committed_npv"].values / 1e6
    flexible = one["flexible_npv"].sel(rule="least_squares").values / 1e6
    low, high = np.percentile(np.concatenate([committed, flexible]), [0.5, 99.5])
    bins = np.linspace(low, high, 60)
    figure = new_figure(9.0, 4.8)
    axes = figure.subplots()
    for values, colour, label in (
        (committed, SERIES_COLOURS[0], "committed today"),
        (flexible, SERIES_COLOURS[1], "kept as an option (least-squares rule)"),
    ):
        axes.hist(values, bins=bins, color=colour, alpha=0.5, label=label)
        axes.axvline(values.mean(), color=colour, linewidth=1.8)
    axes.axvline(0.0, color="black", linewidth=0.8)
    axes.set_xlabel("NPV of the site [EUR M], discounted to the first model year")
    axes.set_ylabel("Valuation paths")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    axes.set_title(
        f"{name}: committed mean {committed.mean():,.0f}, flexible mean {flexible.mean():,.0f} "
        "EUR M (lines)"
    )
    return figure
