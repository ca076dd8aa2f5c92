"""Revenue: GPU-hours sold under take-or-pay contracts and on the merchant market.

This module owns income: the accelerator-hours available (accelerators x 8,760 h x operating
fraction); a share of them under take-or-pay anchor contracts, billed in full at the contract
price of their generation; the rest sold on the merchant market at the billed utilisation, at
a price that starts at the generation's launch price and erodes by ``revenue.price_decline``
per year of age. Each new generation launches at a price trending by
``revenue.new_vintage_price_trend`` per year from the site's reference year.
"""

from __future__ import annotations

import xarray as xr

from tecmodel.model.components import ComponentResult, by_site, with_units
from tecmodel.model.timeline import HOURS_PER_YEAR
from tecmodel.numerics.powers import integer_power


def launch_price(reference_price, trend, vintage_year, reference_year):
    """GPU-hour price of a generation in its purchase year [EUR/GPU-hour].

    ``reference_price * (1 + trend) ** (vintage_year - reference_year)``.
    """
    return integer_power(1.0 + trend, vintage_year - reference_year) * reference_price


def merchant_price(launch, decline, age_years):
    """Merchant GPU-hour price of a generation after `age_years` full years [EUR/GPU-hour].

    ``launch * (1 - decline) ** age_years``.

    Parameters
    ----------
    launch : array_like
        Launch price [EUR/GPU-hour].
    decline : array_like
        Yearly decline [1/yr].
    age_years : array_like
        Years since purchase (0 in the purchase year) [yr].
    """
    return launch * integer_power(1.0 - decline, age_years)


def gpu_hours_available(accelerators, operating_fraction, hours=HOURS_PER_YEAR):
    """Accelerator-hours available in a year [GPU-hour/yr]."""
    return operating_fraction * accelerators * hours


def line_items(
    params: xr.Dataset,
    timeline: xr.Dataset,
    accelerators_per_phase: xr.DataArray,
    chip_vintage_year: xr.DataArray,
) -> ComponentResult:
    """Contract and merchant revenue [EUR] and GPU-hours.

    Parameters
    ----------
    params : xarray.Dataset
        Reads ``revenue.*``.
    timeline : xarray.Dataset
        From :func:`tecmodel.timeline.build_timeline`.
    accelerators_per_phase : xarray.DataArray
        Accelerators of each phase (site, phase[, sample]) [accelerator].
    chip_vintage_year : xarray.DataArray
        Purchase year of the generation in service (year, site, phase[, sample]) [year].

    Returns
    -------
    ComponentResult
        Items ``revenue_contract`` and ``revenue_merchant`` (positive); quantities
        ``gpu_hours_available`` and ``gpu_hours_sold`` [GPU-hour/yr].
    """
    available = gpu_hours_available(accelerators_per_phase, timeline["operating_fraction"])
    contract_share = params["revenue.contract_share"]
    trend = params["revenue.new_vintage_price_trend"]
    reference_year = timeline["reference_year"]
    age_years = timeline["year"] - chip_vintage_year
    # Shares of the available hours sold, (site[, sample]): applied after the sum over phases
    # (sample-late evaluation: an uncertain utilisation never widens the per-phase arrays).
    merchant_share = (1.0 - contract_share) * params["revenue.utilisation"]
    contract_price = launch_price(
        params["revenue.contract_price"], trend, chip_vintage_year, reference_year
    )
    spot_price = merchant_price(
        launch_price(params["revenue.gpu_hour_price"], trend, chip_vintage_year, reference_year),
        params["revenue.price_decline"],
        age_years,
    )
    hours = by_site(available)
    return ComponentResult(
        items={
            "revenue_contract": by_site(available * contract_price) * contract_share,
            "revenue_merchant": by_site(available * spot_price) * merchant_share,
        },
        quantities={
            "gpu_hours_available": with_units(hours, "GPU-hour/yr", "GPU-hours available"),
            "gpu_hours_sold": with_units(
                hours * (contract_share + merchant_share),
                "GPU-hour/yr",
                "GPU-hours sold (contracted in full, merchant at utilisation)",
            ),
        },
    )
