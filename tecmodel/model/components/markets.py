"""What the markets of a year mean for a generation of accelerators: prices, performance, terms.

This module owns the small pure functions the chips, power and revenue components share to
turn the yearly market quantities (``fx.usd_per_eur``, ``markets.compute_price``,
``markets.hardware_cost``, ``power.market_price``; each a single value or a path over ``year``,
see :mod:`tecmodel.inputs.markets`) into what a generation sees:

- :func:`at_year`: a path's value in given calendar years (the purchase year of the generation
  in service, the site's reference year), by an exact gather along ``year``;
- :func:`performance_ratio`: dense FP4 PFLOP/s per accelerator of a generation against the
  reference generation, ``(1 + chips.performance_growth)^(purchase year - reference year)``;
- :func:`purchase_index`: the EUR price of an accelerator bought in a year against one of the
  reference generation bought in the reference year;
- :func:`launch_index`, :func:`age_factor`, :func:`currency_factor`: how a generation's GPU-hour
  prices move with the compute price, its age and the exchange rate;
- :func:`ramp`, :func:`in_power_contract`, :func:`generation_number`: utilisation ramp-up of a
  phase, the nuclear contract's term, and which generation of a site is in service.

Where a market quantity is a single value its ratios are exactly 1, so a case without
processes prices every generation as its reference generation scaled by performance. Every
function broadcasts over named dimensions (``year``, ``site``, ``phase``, ``sample``); none
loops over samples.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.inputs.parameters import central_name
from tecmodel.numerics.ordered import dim_total
from tecmodel.numerics.powers import integer_power


def _variable(value) -> xr.Variable:
    if isinstance(value, xr.DataArray):
        return value.variable
    if isinstance(value, xr.Variable):
        return value
    return xr.Variable((), value)


def at_year(path, year, first_year: int):
    """Value of a yearly path in the calendar years `year` [the path's unit].

    Parameters
    ----------
    path : float, xarray.Variable or xarray.DataArray
        A value per model year (dim ``year``, first model year `first_year`) and possibly
        ``site``, ``sample`` ...; a value without ``year`` holds in every year and is returned
        as it is.
    year : xarray.Variable or xarray.DataArray
        Calendar years to read, any dims (e.g. ``(year, site, phase[, sample])`` for the
        purchase year of the generation in service); clipped to the model years.
    first_year : int
        Calendar year of the first position along the path's ``year``.

    Returns
    -------
    xarray.Variable
        Dims of `year`, then the path's other dims: ``path[year - first_year]``.
    """
    if not isinstance(path, xr.Variable | xr.DataArray) or "year" not in path.dims:
        return path
    path, year = _variable(path), _variable(year)
    others = [dim for dim in path.dims if dim != "year"]
    out_dims = tuple(year.dims) + tuple(dim for dim in others if dim not in year.dims)
    sizes = {
        **dict(zip(path.dims, path.shape, strict=True)),
        **dict(zip(year.dims, year.shape, strict=True)),
    }
    count = path.sizes["year"]
    # The path with its years first and its other dims in the order of the result (1 where it
    # has none); the positions with the result's dims (1 where `year` has none).
    ordered = path.transpose("year", *[dim for dim in out_dims if dim in others]).values
    source = ordered.reshape((count,) + tuple(sizes[d] if d in others else 1 for d in out_dims))
    position = np.clip(np.rint(np.asarray(year.values, dtype=float)) - first_year, 0, count - 1)
    position = position.astype(np.intp).reshape(year.shape + (1,) * (len(out_dims) - year.ndim))
    shape = tuple(sizes[dim] for dim in out_dims)
    values = np.take_along_axis(
        np.broadcast_to(source, (count,) + shape), np.broadcast_to(position, shape)[None], axis=0
    )[0]
    return xr.Variable(out_dims, values)


def ratio_to_central(params, name: str, year, reference_year, first_year: int):
    """A market quantity in `year` over the case's central value in the reference year [1].

    ``path[year] / central[reference_year]``: the prices a case states (a GPU-hour price, an
    accelerator price) are those of its central path in the site's reference year, so a sampled
    path that runs above the central one in the reference year raises them from that year on,
    and a path given as one level moves them by its ratio to the central value. Exactly 1 on
    the central path in the reference year.
    """
    path, central = params[name], params[central_name(name)]
    return _variable(at_year(path, year, first_year)) / _variable(
        at_year(central, reference_year, first_year)
    )


def performance_ratio(growth, vintage_year, reference_year):
    """PFLOP/s per accelerator of the generation bought in `vintage_year` over the reference
    generation's [1]: ``(1 + growth)^(vintage_year - reference_year)``."""
    return integer_power(1.0 + growth, vintage_year - reference_year)


def purchase_index(params, timeline, vintage_year):
    """EUR price of an accelerator bought in `vintage_year` against the reference generation
    bought in the site's reference year [1].

    ``hardware_cost[v] / central hardware_cost[ref] x performance ratio x central
    usd_per_eur[ref] / usd_per_eur[v]``: the USD price per PFLOP/s moves with
    ``markets.hardware_cost``, an accelerator holds more PFLOP/s each year, and the purchase
    converts at its year's rate. Multiplied by ``chips.unit_price / central usd_per_eur[ref]``
    (:func:`reference_rate`) it is the price in EUR.
    """
    first = timeline.attrs["start_year"]
    reference = timeline["reference_year"]
    return (
        ratio_to_central(params, "markets.hardware_cost", vintage_year, reference, first)
        * performance_ratio(params["chips.performance_growth"], vintage_year, reference)
        / ratio_to_central(params, "fx.usd_per_eur", vintage_year, reference, first)
    )


def reference_rate(params, timeline):
    """USD per EUR on the case's central path in each site's reference year [USD/EUR].

    The rate at which the case's stated prices convert: a USD-quoted GPU-hour price stated as
    EUR x is worth x times this in USD whatever a sampled exchange-rate path does, so a path
    that runs away from the central one moves EUR revenue from that year on (the path is
    never read against itself, which would cancel its shocks up to the reference year).
    """
    return at_year(
        params[central_name("fx.usd_per_eur")],
        timeline["reference_year"],
        timeline.attrs["start_year"],
    )


def launch_index(params, timeline, vintage_year):
    """GPU-hour price of a generation at its purchase against the reference generation's in
    the reference year [1]: ``compute_price[v] / compute_price[ref] x performance ratio``."""
    first = timeline.attrs["start_year"]
    reference = timeline["reference_year"]
    return ratio_to_central(
        params, "markets.compute_price", vintage_year, reference, first
    ) * performance_ratio(params["chips.performance_growth"], vintage_year, reference)


def age_factor(age_decline, obsolescence_step, cadence, age_years):
    """Age-and-obsolescence factor of a generation's merchant price [1].

    ``(1 - age_decline)^age x (1 - obsolescence_step)^floor(age / cadence)``: a yearly decline
    from wear, failures and support, and a step down at each launch of a newer generation (one
    every `cadence` years after the purchase).

    Parameters
    ----------
    age_decline : array_like
        [1/yr].
    obsolescence_step : array_like
        [1].
    cadence : array_like
        Years between launches [yr].
    age_years : array_like
        Whole years since purchase, 0 in the purchase year [yr].
    """
    return integer_power(1.0 - age_decline, age_years) * integer_power(
        1.0 - obsolescence_step, np.floor(age_years / cadence)
    )


def currency_factor(usd_share, reference_rate, rate):
    """EUR value in a year of revenue worth 1 EUR at the reference year's rate [1].

    A share `usd_share` is quoted in USD and converts at the year's rate:
    ``1 + usd_share x (reference_rate / rate - 1)`` (exactly 1 at a constant rate).
    """
    return 1.0 + usd_share * (reference_rate / rate - 1.0)


def ramp(params, timeline):
    """Utilisation of each phase in each year as a share of the steady utilisation [1].

    ``revenue.ramp_first_year`` in a phase's online year, ``revenue.ramp_second_year`` in the
    next, 1 afterwards (and where nothing operates). Dims (year, site, phase[, sample]).
    """
    years_online = timeline["year"] - timeline["online_year"]
    first, second = params["revenue.ramp_first_year"], params["revenue.ramp_second_year"]
    steady = (years_online != 0) & (years_online != 1)
    # One term is the factor, the others are exactly 0: the sum is the factor itself.
    return (years_online == 0) * first + (years_online == 1) * second + steady * 1.0


def in_power_contract(params, timeline):
    """1 in the years of the nuclear contract's term, else 0 [1] (year, site[, sample]).

    The term starts in ``power.contract_start_year``, later by ``timeline.start_shift_years``
    when the site's whole plan starts later (the contract is signed with the decision to build).
    """
    year = timeline["year"]
    start = params["power.contract_start_year"] + params["timeline.start_shift_years"]
    return ((year >= start) & (year < start + params["power.contract_term_years"])).astype(float)


def generation_number(timeline, vintage_year, refresh_years):
    """Which generation of its phase is in service: 1 for the accelerators bought at the phase's
    online year, k + 1 after its k-th refresh, 0 where nothing is in service [1]."""
    number = (vintage_year - timeline["online_year"]) / refresh_years + 1.0
    return timeline["in_service"] * np.rint(number)


def generation_count(case_years: range, planned_online, refresh_years) -> int:
    """Most generations any site buys over the horizon (planned online years, no delay)."""
    first = np.asarray(planned_online, dtype=float).min(axis=-1)
    refresh = np.asarray(refresh_years, dtype=float)
    count = np.ceil((case_years[-1] - first + 1.0) / refresh)
    return max(int(np.nanmax(np.where(np.isfinite(count), count, 0.0))), 1)


def reports_generations(timeline) -> bool:
    """Whether the components report their per-generation quantities.

    False when the evaluation skips the per-generation metrics
    (:func:`tecmodel.model.timeline.build_timeline` with ``per_generation=False``): the
    (year, site, phase, sample, generation) arrays of :func:`by_generation` are the largest
    temporaries of a sampled call, and nothing else reads them.
    """
    return bool(timeline.attrs.get("per_generation", 1))


def by_generation(per_phase, number, generations):
    """Sum over phases of `per_phase` by the generation in service [unit of `per_phase`].

    Parameters
    ----------
    per_phase : xarray.Variable
        Values over (year, site, phase[, sample]).
    number : xarray.Variable
        :func:`generation_number` of each (year, site, phase[, sample]).
    generations : xarray.Variable
        The generation labels 1, 2, ... over ``generation``.

    Returns
    -------
    xarray.Variable
        Over (year, site[, sample], generation): each generation's part of the sum over phases.
    """
    return by_phase_total((number == generations) * per_phase)


def by_phase_total(per_phase):
    """Sum over ``phase``, in phase order (:func:`tecmodel.numerics.ordered.dim_total`)."""
    return dim_total(per_phase, "phase")
