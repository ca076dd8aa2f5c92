"""Revenue: GPU-hours sold under take-or-pay contracts and on the merchant market.

This module owns income. Each phase offers its accelerator-hours (accelerators x 8,760 h x
operating fraction); each generation bought there is sold as follows:

- a share ``revenue.contract_share`` of its hours is under a take-or-pay contract for
  ``revenue.contract_tenor_years`` from its purchase, billed at ``revenue.availability`` of the
  hours (the service level met), at the contract price of its generation: ``revenue.contract_price``
  moved by the compute price and the performance at the purchase (:func:`launch_index`), fixed
  for the tenor or indexed by ``revenue.contract_indexation``;
- the other hours, and all hours after the tenor, are sold on the merchant market at the
  utilisation (``revenue.utilisation``, reached by a phase over its first two years,
  :func:`~tecmodel.model.components.markets.ramp`) at the merchant price of the generation in the
  year: ``revenue.gpu_hour_price`` x compute price of the year over the reference year's x
  performance ratio x age-and-obsolescence factor;
- revenue quoted in USD (``revenue.*_usd_share``) converts at the year's rate.

Every price refers to the reference generation in the site's reference year, in EUR at that
year's rate; with no process and a constant exchange rate, a generation's GPU-hour price is the
reference price scaled by its performance and its age. Prices, shares and utilisation that
carry a sample dimension are applied after the sum over phases where they are common to the
phases (sample-late evaluation).
"""

from __future__ import annotations

import xarray as xr

from tecmodel.model.components import ComponentResult, by_site, with_units
from tecmodel.model.components.markets import (
    age_factor,
    at_year,
    by_generation,
    currency_factor,
    launch_index,
    performance_ratio,
    ramp,
    ratio_to_central,
    reference_rate,
    reports_generations,
)
from tecmodel.model.timeline import HOURS_PER_YEAR
from tecmodel.numerics.powers import integer_power


def gpu_hours_available(accelerators, operating_fraction, hours=HOURS_PER_YEAR):
    """Accelerator-hours available in a year [GPU-hour/yr]."""
    return operating_fraction * accelerators * hours


