"""The orchestrator: one evaluation of a case, deterministic or over samples.

This module owns the order in which the pieces run and nothing else::

    parameters -> timeline -> components -> cube -> tax -> metrics

:func:`evaluate` is the one code path for every use: a deterministic run has no ``sample``
dimension; a Monte Carlo or Sobol run passes overrides that carry one, and every array below
broadcasts over it.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd
import xarray as xr

from tecmodel.inputs.case import Case
from tecmodel.inputs.parameters import parameter_dataset
from tecmodel.model.budget import budget_analysis, sources_and_uses
from tecmodel.model.components.pipeline import run_components
from tecmodel.model.cube import CashFlows
from tecmodel.model.financing import apply_financing, equity_metrics, size_debt
from tecmodel.model.generations import GENERATION_METRICS, generation_metrics
from tecmodel.model.metrics import (
    PORTFOLIO,
    compute_metrics,
    join_portfolio,
    split_portfolio,
    with_portfolio,
)
from tecmodel.model.tables import metrics_frame, result_html
from tecmodel.model.tax import TaxAccounts, apply_tax
from tecmodel.model.timeline import build_timeline
from tecmodel.numerics.labelled import dataset


@dataclass(frozen=True)
class Result:
    """One evaluation of a case.

    Attributes
    ----------
    case : Case
    parameters : xarray.Dataset
        The parameter values used (registry units).
    timeline : xarray.Dataset
    cash_flows : CashFlows
        Every line item [EUR], each at its own shape, tax included: the builder the metrics read.
    tax_accounts : TaxAccounts
        Depreciation, taxable income, loss carry-forward and tax.
    quantities : xarray.Dataset
        Physical quantities (MW, accelerators, MWh, GPU-hours, water).
    metrics : xarray.Dataset
        Headline metrics over ``site`` (the sites only), equity and debt metrics included:
        ``metrics.npv.sum("site")`` is the portfolio's NPV.
    portfolio : xarray.Dataset
        The portfolio's metrics (its sites together, each taxed and financed standalone): the
        same variables as `metrics`, without ``site``. Extensive ones are the sums of the
        sites'; the IRR is that of the summed cash flow, the DSCR the worst site's.
    financing : xarray.Dataset or None
        Debt tranches, CFADS, debt service, DSCR and the covenant accounts (see
        :mod:`tecmodel.model.financing`).
    debt_schedule : xarray.Dataset or None
        The debt as sized once on the sizing case (:func:`debt_schedule`), the same for every
        sample and scenario of this result.
    """

    case: Case
    parameters: xr.Dataset
    timeline: xr.Dataset
    cash_flows: CashFlows
    tax_accounts: TaxAccounts
    quantities: xr.Dataset
    metrics: xr.Dataset
    portfolio: xr.Dataset
    financing: xr.Dataset | None = None
    debt_schedule: xr.Dataset | None = None

    def __repr__(self) -> str:
        extra = {
            dim: size
            for dim, size in zip(self.cash_flows.dims, self.cash_flows.shape, strict=True)
            if dim not in ("year", "site")
        }
        return f"Result(case={self.case.name!r}, sites={list(self.case.site_names)!r}, extra_dims={extra})"

    @cached_property
    def cube(self) -> xr.DataArray:
        """Unlevered project cash flows (item, year, site[, sample]) [EUR], inflows positive, tax
        included, no financing rows: ``cube.sum("item")`` is the free cash flow of each site."""
        return self.cash_flows.to_cube(exclude=("financing",))

    @cached_property
    def equity_cube(self) -> xr.DataArray:
        """Every row, the financing rows (drawdowns, interest, fees, repayment, tax shield)
        included: ``equity_cube.sum("item")`` is the equity cash flow of each site [EUR]."""
        return self.cash_flows.to_cube()

    @cached_property
    def finance(self) -> xr.Dataset:
        """Depreciation by asset class, taxable income, loss relief and pool, tax [EUR]."""
        return self.tax_accounts.to_dataset()

    @property
    def free_cash_flow(self) -> xr.DataArray:
        """Unlevered free cash flow (year, site[, sample]) [EUR]."""
        return self._free_cash_flows[0]

    @property
    def portfolio_free_cash_flow(self) -> xr.DataArray:
        """Unlevered free cash flow of the portfolio (year[, sample]) [EUR]: the sites' summed."""
        return self._free_cash_flows[1]

    @property
    def equity_cash_flow(self) -> xr.DataArray:
        """Equity cash flow (year, site[, sample]) [EUR]: every row of the cube."""
        return self._equity_cash_flows[0]

    @property
    def portfolio_equity_cash_flow(self) -> xr.DataArray:
        """Equity cash flow of the portfolio (year[, sample]) [EUR]: the sites' summed."""
        return self._equity_cash_flows[1]

    @cached_property
    def _free_cash_flows(self) -> tuple[xr.DataArray, xr.DataArray]:
        return _sites_and_portfolio(
            self.cash_flows.total(exclude=("financing",)), "Unlevered free cash flow"
        )

    @cached_property
    def _equity_cash_flows(self) -> tuple[xr.DataArray, xr.DataArray]:
        return _sites_and_portfolio(
            self.cash_flows.total(), "Equity cash flow (free cash flow after financing)"
        )

    @property
    def budget(self) -> xr.Dataset:
        """What each site's budget buys against the stated plan (see :mod:`tecmodel.budget`)."""
        return self._budget[0]

    @property
    def portfolio_budget(self) -> xr.Dataset:
        """What the sites' budgets together buy against the stated plan (no ``site``)."""
        return self._budget[1]

    @cached_property
    def _budget(self) -> tuple[xr.Dataset, xr.Dataset]:
        return split_portfolio(budget_analysis(self))

    @property
    def sources_and_uses(self) -> xr.Dataset:
        """Each site's sources and uses of funds over its construction period, balanced to the
        cent (see :func:`tecmodel.model.budget.sources_and_uses`)."""
        return self._sources_and_uses[0]

    @property
    def portfolio_sources_and_uses(self) -> xr.Dataset:
        """The portfolio's sources and uses (the sites' summed; no ``site``)."""
        return self._sources_and_uses[1]

    @cached_property
    def _sources_and_uses(self) -> tuple[xr.Dataset, xr.Dataset]:
        return split_portfolio(sources_and_uses(self))

    def summary(self) -> pd.DataFrame:
        """Headline metrics as a readable table: rows metrics with their display units
        (``npv [EUR M]``), columns the sites and the portfolio (:mod:`tecmodel.model.tables`).

        Numbers stay numbers: money in EUR millions, rates in percent, years and counts as
        ints; a status reads as its code and meaning. Only for a deterministic result (no extra
        dimensions); ``metrics`` holds every value at full precision in its stored unit.
        """
        extra = [dim for dim in self.metrics.dims if dim not in ("site", "generation")]
        if extra:
            raise ValueError(
                f"summary() needs a deterministic result; this one varies along {extra}"
            )
        names = [name for name in self.metrics.data_vars if name not in GENERATION_METRICS]
        return metrics_frame(
            join_portfolio(self.metrics, self.portfolio),
            list(self.case.site_names) + [PORTFOLIO],
            names,
        )

    def _repr_html_(self) -> str | None:
        """Jupyter's view: title, conventions, the metrics table and what the budget buys."""
        if any(dim not in ("site", "generation") for dim in self.metrics.dims):
            return None  # a sampled result: the plain repr
        return result_html(self, self.summary())


