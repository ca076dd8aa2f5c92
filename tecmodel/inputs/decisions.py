"""Decisions a case declares: the real options on its sites, validated against the case.

This module owns what a ``decisions:`` entry of a case file means and when it is admissible;
how a decision is valued is :mod:`tecmodel.analysis.options`. Two actions exist: ``build``,
start the construction of a site in one year of a window, or never; and ``refresh``, at each
accelerator refresh of a site, refresh, skip or stop and sell.

Build
-----
::

    decisions:
      - name: second_site
        title: "Start building the second site when the markets justify it"
        action: build
        site: campus_ia_site2
        window:
          first: {value: 2025, unit: calendar year, source: "..."}
          last: {value: 2032, unit: calendar year, source: "..."}
        lag: {value: 1, unit: yr, source: "..."}
        state: compute_price

Timing. A decision taken at the end of year d (the prices of year d observed) starts the
site's construction ``lag`` years later. The site's stated plan (its phases, construction and
grid schedule, power contract) therefore corresponds to a decision in the *planned decision
year* ``P = first construction year - lag``, where the first construction year is the earliest
phase's online year less ``construction.build_years`` plus one. Deciding in year d moves the
whole plan ``d - P`` years later (``timeline.start_shift_years``). The site can start later than
its plan, never earlier: the window's first year is at least P and at least the model's first
year, its last at most the horizon. ``state`` names the price process whose index is the
decision's main state (the trigger rule's index and the exercise boundary's axis); by default
the process that drives ``markets.compute_price``.

Refresh
-------
::

    decisions:
      - name: site2_refresh
        title: "At each accelerator refresh: refresh, skip, or stop and sell"
        action: refresh
        site: campus_ia_site2
        state: compute_price
        source: "Where the resale curve and the fixed costs come from"

The dates are the site's own: its k-th refresh round falls in the first year one of its phases
is due for its k-th refresh (online year + k x ``chips.refresh_years``), among the refreshes
allowed before the horizon (``chips.refresh_min_remaining_years``); no window or lag is
declared. The decision of a round is taken at the end of the year before it, that year's prices
observed, and applies to the k-th refresh of every phase. At each round the holder refreshes
(buys the new generation, as the deterministic model does), skips (the generation in service
runs on for another refresh period at its ageing price) or stops and sells (the accelerators are
sold at the horizon value's resale curve; their revenue, energy and IT costs end, the facility's
fixed costs continue); after a stop nothing is left to decide. The model reads the policy from
``chips.refresh_policy`` (:func:`tecmodel.model.timeline.refresh_schedule`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tecmodel.errors import Problem
from tecmodel.inputs.messages import format_path, line_for
from tecmodel.inputs.registry import REFRESH_POLICY_ROUNDS, resolve
from tecmodel.inputs.rules import check_entry_name

if TYPE_CHECKING:
    from tecmodel.inputs.case import Case

#: Actions a decision may take.
ACTIONS = ("build", "refresh")
#: Largest lag between a decision and the first construction spend [yr].
MAX_LAG_YEARS = 10
#: The parameter whose process is the default main state.
DEFAULT_STATE_PARAMETER = "markets.compute_price"


@dataclass(frozen=True)
class Decision:
    """A validated decision: build a site in one year of a window, or never; or, at each
    accelerator refresh of a site, refresh, skip, or stop and sell.

    Attributes
    ----------
    name, title : str
    action : str
        ``"build"`` or ``"refresh"``.
    site : str
        The site built, or whose accelerators are refreshed.
    first_year, last_year : int
        The window of decision years [calendar year], inclusive; for a refresh decision the
        first and last refresh rounds' years.
    lag_years : int
        Years from a decision to the site's first construction spend [yr] (0 for refresh).
    planned_decision_year : int
        The decision year of the site's stated plan [calendar year] (build); for refresh the
        year before the first round.
    state : str
        The price process whose index is the main state.
    sources : dict of str to str
        Source of the window's ends and of the lag.
    """

    name: str
    title: str
    action: str
    site: str
    first_year: int
    last_year: int
    lag_years: int
    planned_decision_year: int
    state: str
    sources: Mapping[str, str]
    refresh_years: tuple[int, ...] = ()

    @property
    def years(self) -> Sequence[int]:
        """The decision years of the window, or the refresh rounds' years [calendar year]."""
        if self.action == "refresh":
            return self.refresh_years
        return range(self.first_year, self.last_year + 1)

    def shift(self, year: int) -> int:
        """Years by which a decision in `year` moves the site's plan [yr]."""
        return int(year) - self.planned_decision_year