def line_items(
    params: xr.Dataset,
    timeline: xr.Dataset,
    accelerators_per_phase: xr.DataArray,
    chip_vintage_year: xr.DataArray,
    generation_number: xr.DataArray,
    accelerators_running: xr.DataArray | float = 1.0,
) -> ComponentResult:
    """Contract and merchant revenue [EUR], GPU-hours and compute-hours.

    Parameters
    ----------
    params : xarray.Dataset
        Reads ``revenue.*``, ``markets.compute_price``, ``fx.usd_per_eur`` and
        ``chips.performance*``.
    timeline : xarray.Dataset
        From :func:`tecmodel.model.timeline.build_timeline`.
    accelerators_per_phase : xarray.DataArray
        Accelerators of each phase (site, phase[, sample]) [accelerator].
    chip_vintage_year : xarray.DataArray
        Purchase year of the generation in service (year, site, phase[, sample]) [year].
    generation_number : xarray.DataArray
        Generation in service (year, site, phase[, sample]) [1] (0 where none is).
    accelerators_running : xarray.DataArray or float
        1 while a phase's accelerators run, 0 after they are stopped and sold (year, site,
        phase[, policy]) [1] (:func:`tecmodel.model.timeline.refresh_schedule`).

    Returns
    -------
    ComponentResult
        Items ``revenue_contract`` and ``revenue_merchant`` (positive); quantities
        ``gpu_hours_available``, ``gpu_hours_sold``, ``gpu_hours_contracted`` (billed under
        contracts) and ``gpu_hours_offered`` (merchant hours offered at the ramp, before the
        utilisation) [GPU-hour/yr], ``compute_hours_sold``
        [PFLOPS-hour/yr] (GPU-hours x PFLOP/s per accelerator of their generation),
        ``merchant_revenue_per_utilisation`` [EUR/yr] (merchant revenue at a utilisation of 1:
        the change of revenue per unit of utilisation), and per generation (year, site[,
        sample], generation): ``generation_hours_available`` [GPU-hour/yr] and the shares of
        each item, ``generation_contract_weight`` and ``generation_merchant_weight`` [the item's
        per-phase terms before the factors common to the phases].
    """
    start = timeline.attrs["start_year"]
    year, reference = timeline["year"], timeline["reference_year"]
    available = gpu_hours_available(
        accelerators_per_phase * accelerators_running, timeline["operating_fraction"]
    )
    age_years = year - chip_vintage_year
    in_tenor = (age_years < params["revenue.contract_tenor_years"]) * timeline["in_service"]
    contract_share = params["revenue.contract_share"]
    contracted = in_tenor * contract_share
    performance = performance_ratio(
        params["chips.performance_growth"], chip_vintage_year, reference
    )
    # Per phase, before the factors common to the phases of a site-year (sample-late).
    contract_terms = (
        available
        * in_tenor
        * launch_index(params, timeline, chip_vintage_year)
        * integer_power(1.0 + params["revenue.contract_indexation"], age_years)
    )
    offered = available * (1.0 - contracted)
    offered_at_ramp = offered * ramp(params, timeline)
    merchant_terms = (
        offered_at_ramp
        * performance
        * age_factor(
            params["revenue.age_decline"],
            params["revenue.obsolescence_step"],
            params["revenue.generation_cadence"],
            age_years,
        )
    )
    fx_reference = reference_rate(params, timeline)
    rate = at_year(params["fx.usd_per_eur"], year, start)
    contract_price = (
        params["revenue.contract_price"]
        * contract_share
        * params["revenue.availability"]
        * currency_factor(params["revenue.contract_usd_share"], fx_reference, rate)
    )
    merchant_price = (
        params["revenue.gpu_hour_price"]
        * ratio_to_central(params, "markets.compute_price", year, reference, start)
        * currency_factor(params["revenue.merchant_usd_share"], fx_reference, rate)
    )
    merchant_full = by_site(merchant_terms) * merchant_price
    utilisation = params["revenue.utilisation"]
    contract_hours = available * in_tenor * (contract_share * params["revenue.availability"])
    merchant_hours = offered_at_ramp * utilisation
    sold = contract_hours + merchant_hours
    generations = timeline["generation"]
    per_generation = (
        {
            "generation_hours_available": with_units(
                by_generation(available, generation_number, generations),
                "GPU-hour/yr",
                "GPU-hours available by generation",
            ),
            "generation_contract_weight": with_units(
                by_generation(contract_terms, generation_number, generations),
                "GPU-hour/yr",
                "Contract revenue by generation, before the common price factors",
            ),
            "generation_merchant_weight": with_units(
                by_generation(merchant_terms, generation_number, generations),
                "GPU-hour/yr",
                "Merchant revenue by generation, before the common price and utilisation",
            ),
        }
        if reports_generations(timeline)
        else {}
    )
    return ComponentResult(
        items={
            "revenue_contract": by_site(contract_terms) * contract_price,
            "revenue_merchant": merchant_full * utilisation,
        },
        quantities={
            "gpu_hours_available": with_units(
                by_site(available), "GPU-hour/yr", "GPU-hours available"
            ),
            "gpu_hours_sold": with_units(
                by_site(sold),
                "GPU-hour/yr",
                "GPU-hours sold (contracted at availability, merchant at utilisation)",
            ),
            "gpu_hours_contracted": with_units(
                by_site(contract_hours),
                "GPU-hour/yr",
                "GPU-hours billed under take-or-pay contracts (at the availability)",
            ),
            "gpu_hours_offered": with_units(
                by_site(offered_at_ramp),
                "GPU-hour/yr",
                "Merchant GPU-hours offered at the utilisation ramp (sold = offered x utilisation)",
            ),
            "compute_hours_sold": with_units(
                by_site(sold * performance) * params["chips.performance"],
                "PFLOPS-hour/yr",
                "Compute-hours sold (GPU-hours x dense FP4 PFLOP/s per accelerator)",
            ),
            "merchant_revenue_per_utilisation": with_units(
                merchant_full,
                "EUR/yr",
                "Merchant revenue at a utilisation of 1 (per unit of utilisation)",
            ),
            **per_generation,
        },
    )