def _sites_and_portfolio(flow: xr.DataArray, long_name: str) -> tuple[xr.DataArray, xr.DataArray]:
    """A cash flow of the sites, and of the portfolio (the sites added in order) [EUR]."""
    flow = with_portfolio(flow)
    flow.attrs = {"units": "EUR", "long_name": long_name}
    return split_portfolio(flow)


#: Debt sized on each case as stated, kept while the case lives: (weak reference, schedule).
_SIZED: dict[int, tuple[weakref.ref, xr.Dataset]] = {}


def debt_schedule(case: Case) -> xr.Dataset:
    """The case's debt, sized once on the sizing case: the case as stated, without overrides.

    Every evaluation of the case with overrides (samples, scenarios, solver trials, scalar
    what-ifs) carries this schedule unchanged (see :mod:`tecmodel.model.financing`). Computed
    once per case object and kept while it lives.

    Returns
    -------
    xarray.Dataset
        See :func:`tecmodel.model.financing.size_debt`.
    """
    entry = _SIZED.get(id(case))
    if entry is not None and entry[0]() is case:
        return entry[1]
    return evaluate(case).debt_schedule  # which keeps it (remember_schedule)


def remember_schedule(case: Case, schedule: xr.Dataset) -> None:
    """Keep the debt sized on `case` as stated while the case lives (:func:`debt_schedule`)."""
    for key in [key for key, (reference, _) in _SIZED.items() if reference() is None]:
        del _SIZED[key]
    _SIZED[id(case)] = (weakref.ref(case), schedule)


