"""Accelerators: how many fit the IT envelope, what each generation costs, resale at refresh.

This module owns the IT equipment of a campus: the accelerator count that fills each phase's IT
MW at the all-in IT kW per accelerator; the purchase of a generation in each phase's online
year and at every refresh (``chips.refresh_years``); the price per accelerator, ``chips.unit_price``
(USD) for the reference generation bought in the site's reference year (its planned first online
year), moved for a later purchase by the hardware cost per PFLOP/s (``markets.hardware_cost``)
and the performance per accelerator (``chips.performance_growth``), and converted at the EUR/USD
rate of the purchase year (:func:`tecmodel.model.components.markets.purchase_index`); the resale
of the retired generation at each refresh, which is bought only if enough years remain
(``chips.refresh_min_remaining_years``); what each refresh does under ``chips.refresh_policy``
(:func:`tecmodel.model.timeline.refresh_schedule`: refresh; skip, the generation in service
running on, resold at a later refresh at ``chips.resale_share`` less a year of retention per
extra year; or stop and sell, at the horizon curve retention^age, after which the phase's
accelerators neither earn nor draw energy); and what the horizon value reads of the generation
in service at the horizon (:mod:`tecmodel.model.terminal`): its market resale value by age
(``terminal.chip_value_retention`` per year) and the sustaining capex of refreshing it.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.model.components import ComponentResult, by_site, with_units
from tecmodel.model.components.markets import (
    by_generation,
    generation_number,
    purchase_index,
    reference_rate,
    reports_generations,
)
from tecmodel.model.terminal import accelerator_resale_share
from tecmodel.model.timeline import at_horizon, refresh_schedule

#: Relative slack before rounding down: a quotient that is mathematically whole (1,000 MW at
#: 2 kW) may come out a few ulps below the whole number in floating point.
WHOLE_NUMBER_SLACK = 1e-9


def accelerator_count(it_mw, it_kw_per_accelerator):
    """Whole accelerators that fit an IT power envelope [accelerator].

    Rounded down: a fraction of an accelerator cannot be installed, and rounding up would
    exceed the envelope (and so the grid capacity the case checks against it).

    Parameters
    ----------
    it_mw : array_like
        IT power envelope [MW].
    it_kw_per_accelerator : array_like
        All-in IT power per accelerator slot, network and storage included [kW/accelerator].

    Examples
    --------
    >>> float(accelerator_count(100.0, 0.74))   # 135,135.13... accelerators fit
    135135.0
    """
    return np.floor(it_mw * 1000.0 / it_kw_per_accelerator * (1.0 + WHOLE_NUMBER_SLACK))


def unit_price_eur(unit_price_usd, usd_per_eur):
    """All-in accelerator price in EUR [EUR/accelerator].

    Parameters
    ----------
    unit_price_usd : array_like
        Price [USD/accelerator].
    usd_per_eur : array_like
        Exchange rate [USD/EUR].
    """
    return unit_price_usd / usd_per_eur


def line_items(params: xr.Dataset, timeline: xr.Dataset) -> ComponentResult:
    """Accelerator purchases, resale at refresh and horizon values [EUR].

    Parameters
    ----------
    params : xarray.Dataset
        Reads ``chips.*``, ``fx.usd_per_eur``, ``markets.hardware_cost`` and
        ``terminal.chip_value_retention``.
    timeline : xarray.Dataset
        From :func:`tecmodel.timeline.build_timeline`.

    Returns
    -------
    ComponentResult
        Items ``chips_purchase`` (negative) and ``chips_resale`` (positive: the retired
        generations, and the accelerators a stop sells); additions
        ``it_equipment``; in the last year, ``horizon_resale_chips`` [EUR], the accelerators in
        service at their market resale value by age, and ``horizon_sustaining_capex_chips``
        [EUR/yr], refreshing them at horizon-year prices every ``chips.refresh_years`` net of
        the resale of the retired generation; quantities ``accelerators_per_phase`` (site, phase[, sample])
        and ``accelerators_installed`` (year, site[, sample]) [accelerator];
        ``accelerators_running`` (year, site, phase[, policy]) [1], 0 after a stop;
        ``chip_vintage_year`` (year, site, phase[, sample]) [year], the purchase year of the
        generation in service (revenue prices each generation by it); ``it_value_operating``
        [EUR], the gross purchase value of operating accelerators (weighted by the operating
        fraction), the base of IT support and insurance; ``initial_capex_chips`` [EUR], the
        purchase of the first generation; per generation (year, site[, sample], generation),
        in accelerators x purchase index (the EUR amounts over the reference price):
        ``generation_bought``, ``generation_retired`` (resold at a refresh),
        ``generation_installed`` (in service, at its market resale share by age) and
        ``generation_operating`` (weighted by the operating fraction); ``generation_number``
        (year, site, phase[, sample]) [1] (see
        :func:`tecmodel.model.components.markets.generation_number`).
    """
    refresh_years = params["chips.refresh_years"]
    count = accelerator_count(timeline["phase_it_mw"], params["chips.it_kw_per_accelerator"])
    # The price in the reference year, (site[, sample]), multiplies every value: it is applied
    # last, once per result, so that an uncertain price never widens the per-phase arrays
    # (sample-late evaluation; the same numbers, fewer passes over sample-sized memory).
    price = unit_price_eur(params["chips.unit_price"], reference_rate(params, timeline))
    chip_vintages = refresh_schedule(
        timeline,
        refresh_years,
        params["chips.refresh_min_remaining_years"],
        params["chips.refresh_policy"],
    )
    vintage_year = chip_vintages["vintage_year"]
    running = chip_vintages["running"]
    retention = params["terminal.chip_value_retention"]
    generation_units = purchase_index(params, timeline, vintage_year) * count
    retired_vintage = chip_vintages["retired_vintage_year"]
    retired_units = purchase_index(params, timeline, retired_vintage) * count
    # A generation retired after one refresh period fetches chips.resale_share; one kept on by
    # skipped refreshes loses a further year of the horizon curve's retention per extra year.
    extra_years = np.maximum(timeline["year"] - retired_vintage - refresh_years, 0)
    retired_decay = accelerator_resale_share(extra_years, retention)
    # A stop sells the generation in service at the horizon value's market curve, at its age
    # (the years it served, the purchase year counted).
    sold_vintage = chip_vintages["sold_vintage_year"]
    sold_units = chip_vintages["sale"] * purchase_index(params, timeline, sold_vintage) * count
    # Ages before the online year are clipped to 0: a share there is multiplied by 0, and a
    # retention of 0 to a negative power would be infinite.
    sold_share = accelerator_resale_share(np.maximum(timeline["year"] - sold_vintage, 0), retention)

    purchased_units = by_site(chip_vintages["purchase"] * generation_units)
    purchases = purchased_units * price
    resale = (
        by_site(chip_vintages["renewal"] * retired_units * retired_decay)
        * (price * params["chips.resale_share"])
        + by_site(sold_units * sold_share) * price
    )
    # Market resale share at the horizon by age (whole years, the purchase year counted):
    # retention^age, over (site, phase[, sample]); only the last year is ever sold.
    remaining = accelerator_resale_share(chip_vintages["age"].isel(year=-1), retention)
    horizon = at_horizon(timeline)
    in_service = timeline["in_service"] * running
    horizon_resale = horizon * by_site(in_service * generation_units * remaining) * price
    # Refreshing the fleet in service at the horizon: a generation bought that year, every
    # refresh_years, net of the resale of the retired one.
    new_units = purchase_index(params, timeline, timeline["year"]) * count
    sustaining = (
        horizon
        * by_site(in_service * new_units)
        * (price * (1.0 - params["chips.resale_share"]) / refresh_years)
    )
    accelerators = by_site(in_service * count)
    operating = timeline["operating_fraction"] * running
    it_value_operating = by_site(operating * generation_units) * price
    initial_purchases = (
        by_site((chip_vintages["purchase"] - chip_vintages["renewal"]) * generation_units) * price
    )
    number = generation_number(timeline, vintage_year, refresh_years) * running
    generations = timeline["generation"]
    per_generation = (
        {
            "generation_bought": by_generation(
                chip_vintages["purchase"] * generation_units, number, generations
            ),
            "generation_retired": by_generation(
                chip_vintages["renewal"] * retired_units,
                generation_number(timeline, retired_vintage, refresh_years),
                generations,
            ),
            "generation_installed": by_generation(
                in_service * generation_units * remaining, number, generations
            ),
            "generation_operating": by_generation(
                operating * generation_units, number, generations
            ),
        }
        if reports_generations(timeline)
        else {}
    )

    return ComponentResult(
        items={
            "chips_purchase": purchased_units * -price,
            "chips_resale": resale,
        },
        additions={"it_equipment": purchases},
        quantities={
            "accelerators_per_phase": with_units(count, "accelerator", "Accelerators per phase"),
            "accelerators_running": with_units(
                running, "1", "1 while the phase's accelerators run (0 after a stop and sale)"
            ),
            "accelerators_installed": with_units(
                accelerators, "accelerator", "Accelerators installed"
            ),
            "it_value_operating": with_units(
                it_value_operating, "EUR", "Gross purchase value of operating accelerators"
            ),
            "chip_vintage_year": with_units(
                vintage_year, "year", "Purchase year of the generation in service"
            ),
            "initial_capex_chips": with_units(
                initial_purchases, "EUR", "Capex of the first accelerator generation"
            ),
            "generation_number": with_units(number, "1", "Generation of accelerators in service"),
            "horizon_resale_chips": with_units(
                horizon_resale, "EUR", "Accelerators in service at their market resale value"
            ),
            "horizon_sustaining_capex_chips": with_units(
                sustaining, "EUR/yr", "Sustaining capex of refreshing the accelerators"
            ),
            **{
                name: with_units(
                    value,
                    "accelerator",
                    f"{name.replace('_', ' ').capitalize()} (accelerators x purchase index)",
                )
                for name, value in per_generation.items()
            },
        },
    )