def planned_decision_year(case: Case, site: str, lag_years: int) -> int:
    """The decision year of a site's stated plan: first construction year less the lag."""
    build_years = int(case.entries[(resolve("construction.build_years").name, site)].value)
    first_online = min(phase.online_year for phase in case.site(site).phases)
    return first_online - build_years + 1 - lag_years


def refresh_rounds(case: Case, site: str) -> tuple[int, ...]:
    """The years of a site's refresh rounds [calendar year]: round k falls in the first year one
    of its phases is due for its k-th refresh (online year + k x ``chips.refresh_years``, the
    stated plan), counting only the refreshes ``chips.refresh_min_remaining_years`` allows
    before the horizon (:func:`tecmodel.model.timeline.refresh_schedule`)."""

    def value(name: str) -> float:
        return float(case.entries[(resolve(name).name, site)].value)

    life = value("chips.refresh_years")
    last_year = case.end_year - max(value("chips.refresh_min_remaining_years"), 0.0) + 1.0
    rounds: list[int] = []
    for phase in case.site(site).phases:
        refresh = 1
        while phase.online_year + refresh * life <= last_year:
            year = int(phase.online_year + refresh * life)
            if refresh > len(rounds):
                rounds.append(year)
            rounds[refresh - 1] = min(rounds[refresh - 1], year)
            refresh += 1
    return tuple(rounds)


