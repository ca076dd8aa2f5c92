"""The declared outputs of a real-options analysis: unit, definition, label and format of each.

Like :data:`tecmodel.model.outputs.METRICS` for the model's metrics, :data:`OPTION_OUTPUTS`
declares every variable of :func:`tecmodel.real_options`'s dataset once; the dataset's ``units``
and ``long_name`` attributes, the terminal table, the workbook sheet and the docs are generated
from it. Every value is a simulation result: a mean over price paths, with a standard error
(``<name>_standard_error``) where one exists.
"""

from __future__ import annotations

import xarray as xr

from tecmodel.model.outputs import Direction, Metric

_MONEY = ("EUR M", 1e-6, "{:,.1f}")
_SHARE = ("%", 100.0, "{:.1f}")
_INDEX = ("", 1.0, "{:.3f}")
_YEAR = ("", 1.0, "{:.0f}")
_UP = Direction.HIGHER_IS_BETTER

#: Every output of a real-options analysis, in the order the tables show them.
OPTION_OUTPUTS: dict[str, Metric] = {
    "value_committed": Metric(
        "EUR",
        "Static NPV of the site committed today to its stated plan (refresh decisions: to "
        "refreshing at every refresh): the mean over the valuation paths of its unlevered NPV at "
        "finance.discount_rate, discounted to the first model year",
        "Committed NPV",
        *_MONEY,
        _UP,
        True,
    ),
    "value_flexible": Metric(
        "EUR",
        "Value of the site as an option: the mean over the valuation paths of the NPV of building "
        "in the year the rule chooses (0 where it never builds; refresh decisions: of the site "
        "under the actions the rule chooses at each refresh), discounted to the first model "
        "year; the rule is fitted on independent regression paths, so the estimate is biased low",
        "Flexible value",
        *_MONEY,
        _UP,
        True,
    ),
    "value_flexible_in_sample": Metric(
        "EUR",
        "The same rule's mean value on its own regression paths (biased high by foresight); the "
        "gap to value_flexible shows the regression's foresight bias",
        "Flexible value (regression paths)",
        *_MONEY,
        _UP,
    ),
    "value_of_flexibility": Metric(
        "EUR",
        "value_flexible - value_committed, path by path on the same valuation paths: what keeping "
        "the site as an option (build later or never; refresh, skip or stop at each refresh) "
        "adds to committing it today",
        "Value of flexibility",
        *_MONEY,
        _UP,
        True,
    ),
    "value_of_waiting": Metric(
        "EUR",
        "value_flexible - max(value_committed, 0): what the option adds to deciding now or never "
        "(build today if the committed NPV is positive, else never); defined where the window "
        "opens in the plan's own decision year",
        "Value of waiting",
        *_MONEY,
        _UP,
        True,
        "the window opens after the plan's decision year",
    ),
    "value_by_decision_year": Metric(
        "EUR",
        "Static NPV of the site committed today to start after a decision in each year of the "
        "window: the mean over the valuation paths, discounted to the first model year",
        "NPV if committed to that year",
        *_MONEY,
        _UP,
    ),
    "exercise_probability": Metric(
        "1",
        "Share of the valuation paths on which the rule exercises the option in each decision "
        "year: builds the site (build), or stops and sells its accelerators at that refresh "
        "(refresh)",
        "Exercise probability (build; refresh: stop)",
        *_SHARE,
    ),
    "cumulative_exercise_probability": Metric(
        "1",
        "Share of the valuation paths on which the rule has exercised the option (built; "
        "refresh: stopped) by each decision year",
        "Cumulative exercise probability",
        *_SHARE,
    ),
    "never_probability": Metric(
        "1",
        "Share of the valuation paths on which the rule never exercises the option: never "
        "builds within the window (build), never stops (refresh)",
        "Never exercised",
        *_SHARE,
    ),
    "action_probability": Metric(
        "1",
        "Refresh decisions: share of the valuation paths on which the rule refreshes, skips, or "
        "stops and sells at each refresh round (the year of the round's first refresh; decided "
        "at the end of the year before); the three add up to the share still running",
        "Action probability",
        *_SHARE,
    ),
    "value_by_policy": Metric(
        "EUR",
        "Refresh decisions: static NPV of the site committed today to each policy (an action "
        "at every refresh round, e.g. refresh-skip-stop): the mean over the valuation paths, "
        "discounted to the first model year",
        "NPV if committed to that policy",
        *_MONEY,
        _UP,
    ),
    "most_likely_year": Metric(
        "year",
        "The decision year with the highest build probability",
        "Most likely build year",
        *_YEAR,
        headline=True,
        undefined="never built",
    ),
    "exercise_boundary": Metric(
        "1",
        "The least-squares rule's threshold of the main state in each decision year: the level "
        "of its process relative to its central path beyond which the rule builds (above or "
        "below: exercise_side), the other states at their median on the regression paths that "
        "year",
        "Exercise boundary",
        *_INDEX,
        undefined="no threshold within the states visited (build everywhere or nowhere)",
    ),
    "exercise_side": Metric(
        "1",
        "Side of the exercise boundary: +1 the rule builds above it, -1 below it, 0 no boundary",
        "Builds",
        "",
        1.0,
        "{:+.0f}",
    ),
    "trigger_direction": Metric(
        "1",
        "Side of the trigger rule: +1 build when the index has been above x, -1 below x",
        "Trigger side",
        "",
        1.0,
        "{:+.0f}",
    ),
    "trigger_threshold": Metric(
        "1",
        "Threshold x of the best trigger rule (build when the main state relative to its "
        "central path has been above, or below, x for y consecutive decision years), optimised "
        "on the regression paths",
        "Trigger threshold x",
        *_INDEX,
    ),
    "trigger_persistence": Metric(
        "yr",
        "Persistence y of the best trigger rule: consecutive decision years above x",
        "Trigger persistence y",
        "yr",
        1.0,
        "{:.0f}",
    ),
    "committed_npv": Metric(
        "EUR",
        "NPV of the site committed to its stated plan, on each valuation path",
        "Committed NPV by path",
        *_MONEY,
        _UP,
    ),
    "flexible_npv": Metric(
        "EUR",
        "NPV realised by the rule on each valuation path (0 where it never builds)",
        "Flexible NPV by path",
        *_MONEY,
        _UP,
    ),
}

