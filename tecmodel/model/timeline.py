"""The model's time axis: years, build phases, operation and asset vintages.

This module owns *when* things happen; the components own *how much*. It turns a case's phases
(IT MW coming online in a year) and grid-capacity schedule into arrays over
``year x site x phase`` (plus ``sample`` where a timing parameter is sampled, e.g. a delay):

- ``construction_share``: the share of a phase's facility capex spent each year, spread evenly
  over ``construction.build_years`` ending in the planned online year (the planned schedule:
  a delay does not move construction spend, only commissioning);
- ``operating_fraction``: 0 before the online year, ``timeline.first_year_fraction`` in it, 1
  after;
- asset vintages (:func:`vintages`): an asset with life L installed at online year O is renewed
  at O + L, O + 2L, ...; for each year, the year of the generation in service and its age.

Conventions: one period per calendar year, cash flows at year end, the first model year at
t = 0. A year has 8,760 hours.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from tecmodel.inputs.case import Case
from tecmodel.numerics.powers import integer_power

HOURS_PER_YEAR = 8760.0
#: Padding online year of a missing phase (sites with fewer phases than others): never online.
NEVER = 1_000_000


def build_timeline(case: Case, params: xr.Dataset, *, per_generation: bool = True) -> xr.Dataset:
    """Timeline arrays of a case.

    Parameters
    ----------
    case : Case
        Supplies the horizon, each site's phases and grid-capacity schedule.
    params : xarray.Dataset
        Parameter dataset (:func:`tecmodel.parameters.parameter_dataset`); reads
        ``timeline.delay_years`` [yr], ``timeline.first_year_fraction`` [1] and
        ``construction.build_years`` [yr].
    per_generation : bool
        Whether the components report their per-generation quantities (attribute
        ``per_generation``, 0 or 1; see
        :func:`tecmodel.model.components.markets.reported_generations`).

    Returns
    -------
    xarray.Dataset
        ``t`` (year) [yr since start]; ``phase_it_mw`` (site, phase) [MW];
        ``planned_online_year`` (site, phase) and ``online_year`` (site, phase[, sample]) [year];
        ``reference_year`` (site) [year], the planned first online year, to which the site's
        price inputs refer; ``construction_share`` (year, site, phase) [1];
        ``in_service`` and ``operating_fraction`` (year, site, phase[, sample]) [1];
        ``installed_it_mw`` (in service at year end) and ``operating_it_mw`` (year average)
        (year, site[, sample]) [MW]; ``grid_capacity_mw`` (year, site) [MW], available at the
        meter; ``grid_connection_mw`` (year, site) [MW], capacity paid for in each year (the year
        before it becomes available; capacity available from the start is paid in the first year);
        ``grid_service_mw`` (year, site) [MW], capacity entering service in each year.
        Coordinate ``generation`` (1, 2, ...): the accelerator generations a site buys, 1 at
        each phase's online year and k + 1 at its k-th refresh (``chips.refresh_years``).
    """
    years = np.arange(case.start_year, case.end_year + 1)
    sites = list(case.site_names)
    n_phases = max(len(site.phases) for site in case.sites)
    planned = np.full((len(sites), n_phases), NEVER, dtype=float)
    it_mw = np.zeros((len(sites), n_phases))
    for i, site in enumerate(case.sites):
        for j, phase in enumerate(site.phases):
            planned[i, j] = phase.online_year
            it_mw[i, j] = phase.it_mw
    shift = params["timeline.start_shift_years"]
    capacity, connection_mw, service_mw = _grid_schedule(case, years, shift)

    coords = {"year": years, "site": sites, "phase": np.arange(n_phases)}
    year = xr.DataArray(years, dims="year", coords={"year": years})
    stated_online = xr.DataArray(
        planned, dims=("site", "phase"), coords={"site": sites, "phase": coords["phase"]}
    )
    phase_it_mw = xr.DataArray(it_mw, dims=("site", "phase"), coords=stated_online.coords)
    # A later start moves the whole plan; the prices keep the stated reference year.
    planned_online = stated_online + shift
    online = planned_online + params["timeline.delay_years"]
    build_years = params["construction.build_years"]
    first_spend = planned_online - build_years + 1

    construction_share = ((year >= first_spend) & (year <= planned_online)) / build_years
    in_service = (year >= online).astype(float)
    first_year = year == online
    operating = xr.where(first_year, params["timeline.first_year_fraction"], in_service)

    timeline = xr.Dataset(
        {
            "t": (year - case.start_year).astype(float),
            "phase_it_mw": phase_it_mw,
            "planned_online_year": planned_online,
            "online_year": online,
            "reference_year": stated_online.min("phase"),
            "construction_share": _year_first(construction_share),
            "in_service": _year_first(in_service),
            "operating_fraction": _year_first(operating),
            "grid_capacity_mw": capacity,
            "grid_connection_mw": connection_mw,
            "grid_service_mw": service_mw,
        },
        attrs={
            "start_year": case.start_year,
            "end_year": case.end_year,
            "per_generation": int(per_generation),
        },
    )
    # The generations of accelerators a site buys (1: at each phase's online year; k + 1: at its
    # k-th refresh), as many as the site with most buys over the horizon on the planned dates.
    refresh = np.broadcast_to(np.asarray(params["chips.refresh_years"], dtype=float), (len(sites),))
    remaining = np.broadcast_to(
        np.asarray(params["chips.refresh_min_remaining_years"], dtype=float), (len(sites),)
    )
    # 0 (refresh whenever due) allows a refresh up to the last year, as 1 does.
    last_refresh = years[-1] - np.maximum(remaining, 1.0) + 1.0 - planned.min(axis=1)
    count = int(np.nanmax(1.0 + np.floor(np.maximum(last_refresh, 0.0) / refresh)))
    timeline = timeline.assign_coords(generation=np.arange(1, max(count, 1) + 1))
    timeline["installed_it_mw"] = (timeline["in_service"] * phase_it_mw).sum("phase", skipna=False)
    timeline["operating_it_mw"] = (timeline["operating_fraction"] * phase_it_mw).sum(
        "phase", skipna=False
    )
    units = {
        "t": "yr",
        "phase_it_mw": "MW",
        "installed_it_mw": "MW",
        "operating_it_mw": "MW",
        "grid_connection_mw": "MW",
        "grid_service_mw": "MW",
        "planned_online_year": "year",
        "online_year": "year",
        "reference_year": "year",
        "construction_share": "1",
        "in_service": "1",
        "operating_fraction": "1",
        "grid_capacity_mw": "MW",
    }
    for name, unit in units.items():
        timeline[name].attrs["units"] = unit
    return timeline


def _grid_schedule(
    case: Case, years: np.ndarray, shift: xr.DataArray
) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    """Grid capacity available, paid for and entering service (year, site[, ...]) [MW].

    Each site's stated schedule, later by its ``timeline.start_shift_years`` (whole years; any
    extra dimension of the shift, e.g. candidate start years, is kept). Capacity is paid for the
    year before it becomes available; capacity available at the start (or before) is paid in
    the first model year.
    """
    sites = list(case.site_names)
    shift = xr.DataArray(shift).broadcast_like(xr.DataArray(np.zeros(len(sites)), dims="site"))
    shift = shift.transpose("site", ...)
    steps = np.rint(shift.values).astype(int)
    # The stated schedule over every year a shifted schedule reads: the year before the start,
    # back by the largest shift, to the horizon.
    first = int(years[0]) - 1 - int(max(steps.max(initial=0), 0))
    stated_years = np.arange(first, int(years[-1]) + 1)
    stated = np.array([[site.capacity_in(int(y)) for y in stated_years] for site in case.sites])
    # Years from the year before the start to the horizon, read `shift` years earlier.
    read_years = np.arange(int(years[0]) - 1, int(years[-1]) + 1)
    index = read_years[None, :, None] - first - steps.reshape(len(sites), 1, -1)
    rows = np.arange(len(sites))[:, None, None]
    extended = np.moveaxis(stated[rows, index], 1, 0)  # (year incl. the one before, site, rest)
    capacity = extended[1:]
    increments = np.diff(extended, axis=0)
    connection_mw = np.zeros_like(capacity)
    connection_mw[:-1] = increments[1:]
    connection_mw[0] += capacity[0]
    # Capacity entering service each year: the increments, and in the first year all capacity
    # available then (the capacity an asset's depreciation and age start from).
    service_mw = increments.copy()
    service_mw[0] = capacity[0]
    rest_dims = shift.dims[1:]
    shape = (len(years), len(sites), *shift.shape[1:])
    coords = {
        "year": years,
        "site": sites,
        **{d: shift.coords[d] for d in rest_dims if d in shift.coords},
    }
    dims = ("year", "site", *rest_dims)
    return tuple(
        xr.DataArray(array.reshape(shape), dims=dims, coords=coords)
        for array in (capacity, connection_mw, service_mw)
    )


class VariableView(Mapping):
    """Read-only view of a Dataset whose items are its ``xr.Variable`` objects.

    The components compute on Variables: named dimensions broadcast exactly as on DataArrays,
    without the index alignment every DataArray operation pays (about 20 us per operation
    instead of 400 us on this model's arrays). The coordinates are attached again when the
    results enter the cube (:func:`tecmodel.model.run_components`).
    """

    def __init__(self, dataset: xr.Dataset) -> None:
        self._dataset = dataset
        self.attrs = dataset.attrs

    def __getitem__(self, name: str) -> xr.Variable:
        return self._dataset.variables[name]

    def __iter__(self):
        return iter(self._dataset.variables)

    def __len__(self) -> int:
        return len(self._dataset.variables)


def _year_first(array: xr.DataArray) -> xr.DataArray:
    """Order dims as (year, site, phase, ...rest) so that `sample` stays last."""
    leading = [dim for dim in ("year", "site", "phase") if dim in array.dims]
    return array.transpose(*leading, ...)


def vintages(
    timeline: xr.Dataset,
    life: xr.DataArray | float,
    min_remaining_years: xr.DataArray | float = 0.0,
) -> xr.Dataset:
    """Generations of an asset renewed every `life` years from each phase's online year.

    Parameters
    ----------
    timeline : xarray.Dataset
        From :func:`build_timeline`.
    life : xarray.DataArray or float
        Economic life [yr] (whole years), e.g. ``chips.refresh_years`` per site.
    min_remaining_years : xarray.DataArray or float
        A renewal due in year y happens only if ``end_year - y + 1`` (the years left, y
        included) is at least this [yr]; otherwise the generation in service runs on to the
        horizon (``chips.refresh_min_remaining_years``). The first purchase at the online year
        always happens.

    Returns
    -------
    xarray.Dataset
        Over (year, site, phase[, sample]):
        ``purchase`` [1], 1 in the online year and in every renewal year;
        ``renewal`` [1], 1 in renewal years only (a generation is retired and replaced);
        ``vintage_year`` [year], year the generation in service was bought (the current year
        where nothing is in service, so that price factors stay finite; mask with ``in_service``);
        ``age`` [yr], whole years in service including the current one (1 in the purchase year),
        0 where nothing is in service.

    Examples
    --------
    Online 2026 with a 5-year life: purchases in 2026, 2031, 2036; in 2033 the generation in
    service is the 2031 one, aged 3.
    """
    online = timeline["online_year"]
    year = timeline["year"]
    in_service = timeline["in_service"]
    elapsed = np.maximum(year - online, 0)
    # Where nothing is in service (before the online year, or a padding phase that never comes
    # online) the vintage is the current year, so that price factors stay finite.
    # Renewals k = 1, 2, ... fall at online + k x life; the last one allowed is the latest at or
    # before end_year - min_remaining_years + 1.
    last_allowed = timeline.attrs["end_year"] - min_remaining_years + 1 - online
    renewals = np.minimum(np.floor(elapsed / life), np.maximum(np.floor(last_allowed / life), 0))
    vintage_year = xr.where(in_service > 0, online + life * renewals, year)
    purchase = in_service * (year == vintage_year)
    renewal = purchase * (year > online)
    age = in_service * (year - vintage_year + 1)
    arrays = {
        "purchase": _year_first(purchase),
        "renewal": _year_first(renewal),
        "vintage_year": _year_first(vintage_year),
        "age": _year_first(age),
    }
    units = {"purchase": "1", "renewal": "1", "vintage_year": "year", "age": "yr"}
    if not isinstance(timeline, xr.Dataset):  # a VariableView: plain Variables, no coordinates
        return arrays
    result = xr.Dataset(arrays)
    for name, unit in units.items():
        result[name].attrs["units"] = unit
    return result


#: The actions of a refresh (the digits of ``chips.refresh_policy``).
REFRESH, SKIP, STOP = 0, 1, 2


def refresh_action(policy, refresh: int):
    """The action of a ``chips.refresh_policy`` code at the `refresh`-th refresh (1, 2, ...):
    its base-3 digit of that order, :data:`REFRESH`, :data:`SKIP` or :data:`STOP` [1]."""
    return np.floor(policy / 3.0 ** (refresh - 1)) % 3.0


def refresh_schedule(
    timeline: xr.Dataset,
    life: xr.DataArray | float,
    min_remaining_years: xr.DataArray | float,
    policy: xr.DataArray | float = 0.0,
) -> dict:
    """Generations of accelerators under a refresh policy: refresh, skip or stop at each refresh.

    The k-th refresh of a phase falls at ``online + k x life`` (``chips.refresh_years``), if at
    least `min_remaining_years` model years remain then (as :func:`vintages`). At each one the
    policy's digit k (:func:`refresh_action`) says what the site does: refresh (buy the new
    generation and resell the retired one, as :func:`vintages`); skip (the generation in service
    runs on for another refresh period, ageing); or stop and sell (the generation in service is
    sold that year and no accelerator runs afterwards; later digits are then irrelevant). With
    every digit 0 the purchases, renewals, vintage years and ages are exactly those of
    :func:`vintages`.

    Parameters
    ----------
    timeline : xarray.Dataset
        From :func:`build_timeline` (its ``generation`` coordinate bounds the refreshes).
    life : xarray.DataArray or float
        Refresh period [yr] (whole years).
    min_remaining_years : xarray.DataArray or float
        Years left, the refresh year included, below which no refresh is due [yr].
    policy : xarray.DataArray or float
        ``chips.refresh_policy`` [1]; any extra dimension (e.g. ``policy``) is kept.

    Returns
    -------
    dict of xarray.Variable or DataArray
        Over (year, site, phase[, ...]): ``purchase``, ``renewal``, ``vintage_year`` and
        ``age`` as :func:`vintages`; ``running`` [1], 0 from the year of a stop on, else 1;
        ``retired_vintage_year`` [year], the purchase year of the generation a renewal retires
        (read where ``renewal`` is 1); ``sale`` [1], 1 in the year of a stop (the generation in
        service is sold); ``sold_vintage_year`` [year], the purchase year of the generation a
        stop sells (read where ``sale`` is 1).
    """
    online = timeline["online_year"]
    year = timeline["year"]
    in_service = timeline["in_service"]
    elapsed = np.maximum(year - online, 0)
    last_allowed = timeline.attrs["end_year"] - min_remaining_years + 1 - online
    allowed = np.maximum(np.floor(last_allowed / life), 0)
    # Refresh counts since the online year: of the generation in service, of the one before it.
    latest = 0.0 * elapsed
    before = 0.0 * elapsed
    running = 1.0 + 0.0 * elapsed
    sale = 0.0 * elapsed
    sold = 0.0 * elapsed
    for refresh in range(1, timeline["generation"].shape[0]):
        action = refresh_action(policy, refresh)
        reached = (elapsed >= refresh * life) & (refresh <= allowed)
        at_date = reached & (elapsed == refresh * life)
        renewed = reached & (action == REFRESH)
        stopping = at_date & (action == STOP) & (running > 0)
        sale = sale + stopping
        sold = xr.where(stopping, latest, sold)
        before = xr.where(renewed, latest, before)
        latest = xr.where(renewed, float(refresh), latest)
        running = running * (1.0 - (reached & (action == STOP)))
    vintage_year = xr.where(in_service > 0, online + life * latest, year)
    purchase = in_service * running * (year == vintage_year)
    renewal = purchase * (year > online)
    age = in_service * (year - vintage_year + 1)
    arrays = {
        "purchase": purchase,
        "renewal": renewal,
        "vintage_year": vintage_year,
        "age": age,
        "running": running,
        "retired_vintage_year": online + life * before,
        "sale": sale * in_service,
        "sold_vintage_year": online + life * sold,
    }
    return {name: _year_first(value) for name, value in arrays.items()}


def escalation(timeline: xr.Dataset, rate: xr.DataArray | float) -> xr.DataArray:
    """Nominal escalation factor (1 + rate) ** t over the model years [1]."""
    return integer_power(1.0 + rate, timeline["t"])


def at_horizon(timeline: xr.Dataset) -> xr.DataArray:
    """1 in the last model year, 0 elsewhere [1] (residual values are realised there)."""
    year = timeline["year"]
    return (year == timeline.attrs["end_year"]).astype(float)


def residual_share(
    age: xr.DataArray, life: xr.DataArray | float, floor_share: xr.DataArray | float = 0.0
) -> xr.DataArray:
    """Remaining value share of an asset after `age` years of a `life`-year straight line [1].

    The value falls linearly from 1 (new) to `floor_share` at the end of its life:
    ``1 - (1 - floor_share) * age / life``, clipped to [0, 1].

    Parameters
    ----------
    age : xarray.DataArray
        Whole years in service including the current one [yr].
    life : xarray.DataArray or float
        Economic life [yr].
    floor_share : xarray.DataArray or float
        Value left at the end of the life [1] (e.g. the resale share of accelerators).
    """
    return (1.0 - (1.0 - floor_share) * age / life).clip(0.0, 1.0)