def build_decisions(
    case: Case, specs: Any, problems: list[Problem], lines: Mapping[tuple, int] | None = None
) -> tuple[Decision, ...]:
    """The case's decisions, each checked against the case.

    Parameters
    ----------
    case : Case
        The validated case (its sites, horizon, plan and processes).
    specs : list of DecisionSpec or None
        The ``decisions`` list of the case file (:class:`~tecmodel.inputs.schema.DecisionSpec`).
    problems : list of Problem
        Each problem found is appended here.
    lines : mapping of tuple to int, optional
        Line index of the case file (key path -> 1-based line).

    Returns
    -------
    tuple of Decision
    """
    lines = lines or {}

    def add(loc: tuple, message: str, value: Any = Problem.NO_VALUE) -> None:
        problems.append(Problem(format_path(loc), message, value, line_for(loc, lines)))

    decisions: list[Decision] = []
    seen: dict[str, int] = {}
    processes = case.markets.processes
    process_names = [] if processes is None else list(processes.names)
    for index, spec in enumerate(specs or []):
        loc = ("decisions", index)
        before = len(problems)
        check_entry_name(
            add,
            loc,
            spec.name,
            index,
            seen,
            kind="decision",
            listing="decisions",
        )
        if spec.site not in case.site_names:
            add(
                loc + ("site",), f"unknown site; expected one of {list(case.site_names)}", spec.site
            )
        rounds: tuple[int, ...] = ()
        if spec.action == "refresh":
            for field in ("window", "lag"):
                if getattr(spec, field) is not None:
                    add(
                        loc + (field,),
                        "a refresh decision's dates are the site's accelerator refresh years "
                        "(chips.refresh_years); expected no " + field,
                    )
            if spec.site in case.site_names:
                rounds = refresh_rounds(case, spec.site)
                if not rounds:
                    add(
                        loc + ("site",),
                        "the site has no accelerator refresh before the horizon (chips."
                        "refresh_years, chips.refresh_min_remaining_years); expected a site "
                        "with at least one",
                        spec.site,
                    )
                elif len(rounds) > REFRESH_POLICY_ROUNDS:
                    add(
                        loc + ("site",),
                        f"the site has {len(rounds)} refresh rounds; expected at most "
                        f"{REFRESH_POLICY_ROUNDS}",
                        spec.site,
                    )
            first = last = lag = None
            if rounds and len(rounds) <= REFRESH_POLICY_ROUNDS:
                first, last, lag = rounds[0], rounds[-1], 0
        elif spec.window is None or spec.lag is None:
            for field in ("window", "lag"):
                if getattr(spec, field) is None:
                    add(loc + (field,), f"a build decision needs a {field}; expected one")
            first = last = lag = None
        else:
            first = _whole(spec.window.first, "calendar year", loc + ("window", "first"), add)
            last = _whole(spec.window.last, "calendar year", loc + ("window", "last"), add)
            lag = _whole(spec.lag, "yr", loc + ("lag",), add)
        if lag is not None and not 0 <= lag <= MAX_LAG_YEARS:
            add(loc + ("lag", "value"), f"expected a whole number in [0, {MAX_LAG_YEARS}] yr", lag)
            lag = None
        state = spec.state
        if processes is None:
            add(
                loc,
                "a decision is valued on the case's price paths; expected a case with "
                "`processes:` and `drives:`",
            )
        elif state is None:
            binding = case.markets.binding(DEFAULT_STATE_PARAMETER)
            if binding is None:
                add(
                    loc + ("state",),
                    f"no process drives {DEFAULT_STATE_PARAMETER}; expected the name of the "
                    f"process to use as the main state, one of {process_names}",
                )
            else:
                state = binding.process
        elif state not in process_names:
            add(loc + ("state",), f"unknown process; expected one of {process_names}", state)
        if spec.action == "build" and first is not None and last is not None:
            if first > last:
                add(
                    loc + ("window", "last", "value"),
                    f"expected a year at or after the window's first year {first}",
                    last,
                )
            if first < case.start_year:
                add(
                    loc + ("window", "first", "value"),
                    f"expected a year at or after the model's first year {case.start_year}",
                    first,
                )
            if last > case.end_year:
                add(
                    loc + ("window", "last", "value"),
                    f"expected a year at or before the model's last year {case.end_year}",
                    last,
                )
        planned = None
        if spec.action == "refresh" and first is not None:
            planned = first - 1
        elif spec.site in case.site_names and lag is not None:
            planned = planned_decision_year(case, spec.site, lag)
            if first is not None and first < planned:
                add(
                    loc + ("window", "first", "value"),
                    f"the site can start later than its plan, not earlier: expected a year at or "
                    f"after {planned} (its first construction year {planned + lag} less the lag "
                    f"of {lag} yr)",
                    first,
                )
            shift_bound = resolve("timeline.start_shift_years").bounds[1]
            if last is not None and last - planned > shift_bound:
                add(
                    loc + ("window", "last", "value"),
                    f"expected a year at most {planned + int(shift_bound)} (the plan may move by "
                    f"at most {shift_bound:g} years)",
                    last,
                )
        if len(problems) > before:
            continue
        decisions.append(
            Decision(
                spec.name,
                spec.title,
                spec.action,
                spec.site,
                first,
                last,
                lag,
                planned,
                state,
                {
                    "window.first": spec.window.first.source,
                    "window.last": spec.window.last.source,
                    "lag": spec.lag.source,
                }
                if spec.action == "build"
                else {
                    "dates": "chips.refresh_years and chips.refresh_min_remaining_years",
                    "actions": spec.source or "",
                },
                rounds,
            )
        )
    return tuple(decisions)


def _whole(quantity: Any, unit: str, loc: tuple, add) -> int | None:
    """A quantity's value as a whole number in `unit`, or None after reporting why not."""
    if quantity.unit != unit:
        add(loc + ("unit",), f"expected the unit {unit!r}", quantity.unit)
        return None
    value = quantity.value
    if float(value) != round(float(value)):
        add(loc + ("value",), f"expected a whole number of {unit}", value)
        return None
    return int(round(float(value)))