#: Outputs that come with a ``<name>_standard_error`` variable.
WITH_STANDARD_ERROR: tuple[str, ...] = (
    "value_committed",
    "value_flexible",
    "value_flexible_in_sample",
    "value_of_flexibility",
    "value_of_waiting",
    "value_by_decision_year",
    "exercise_probability",
    "cumulative_exercise_probability",
    "never_probability",
    "exercise_boundary",
    "action_probability",
    "value_by_policy",
)

#: The rules compared: the least-squares rule and the trigger rule benchmark.
RULES = ("least_squares", "trigger")


def set_option_attributes(dataset: xr.Dataset) -> xr.Dataset:
    """Set ``units`` and ``long_name`` of every declared output and its standard error."""
    for name, output in OPTION_OUTPUTS.items():
        if name in dataset:
            dataset[name].attrs.update(units=output.units, long_name=output.long_name)
        error = f"{name}_standard_error"
        if error in dataset:
            dataset[error].attrs.update(
                units=output.units, long_name=f"Standard error of {name} (Monte Carlo)"
            )
    return dataset


def option_display(name: str, value: float) -> str:
    """A value as shown in tables: scaled, formatted, with its display unit."""
    output = OPTION_OUTPUTS[name]
    if value != value:  # NaN
        return "-"
    text = output.display_format.format(value * output.display_scale)
    return f"{text} {output.display_units}".rstrip()