def evaluate(
    case: Case,
    overrides: Mapping[str, Any] | None = None,
    *,
    debt: xr.Dataset | None = None,
    generations: bool = True,
) -> Result:
    """Evaluate a case: cash-flow cube, tax and metrics.

    Parameters
    ----------
    case : Case
        From :func:`tecmodel.load_case`.
    overrides : mapping, optional
        Parameter values replacing the case's (see
        :func:`tecmodel.parameters.parameter_dataset`); arrays with a ``sample`` (or any other
        new) dimension evaluate every sample at once.
    debt : xarray.Dataset, optional
        The fixed debt schedule (:func:`tecmodel.model.financing.size_debt`). By default the
        debt is sized on the case as stated (:func:`debt_schedule`): a run without overrides
        sizes it on itself, a run with overrides carries the case's.
    generations : bool
        Compute the per-generation metrics (``GENERATION_METRICS``); an analysis that reads only
        the sites' metrics (Monte Carlo, Sobol', Shapley, debt sizing, the real options) skips
        them: they are about 30 % of the time of a large call.

    Returns
    -------
    Result

    Examples
    --------
    >>> import tecmodel
    >>> case = tecmodel.load_case("inputs/base_10b.yaml")            # doctest: +SKIP
    >>> result = tecmodel.evaluate(case, overrides={"energy_price": 80.0})  # doctest: +SKIP
    >>> float(result.portfolio.npv)                                  # doctest: +SKIP
    """
    if debt is None and overrides:
        debt = debt_schedule(case)
    params = parameter_dataset(case, overrides)
    timeline = build_timeline(case, params, per_generation=generations)
    outputs = run_components(params, timeline)
    flows, accounts = apply_tax(CashFlows(outputs.items), outputs.additions, params)
    metrics = compute_metrics(flows, accounts, outputs.quantities, params, timeline)  # unlevered
    by_generation = (
        generation_metrics(flows, outputs.quantities, params, timeline)
        if generations
        else xr.Dataset()
    )
    if debt is None:
        debt = size_debt(flows, params, case.tranches)
        remember_schedule(case, debt)  # sized on the case as stated: later what-ifs carry it
    flows, financing = apply_financing(
        flows,
        accounts.array(accounts.taxable_income_before_losses),
        accounts.array(accounts.schedule.tax),
        params,
        case.tranches,
        debt,
    )
    equity = equity_metrics(flows, financing, params, timeline)
    metrics, portfolio = split_portfolio(
        dataset({**metrics.data_vars, **equity.data_vars, **by_generation.data_vars})
    )
    return Result(
        case,
        params,
        timeline,
        flows,
        accounts,
        outputs.quantities,
        metrics,
        portfolio,
        financing,
        debt,
    )
