"""Real-options results as text: the table the command line prints and the sentences a notebook
or a workbook shows, computed from the numbers of :func:`tecmodel.real_options`.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from tecmodel.analysis.options.outputs import OPTION_OUTPUTS, option_display

#: Rows of the headline table (per rule where the output has a rule).
HEADLINE_ROWS = (
    "value_committed",
    "value_flexible",
    "value_flexible_in_sample",
    "value_of_flexibility",
    "value_of_waiting",
    "never_probability",
    "most_likely_year",
)
RULE_TITLES = {"least_squares": "least squares", "trigger": "trigger rule"}


def with_error(dataset: xr.Dataset, name: str, **where) -> str:
    """``value ± standard error`` of one output, in its display unit."""
    value = float(dataset[name].sel(**where))
    text = option_display(name, value)
    error_name = f"{name}_standard_error"
    if error_name in dataset and math.isfinite(value):
        error = float(dataset[error_name].sel(**where))
        output = OPTION_OUTPUTS[name]
        if math.isfinite(error):
            number, _, unit = text.partition(" ")
            scaled = output.display_format.format(error * output.display_scale)
            text = f"{number} ± {scaled} {unit}".rstrip()
    return text


def trigger_sentence(dataset: xr.Dataset, decision: str) -> str:
    """The trigger rule in words a committee can follow."""
    one = dataset.sel(decision=decision)
    side = "above" if float(one["trigger_direction"]) > 0 else "below"
    years = int(one["trigger_persistence"])
    names = dataset.attrs.get("trigger_index", dataset.attrs["main_state"])
    index = names.split(", ")[list(dataset["decision"].values).index(decision)]
    relative = "its central path" if " / " not in index else "the ratio of their central paths"
    return (
        f"build when {index} has been {side} {float(one['trigger_threshold']):.3f} x "
        f"{relative} for {years} consecutive year{'s' if years != 1 else ''}"
    )


def options_table(dataset: xr.Dataset) -> str:
    """The readable table of a real-options dataset: headline values with standard errors, then
    the build probabilities and the boundary by decision year."""
    lines = [
        f"Real options of {dataset.attrs['case']}: {dataset.attrs['n_regression']:,} regression "
        f"+ {dataset.attrs['n']:,} valuation paths, seed {dataset.attrs['seed']}",
        "Simulation results (least-squares Monte Carlo): means over the valuation paths, "
        "EUR discounted to the first model year, ± one standard error.",
    ]
    for decision in dataset["decision"].values:
        one = dataset.sel(decision=decision)
        if is_refresh(one):
            lines += ["", *_refresh_lines(one)]
            continue
        lines += ["", f"Decision {decision} (site {one['site'].item()})"]
        width = max(len(OPTION_OUTPUTS[name].label) for name in HEADLINE_ROWS) + 2
        lines.append(
            " " * width + "".join(f"{RULE_TITLES[rule]:>26}" for rule in dataset["rule"].values)
        )
        for name in HEADLINE_ROWS:
            label = OPTION_OUTPUTS[name].label.ljust(width)
            if "rule" in dataset[name].dims:
                cells = [with_error(one, name, rule=rule) for rule in dataset["rule"].values]
            else:
                cells = [with_error(one, name)]
            lines.append(label + "".join(f"{cell:>26}" for cell in cells))
        lines.append(f"Trigger rule: {trigger_sentence(dataset, decision)}.")
        lines += ["", _by_year(one)]
    lines += ["", "Definitions:"]
    kinds = {is_refresh(dataset.sel(decision=name)) for name in dataset["decision"].values}
    defined = ["value_committed", "value_flexible", "value_of_flexibility"]
    if False in kinds:
        defined += ["value_of_waiting", "exercise_boundary"]
    if True in kinds:
        defined += ["action_probability", "value_by_policy"]
    for name in defined:
        lines.append(f"  {OPTION_OUTPUTS[name].label}: {OPTION_OUTPUTS[name].long_name}.")
    return "\n".join(lines)


def is_refresh(one: xr.Dataset) -> bool:
    """Whether a decision of the dataset is a refresh decision."""
    return "action_kind" in one.coords and one["action_kind"].item() == "refresh"


#: Rows of a refresh decision's table (the trigger rule does not apply there).
REFRESH_ROWS = (
    "value_committed",
    "value_flexible",
    "value_flexible_in_sample",
    "value_of_flexibility",
    "never_probability",
)
#: Policies listed under a refresh decision: the best by their committed NPV.
POLICIES_SHOWN = 5


def _refresh_lines(one: xr.Dataset) -> list[str]:
    """A refresh decision: its values, the probability of each action at each refresh round and
    the best fixed policies."""
    least = one.sel(rule="least_squares")
    width = max(len(OPTION_OUTPUTS[name].label) for name in REFRESH_ROWS) + 2
    lines = [
        f"Decision {one['decision'].item()} (site {one['site'].item()}): at each accelerator "
        "refresh, refresh, skip, or stop and sell",
        " " * width + f"{RULE_TITLES['least_squares']:>26}",
    ]
    for name in REFRESH_ROWS:
        where = {"rule": "least_squares"} if "rule" in one[name].dims else {}
        lines.append(
            OPTION_OUTPUTS[name].label.ljust(width) + f"{with_error(one, name, **where):>26}"
        )
    lines += [
        "",
        f"{'refresh year':>13}{'refresh [%]':>13}{'skip [%]':>10}{'stop [%]':>10}"
        f"{'stopped by then [%]':>21}",
    ]
    probability = one["action_probability"]
    for year in one["year"].values:
        at = probability.sel(year=year)
        if not np.isfinite(at.values).all():
            continue
        cumulative = float(least["cumulative_exercise_probability"].sel(year=year))
        lines.append(
            f"{int(year):>13}"
            + "".join(
                f"{100 * float(at.sel(action=action)):>{size}.1f}"
                for action, size in (("refresh", 13), ("skip", 10), ("stop", 10))
            )
            + f"{100 * cumulative:>21.1f}"
        )
    values = one["value_by_policy"].dropna("policy")
    best = values.sortby(values, ascending=False).isel(policy=slice(0, POLICIES_SHOWN))
    lines += ["", f"Best policies if committed today (of {values.sizes['policy']}):"]
    for policy in best["policy"].values:
        lines.append(f"  {str(policy):<40}{with_error(one, 'value_by_policy', policy=policy):>26}")
    return lines


def _by_year(one: xr.Dataset) -> str:
    header = (
        f"{'year':>6}{'NPV if committed [EUR M]':>28}{'build LS [%]':>14}{'by then [%]':>13}"
        f"{'build trigger [%]':>19}{'boundary [1]':>14}{'builds':>8}"
    )
    rows = [header]
    for year in one["year"].values:
        at = one.sel(year=year)
        committed = float(at["value_by_decision_year"])
        if not math.isfinite(committed):
            continue
        boundary = float(at["exercise_boundary"])
        side = {1.0: "above", -1.0: "below"}.get(float(at["exercise_side"]), "")
        rows.append(
            f"{int(year):>6}"
            f"{committed / 1e6:>28,.1f}"
            f"{100 * float(at['exercise_probability'].sel(rule='least_squares')):>14.1f}"
            f"{100 * float(at['cumulative_exercise_probability'].sel(rule='least_squares')):>13.1f}"
            f"{100 * float(at['exercise_probability'].sel(rule='trigger')):>19.1f}"
            f"{(f'{boundary:.3f}' if math.isfinite(boundary) else '-'):>14}"
            f"{side:>8}"
        )
    return "\n".join(rows)


def answer_sentence(dataset: xr.Dataset, decision: str | None = None) -> str:
    """Whether to commit the site now or keep it as an option, and what the option is worth, in
    words computed from the numbers (the least-squares rule; differences judged at two standard
    errors)."""
    decision = decision or str(dataset["decision"].values[0])
    one = dataset.sel(decision=decision)
    if is_refresh(one):
        return refresh_sentence(one)
    least = one.sel(rule="least_squares")
    committed = float(one["value_committed"])
    flexible = float(least["value_flexible"])
    gain = float(least["value_of_flexibility"])
    gain_error = float(least["value_of_flexibility_standard_error"])
    never = float(least["never_probability"])
    year = float(least["most_likely_year"])
    significant = gain > 2 * gain_error
    verdict = (
        "keep it as an option rather than commit it now"
        if significant
        else "commit it now: waiting adds no value distinguishable from the simulation error"
    )
    probability = least["exercise_probability"]
    likely = (
        f"it most often builds the site after a decision in {int(year)} "
        f"({100 * float(probability.sel(year=year)):.0f} % of the paths)"
        if math.isfinite(year)
        else "it never builds the site"
    )
    trigger = one.sel(rule="trigger")
    return (
        f"Committed today, site {one['site'].item()} is worth {committed / 1e6:,.0f} M EUR "
        f"(± {float(one['value_committed_standard_error']) / 1e6:,.0f}); kept as an option it is "
        f"worth {flexible / 1e6:,.0f} M EUR (± {float(least['value_flexible_standard_error']) / 1e6:,.0f}), "
        f"so the flexibility is worth {gain / 1e6:,.0f} M EUR (± {gain_error / 1e6:,.0f}). "
        f"The analysis says: {verdict}. The least-squares rule decides from the prices observed "
        f"each year; {likely}, and never builds it on {100 * never:.0f} % of the paths. The "
        "simple trigger rule "
        f"({trigger_sentence(dataset, decision)}) is worth "
        f"{float(trigger['value_flexible']) / 1e6:,.0f} M EUR, "
        f"{_share(float(trigger['value_flexible']) - committed, gain)} of the flexibility."
    )


def _share(part: float, whole: float) -> str:
    if not whole > 0:
        return "none"
    return f"{100 * np.clip(part / whole, -9.99, 9.99):.0f} %"


def refresh_sentence(one: xr.Dataset) -> str:
    """A refresh decision in words computed from its numbers (least-squares rule; the gain
    judged at two standard errors)."""
    least = one.sel(rule="least_squares")
    committed = float(one["value_committed"])
    flexible = float(least["value_flexible"])
    gain = float(least["value_of_flexibility"])
    gain_error = float(least["value_of_flexibility_standard_error"])
    probability = one["action_probability"].dropna("year", how="all")
    years = [int(year) for year in probability["year"].values]
    stopped = 1.0 - float(least["never_probability"])
    skipped = float(probability.sel(action="skip").sum())
    verdict = (
        "decide at each refresh rather than commit to every refresh now"
        if gain > 2 * gain_error
        else "commit to refreshing: deciding at each refresh adds no value distinguishable "
        "from the simulation error"
    )
    return (
        f"Committed to refreshing its accelerators at every refresh ({', '.join(map(str, years))}), "
        f"site {one['site'].item()} is worth {committed / 1e6:,.0f} M EUR "
        f"(± {float(one['value_committed_standard_error']) / 1e6:,.0f}); deciding at each "
        f"refresh to refresh, skip, or stop and sell, it is worth {flexible / 1e6:,.0f} M EUR "
        f"(± {float(least['value_flexible_standard_error']) / 1e6:,.0f}), so the flexibility is "
        f"worth {gain / 1e6:,.0f} M EUR (± {gain_error / 1e6:,.0f}). The analysis says: "
        f"{verdict}. The least-squares rule stops and sells the accelerators by {years[-1]} on "
        f"{100 * stopped:.0f} % of the paths and skips a refresh on {100 * skipped:.0f} % "
        "(counted per refresh)."
    )
