"""Decision solvers: what must be true to hit a target, vectorised over samples.

This module owns the questions an investment committee asks of a result:

- :func:`price_for_target_irr`: the GPU-hour price at which the project (or the equity) IRR
  equals a hurdle;
- :func:`highest_chip_cost` and :func:`lowest_utilisation`: the accelerator price and the
  billed utilisation at which the project NPV is exactly zero (NPV >= 0 below / above them);
- :func:`breakeven_price`: the GPU-hour price at which the project NPV (at the discount rate)
  or the equity NPV (at the cost of equity) is zero, and :func:`price_breakdown`, that price
  split into what each line-item group costs per GPU-hour (chips, power, cooling,
  construction, operations, tax, financing), summing to it;
- :func:`budget_for_plan`: the investment budget the full stated plan needs (reusing
  :mod:`tecmodel.budget`).

How they solve. A solution is found for every site (each standalone) and for the portfolio (one
common factor on every site's value) at once, for every sample. The unknown is a factor on the
case's value of the input. Every cube item before tax is linear in it (GPU-hour prices scale
revenue; the accelerator price scales purchases, resale, residual value, depreciation, IT
support and insurance; utilisation scales merchant revenue and the power draw), so the model is
evaluated once, at the two ends of the admissible range (one vectorised call; GPU-hour prices
need none, as revenue is already in the cube), and the pre-tax items at any factor follow
exactly; tax (loss carry-forward) and financing are recomputed with the functions the model
itself uses (:func:`tecmodel.model.tax.loss_carry_forward_tax`,
:func:`tecmodel.financing.apply_financing`). The root is bracketed by the admissible range and
found by the Illinois method (regula falsi that halves a stale end). Then the full model is
evaluated at the solution and its NPV / IRR checked against the target; a solution that misses
is reported (status 4), never returned silently.

Status codes (variable ``status``, see :data:`SOLVER_STATUS`): 0 solved; 1 no solution in the
admissible range: the target is out of reach (e.g. NPV < 0 even at the lowest chip price);
2 no solution in range: the target is met across the whole range (e.g. NPV >= 0 even at the
highest chip price); 3 did not converge; 4 the full model at the solution misses the target.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable

import numpy as np
import xarray as xr

from tecmodel.inputs.registry import REGISTRY, resolve
from tecmodel.model.cube import ITEMS, CashFlows, item_total
from tecmodel.model.evaluation import evaluate
from tecmodel.model.financing import apply_financing
from tecmodel.model.metrics import (
    PORTFOLIO,
    discount_factors,
    join_portfolio,
    present_value,
    with_portfolio,
)
from tecmodel.model.outputs import flag_attributes
from tecmodel.model.tax import loss_carry_forward_tax, tax_terms
from tecmodel.numerics.labelled import set_attributes
from tecmodel.numerics.roots import RootStatus, illinois


class SolverStatus(enum.IntEnum):
    """Status of a solver's answer (variable ``status``): codes 0-3 from the root finder
    (:func:`tecmodel.numerics.roots.illinois`), 4 from the full-model check."""

    SOLVED = RootStatus.SOLVED
    OUT_OF_REACH = RootStatus.OUT_OF_REACH
    MET_EVERYWHERE = RootStatus.MET_EVERYWHERE
    NOT_CONVERGED = RootStatus.NOT_CONVERGED
    CHECK_FAILED = 4


SOLVED, OUT_OF_REACH, MET_EVERYWHERE, NOT_CONVERGED, CHECK_FAILED = (
    int(status) for status in SolverStatus
)
SOLVER_STATUS = {
    SOLVED: "solved",
    OUT_OF_REACH: "no solution in the admissible range: the target is out of reach",
    MET_EVERYWHERE: "no solution in the admissible range: the target is met across the whole range",
    NOT_CONVERGED: "did not converge",
    CHECK_FAILED: "the full model at the solution misses the target",
}
#: Rates [1/yr] between which the IRR solver looks for a root (its defaults): a hurdle outside
#: them cannot be checked, so it is refused.
IRR_RANGE = (-0.99, 10.0)
#: The GPU-hour price inputs a price factor multiplies.
PRICE_PARAMETERS = ("revenue.gpu_hour_price", "revenue.contract_price")
#: Relative tolerance of the full-model check [1 of the objective's scale].
CHECK_TOLERANCE = 1e-7
IRR_CHECK_TOLERANCE = 1e-7
MODE = "solver_mode"  # 0: each site its own factor; 1: one factor on every site (the portfolio)
GROUPS = ("chips", "power", "cooling", "construction", "operations", "tax", "financing")


# --------------------------------------------------------------------------- layout helpers


def _sites(result) -> list[str]:
    return list(result.case.site_names)


def _metrics(result) -> xr.Dataset:
    """The metrics over (site incl. portfolio, ...): the form of every solver's answer."""
    return join_portfolio(result.metrics, result.portfolio)


def _unknown_template(result) -> xr.DataArray:
    """An array over (site incl. portfolio, ...extra): the shape of every solver's answer."""
    metric = _metrics(result)["npv"]
    return xr.zeros_like(metric.transpose("site", ...))


def _by_mode(unknown: xr.DataArray, sites: list[str]) -> xr.DataArray:
    """Factors (site incl. portfolio, ...) -> (solver_mode, site, ...): each site its own factor
    (mode 0) and the portfolio's factor on every site (mode 1)."""
    own = unknown.sel(site=sites)
    common = unknown.sel(site=PORTFOLIO, drop=True).expand_dims(site=sites).transpose(*own.dims)
    return xr.concat([own, common], dim=MODE, coords="minimal", compat="override").transpose(
        MODE, ...
    )


def _pick(metric: xr.DataArray, sites: list[str]) -> xr.DataArray:
    """From a metric over (solver_mode, site incl. portfolio, ...): sites of mode 0, portfolio of mode 1."""
    own = metric.isel({MODE: 0}).sel(site=sites)
    common = metric.isel({MODE: 1}).sel(site=[PORTFOLIO])
    return xr.concat([own, common], dim="site", coords="minimal", compat="override").drop_vars(
        MODE, errors="ignore"
    )


def _to_array(template: xr.DataArray, values: np.ndarray) -> xr.DataArray:
    return template.copy(data=values.reshape(template.shape))


def _tax(profit: xr.DataArray, params: xr.Dataset) -> xr.DataArray:
    """Corporate tax with loss carry-forward of a taxable income (year, ...) [EUR]."""
    ordered = profit.transpose("year", ...)
    first = ordered.isel(year=0, drop=True)
    arguments = tax_terms(params, first)
    return ordered.copy(data=loss_carry_forward_tax(ordered.values, *arguments).tax)


# --------------------------------------------------------------------------- cash flows at a revenue factor


def flows_at_revenue_factor(result, factor: xr.DataArray, *, financing: bool = True) -> CashFlows:
    """The cash flows with every GPU-hour price multiplied by `factor`, tax and financing recomputed.

    Parameters
    ----------
    result : Result
    factor : xarray.DataArray
        Over (site[, ...]) and possibly new dims [1].
    financing : bool
        Recompute the financing rows (else there are none: the unlevered cash flows).

    Returns
    -------
    CashFlows
        Every row [EUR], with the factor's new dims last.
    """
    rows = {
        name: row for name, row in result.cash_flows.items() if ITEMS[name].category != "financing"
    }
    revenue = item_total(result.cash_flows, category="revenue")
    for name in rows:
        if ITEMS[name].category == "revenue":
            rows[name] = rows[name] * factor
    profit = (
        result.tax_accounts.array(result.tax_accounts.taxable_income_before_losses)
        + (factor - 1.0) * revenue
    )
    tax = _tax(profit, result.parameters)
    rows["corporate_tax"] = -tax
    flows = CashFlows(rows)
    if financing and result.case.tranches:
        flows, _ = apply_financing(
            flows, profit, tax, result.parameters, result.case.tranches, result.debt_schedule
        )
    return flows


def _hours_pv(result, rate: xr.DataArray) -> xr.DataArray:
    return with_portfolio(
        present_value(
            result.quantities["gpu_hours_sold"], discount_factors(rate, result.timeline["t"])
        )
    )


def levelised_price(result, rate) -> xr.DataArray:
    """PV of revenue / PV of GPU-hours sold at `rate` [EUR/GPU-hour], per site and portfolio.

    A price factor m makes the levelised price m times this. At the discount rate it is the
    ``realised_gpu_hour_price`` metric; each solver reports its price levelised at the rate of
    its target (the discount rate, the hurdle, the cost of equity), the rate at which the cost
    groups of :func:`price_breakdown` add up to it.
    """
    rate = rate if isinstance(rate, xr.DataArray) else xr.DataArray(float(rate))
    revenue = with_portfolio(
        present_value(
            item_total(result.cash_flows, category="revenue"),
            discount_factors(rate, result.timeline["t"]),
        )
    )
    hours = _hours_pv(result, rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        return xr.where(hours > 0, revenue / hours, np.nan)


def _price_range(result) -> tuple[xr.DataArray, xr.DataArray]:
    """Admissible range of a factor on every GPU-hour price, over (site incl. portfolio, ...)."""
    upper = None
    for name in PRICE_PARAMETERS:
        value = result.parameters[name]
        with np.errstate(divide="ignore"):
            bound = xr.where(value > 0, REGISTRY[name].bounds[1] / value, np.inf)
        upper = bound if upper is None else np.minimum(upper, bound)
    template = _unknown_template(result)
    upper_all = xr.concat([upper, upper.min("site").expand_dims(site=[PORTFOLIO])], dim="site")
    return xr.zeros_like(template), xr.broadcast(upper_all, template)[0].transpose(*template.dims)


def _solve_factor(
    result,
    objective_by_mode: Callable[[xr.DataArray], xr.DataArray],
    low: xr.DataArray,
    high: xr.DataArray,
    scale: xr.DataArray,
    *,
    increasing: bool,
) -> tuple[xr.DataArray, xr.DataArray]:
    """Solve for one factor per site and one for the portfolio (all samples at once)."""
    template = _unknown_template(result)
    sites = _sites(result)

    def objective(values: np.ndarray) -> np.ndarray:
        unknown = _to_array(template, values)
        picked = _pick(objective_by_mode(_by_mode(unknown, sites)), sites)
        return picked.transpose(*template.dims).values.ravel()

    flat = [
        xr.broadcast(array, template)[0].transpose(*template.dims).values.ravel()
        for array in (low, high, scale)
    ]
    root, status = illinois(
        objective, flat[0], flat[1], scale=np.abs(flat[2]), increasing=increasing
    )
    return _to_array(template, root), _to_array(template, status.astype(np.int64))


# --------------------------------------------------------------------------- checks with the full model


def overrides_of(result) -> dict[str, xr.DataArray]:
    """Every parameter of a result as an override: evaluating with them reproduces it."""
    return {name: result.parameters[name] for name in REGISTRY}


def _evaluate_at_factors(result, names: tuple[str, ...], factor: xr.DataArray):
    """The full model with the named parameters multiplied by a factor over (site incl. portfolio, ...);
    unsolved entries (NaN) keep the case's value. The result varies along ``solver_mode``."""
    safe = factor.fillna(1.0)
    by_mode = _by_mode(safe, _sites(result))
    overrides = overrides_of(result)
    for name in names:
        overrides[name] = (result.parameters[name] * by_mode).transpose("site", ...)
    checked = evaluate(result.case, overrides)
    return checked


def _check_solution(
    result,
    solution: xr.Dataset,
    factor: xr.DataArray,
    full_model_residual: Callable[[xr.DataArray], xr.DataArray],
    tolerance: xr.DataArray | float,
) -> xr.Dataset:
    """Check a solution with the full model where anything solved, then :func:`_finish` it.

    Parameters
    ----------
    result : Result
    solution : xarray.Dataset
        ``factor``, ``status`` and ``value`` from the solver.
    factor : xarray.DataArray
        The solved factor [1] (NaN where unsolved).
    full_model_residual : callable
        ``full_model_residual(factor)``: the full model's residual at the factor (units of the
        ``check`` variable); called only if at least one entry solved.
    tolerance : xarray.DataArray or float
        Largest accepted absolute residual (units of the residual).

    Returns
    -------
    xarray.Dataset
        `solution` with ``check`` (NaN everywhere when nothing solved) and the missed entries
        marked :data:`CHECK_FAILED`.
    """
    if (solution["status"] == SOLVED).any():
        residual = full_model_residual(factor)
    else:  # nothing to check
        residual = xr.full_like(factor, np.nan)
    return _finish(result, solution, residual, tolerance)


def _finish(
    result, solution: xr.Dataset, residual: xr.DataArray, tolerance: xr.DataArray | float
) -> xr.Dataset:
    """Record the full-model residual at the solution and fail the entries that miss."""
    missed = (solution["status"] == SOLVED) & ~(np.abs(residual) <= tolerance)
    solution["status"] = xr.where(missed, CHECK_FAILED, solution["status"]).astype(np.int64)
    for name in ("factor", "value"):
        solution[name] = xr.where(solution["status"] == SOLVED, solution[name], np.nan)
    solution["check"] = residual
    solution["status"].attrs = {
        "units": "1",
        "long_name": "Solver status (0 = solved; see flag_meanings)",
        **flag_attributes(
            {code: reason.replace(":", "") for code, reason in SOLVER_STATUS.items()}
        ),
    }
    return solution


# --------------------------------------------------------------------------- price solvers


def _solve_price_factor(
    result, rate, *, financing: bool
) -> tuple[xr.Dataset, xr.DataArray, xr.DataArray]:
    """Solve for the factor on every GPU-hour price that makes the NPV at `rate` zero.

    Parameters
    ----------
    result : Result
    rate : xarray.DataArray or float
        The discount rate of the NPV and of the levelised price [1/yr].
    financing : bool
        True: the equity cash flow (financing recomputed at every price); False: the unlevered
        free cash flow.

    Returns
    -------
    solution : xarray.Dataset
        ``factor`` [1], ``status`` (:data:`SOLVER_STATUS`) and ``value``, the factor times the
        price levelised at `rate` [EUR/GPU-hour], over (site incl. portfolio, ...); not yet
        checked with the full model (:func:`_check_solution`).
    factor : xarray.DataArray
        The solved factor [1] (NaN where unsolved).
    scale : xarray.DataArray
        PV of revenue at `rate` [EUR], the scale of the NPV's tolerance and of the residual.
    """
    factors = discount_factors(rate, result.timeline["t"])

    def npv(factor: xr.DataArray) -> xr.DataArray:
        cube = flows_at_revenue_factor(result, factor, financing=financing)
        flow = item_total(cube) if financing else item_total(cube, exclude=("financing",))
        return with_portfolio(present_value(flow, factors))

    low, high = _price_range(result)
    scale = with_portfolio(
        present_value(item_total(result.cash_flows, category="revenue"), factors)
    )
    factor, status = _solve_factor(result, npv, low, high, scale, increasing=True)
    solution = xr.Dataset({"factor": factor, "status": status})
    solution["value"] = factor * levelised_price(result, rate)
    return solution, factor, scale


def price_for_target_irr(result, target_irr: float, *, basis: str = "project") -> xr.Dataset:
    """The GPU-hour price at which the project (or equity) IRR equals a hurdle.

    Every GPU-hour price (merchant and contract) is multiplied by one factor (per site; one
    common factor for the portfolio). The IRR equals the hurdle where the NPV at the hurdle is
    zero.

    Parameters
    ----------
    result : Result
    target_irr : float
        The hurdle [1/yr].
    basis : {"project", "equity"}
        Unlevered free cash flow or the equity cash flow (financing recomputed at every price).

    Returns
    -------
    xarray.Dataset
        Over (site incl. portfolio, ...): ``value`` the GPU-hour price at the solution,
        levelised at the hurdle (:func:`levelised_price`) [EUR/GPU-hour], ``factor`` [1] on the
        case's prices, ``status`` (:data:`SOLVER_STATUS`), ``check`` the IRR of the full model at the
        solution minus the hurdle [1/yr] (NPV at the hurdle / PV of revenue where the IRR is
        not unique).
    """
    if basis not in ("project", "equity"):
        raise ValueError(f"basis must be 'project' or 'equity', not {basis!r}")
    low, high = IRR_RANGE
    if not low <= float(target_irr) <= high:
        raise ValueError(
            f"target_irr {float(target_irr):g} is outside the range in which an IRR is "
            f"defined here, [{low:g}, {high:g}] per year"
        )
    rate = xr.DataArray(float(target_irr))
    financing = basis == "equity"
    solution, factor, scale = _solve_price_factor(result, rate, financing=financing)
    factors = discount_factors(rate, result.timeline["t"])

    def irr_residual(factor: xr.DataArray) -> xr.DataArray:
        full = _evaluate_at_factors(result, PRICE_PARAMETERS, factor)
        checked = _pick(_metrics(full), _sites(result))
        irr_name = "equity_irr" if financing else "irr"
        # Where the full model's IRR is not unique, the NPV at the hurdle (/ PV of revenue) must be zero.
        flow = (
            join_portfolio(full.equity_cash_flow, full.portfolio_equity_cash_flow)
            if financing
            else join_portfolio(full.free_cash_flow, full.portfolio_free_cash_flow)
        )
        npv_residual = _pick(present_value(flow, factors), _sites(result)) / np.abs(scale)
        return xr.where(
            checked[f"{irr_name}_status"] == 0, checked[irr_name] - target_irr, npv_residual
        )

    solution = _check_solution(result, solution, factor, irr_residual, IRR_CHECK_TOLERANCE)
    _label(
        solution,
        f"GPU-hour price for a {basis} IRR of {target_irr:.2%}",
        "EUR/GPU-hour",
        "1/yr",
        target_irr,
    )
    return solution


def breakeven_price(result, *, basis: str = "project") -> xr.Dataset:
    """The GPU-hour price at which the project NPV (discount rate) or equity NPV (cost of equity) is zero.

    The project basis is the model's own metric (``breakeven_price_factor`` and
    ``breakeven_gpu_hour_price``, solved once, by :func:`tecmodel.model.metrics.breakeven_revenue_factor`),
    returned with its full-model check; the equity basis recomputes financing at every price
    and levelises the price at the cost of equity. ``value`` [EUR/GPU-hour] (levelised at the
    rate of the NPV), ``factor`` [1] on the case's prices, ``status``, ``check`` (the full
    model's NPV at the solution / PV of revenue [1]).
    """
    if basis not in ("project", "equity"):
        raise ValueError(f"basis must be 'project' or 'equity', not {basis!r}")
    financing = basis == "equity"
    rate = result.parameters["financing.cost_of_equity" if financing else "finance.discount_rate"]
    if financing:
        solution, factor, scale = _solve_price_factor(result, rate, financing=True)
    else:
        factor = _metrics(result)["breakeven_price_factor"]
        solution = xr.Dataset(
            {
                "factor": factor,
                "status": xr.where(np.isfinite(factor), SOLVED, NOT_CONVERGED).astype(np.int64),
                "value": _metrics(result)["breakeven_gpu_hour_price"],
            }
        )
        factors = discount_factors(rate, result.timeline["t"])
        scale = with_portfolio(
            present_value(item_total(result.cash_flows, category="revenue"), factors)
        )

    def npv_residual(factor: xr.DataArray) -> xr.DataArray:
        checked = _pick(
            _metrics(_evaluate_at_factors(result, PRICE_PARAMETERS, factor)), _sites(result)
        )
        return checked["equity_npv" if financing else "npv"] / np.abs(scale)

    solution = _check_solution(result, solution, factor, npv_residual, CHECK_TOLERANCE)
    _label(solution, f"Break-even GPU-hour price ({basis} NPV = 0)", "EUR/GPU-hour", "1", 0.0)
    return solution


def price_breakdown(result, *, basis: str = "project") -> xr.Dataset:
    """The break-even GPU-hour price split by line-item group, summing to it.

    At the break-even price the PV of revenue equals minus the PV of everything else, so the
    price (PV of revenue / PV of GPU-hours sold) is the sum over groups of
    -PV(group) / PV(GPU-hours): what each group costs per GPU-hour sold, net of its own inflows
    (resale and residual value).

    Parameters
    ----------
    result : Result
    basis : {"project", "equity"}
        Project: unlevered, at the discount rate, at the model's ``breakeven_price_factor``
        (financing is zero). Equity: equity cash flow at the cost of equity, at the equity
        break-even (:func:`breakeven_price`); financing is the PV of every debt flow.

    Returns
    -------
    xarray.Dataset
        ``contribution`` (group, site incl. portfolio, ...) [EUR/GPU-hour] with groups
        :data:`GROUPS`; ``total`` (their sum) and ``breakeven_price`` (the solver's price)
        [EUR/GPU-hour]; ``status`` of the break-even solution.
    """
    financing = basis == "equity"
    if basis == "project":
        factor = _metrics(result)["breakeven_price_factor"]
        status = xr.where(np.isfinite(factor), SOLVED, NOT_CONVERGED).astype(np.int64)
        price = _metrics(result)["breakeven_gpu_hour_price"]
    elif basis == "equity":
        solution = breakeven_price(result, basis="equity")
        factor, status, price = solution["factor"], solution["status"], solution["value"]
    else:
        raise ValueError(f"basis must be 'project' or 'equity', not {basis!r}")
    rate = result.parameters["financing.cost_of_equity" if financing else "finance.discount_rate"]
    factors = discount_factors(rate, result.timeline["t"])
    sites = _sites(result)
    cube = flows_at_revenue_factor(result, _by_mode(factor.fillna(1.0), sites), financing=financing)
    hours = _hours_pv(result, rate)
    rows = []
    for group in GROUPS:
        if group == "tax":
            flows = item_total(cube, category="tax")
        elif group == "financing":
            flows = item_total(cube, category="financing")
        else:
            flows = item_total(cube, component=group, exclude=("revenue", "tax", "financing"))
        with np.errstate(divide="ignore", invalid="ignore"):
            rows.append(_pick(-with_portfolio(present_value(flows, factors)) / hours, sites))
    contribution = xr.concat(rows, dim="group", coords="minimal", compat="override").assign_coords(
        group=list(GROUPS)
    )
    contribution = xr.where(status == SOLVED, contribution, np.nan)
    breakdown = xr.Dataset(
        {
            "contribution": contribution,
            "total": contribution.sum("group", skipna=False),
            "breakeven_price": xr.where(status == SOLVED, price, np.nan),
            "status": status,
        }
    )
    breakdown["contribution"].attrs = {
        "units": "EUR/GPU-hour",
        "long_name": f"Cost per GPU-hour sold at the {basis} break-even, by group",
    }
    breakdown["total"].attrs = {
        "units": "EUR/GPU-hour",
        "long_name": "Sum of the groups' costs per GPU-hour",
    }
    breakdown["breakeven_price"].attrs = {
        "units": "EUR/GPU-hour",
        "long_name": f"Break-even GPU-hour price ({basis})",
    }
    breakdown["status"].attrs = {
        "units": "1",
        "long_name": "Solver status of the break-even (0 = solved)",
    }
    breakdown.attrs = {"basis": basis}
    return breakdown


# --------------------------------------------------------------------------- input solvers (NPV = 0)


def _linear_npv_solver(result, name: str, *, increasing: bool, description: str) -> xr.Dataset:
    """Factor on a parameter at which the project NPV is zero, using the linearity of the pre-tax items."""
    parameter = resolve(name)
    base = result.parameters[parameter.name]
    low_bound, high_bound = parameter.bounds
    ends = xr.DataArray([low_bound, high_bound], dims=MODE)
    overrides = overrides_of(result)
    overrides[parameter.name] = (
        (base * 0 + ends).transpose("site", ...) if "site" in base.dims else base * 0 + ends
    )
    both = evaluate(
        result.case, overrides
    )  # one vectorised call: the model at both ends of the range
    pre_tax = item_total(both.cash_flows, exclude=("tax", "financing"))
    profit = both.tax_accounts.array(both.tax_accounts.taxable_income_before_losses)
    factors = discount_factors(result.parameters["finance.discount_rate"], result.timeline["t"])
    sites = _sites(result)

    def at_value(value: xr.DataArray, array: xr.DataArray) -> xr.DataArray:
        weight = (value - low_bound) / (high_bound - low_bound)
        start, end = array.isel({MODE: 0}, drop=True), array.isel({MODE: 1}, drop=True)
        return start + weight * (end - start)

    def npv(factor: xr.DataArray) -> xr.DataArray:
        value = base * factor
        flows = at_value(value, pre_tax) - _tax(at_value(value, profit), result.parameters)
        return with_portfolio(present_value(flows, factors))

    template = _unknown_template(result)
    with np.errstate(divide="ignore"):
        per_site_low = xr.where(base > 0, low_bound / base, 0.0)
        per_site_high = xr.where(base > 0, high_bound / base, 0.0)
    low = xr.concat(
        [per_site_low, per_site_low.max("site").expand_dims(site=[PORTFOLIO])], dim="site"
    )
    high = xr.concat(
        [per_site_high, per_site_high.min("site").expand_dims(site=[PORTFOLIO])], dim="site"
    )
    scale = _metrics(result)["capex_total"]
    factor, status = _solve_factor(result, npv, low, high, scale, increasing=increasing)
    solution = xr.Dataset({"factor": factor, "status": status})
    site_value = base * factor.sel(site=sites)
    same_base = base.max("site") == base.min("site")
    portfolio_value = xr.where(
        same_base, base.isel(site=0, drop=True) * factor.sel(site=PORTFOLIO, drop=True), np.nan
    )
    solution["value"] = xr.concat(
        [site_value, portfolio_value.expand_dims(site=[PORTFOLIO])], dim="site"
    ).transpose(*template.dims)

    def npv_residual(factor: xr.DataArray) -> xr.DataArray:
        checked = _pick(_metrics(_evaluate_at_factors(result, (parameter.name,), factor)), sites)
        return checked["npv"] / np.abs(scale)

    solution = _check_solution(result, solution, factor, npv_residual, CHECK_TOLERANCE)
    _label(solution, description, parameter.unit, "1", 0.0)
    return solution


def highest_chip_cost(result) -> xr.Dataset:
    """The highest accelerator price at which the project NPV stays non-negative.

    Returns
    -------
    xarray.Dataset
        ``value`` [USD/accelerator] (per site; for the portfolio, one factor on every site's
        price: ``value`` only where the sites' prices are equal), ``factor`` [1] on the case's
        price, ``status``, ``check`` (full-model NPV at the solution / gross capex [1]).
    """
    return _linear_npv_solver(
        result,
        "chips.unit_price",
        increasing=False,
        description="Highest accelerator price with NPV >= 0",
    )


def lowest_utilisation(result) -> xr.Dataset:
    """The lowest billed utilisation at which the project NPV stays non-negative (see
    :func:`highest_chip_cost` for the variables; ``value`` [1])."""
    return _linear_npv_solver(
        result,
        "revenue.utilisation",
        increasing=True,
        description="Lowest billed utilisation with NPV >= 0",
    )


def _label(
    solution: xr.Dataset, description: str, value_units: str, check_units: str, target: float
) -> None:
    solution["value"].attrs = {"units": value_units, "long_name": description}
    solution["factor"].attrs = {
        "units": "1",
        "long_name": "Factor on the case's value at the solution",
    }
    solution["check"].attrs = {
        "units": check_units,
        "long_name": "Full-model miss of the target at the solution",
    }
    solution.attrs = {"description": description, "target": target}


# --------------------------------------------------------------------------- budget for the full plan


def budget_for_plan(result) -> xr.Dataset:
    """The investment budget the full stated plan needs, and the check that it funds it.

    Uses :func:`tecmodel.budget.budget_analysis`, in which the IT MW a budget funds fully
    equipped is affine in the budget: evaluated at the stated budget and one EUR 1 bn higher, it
    gives the budget that funds the plan's IT MW (the plan's uses of funds) and the one that funds the
    stated accelerator count; the analysis is then run again at each answer.

    Returns
    -------
    xarray.Dataset
        Over (site incl. portfolio, ...): ``budget_for_plan_mw`` and
        ``budget_for_plan_accelerators`` [EUR] (NaN where no count is stated), ``stated_budget``
        [EUR], ``funding_gap`` (plan MW budget - stated) [EUR], ``status`` and
        ``status_accelerators`` (:data:`SOLVER_STATUS`; 1 where the plan states nothing), and
        the checks ``check_mw`` and ``check_accelerators`` (relative miss of the funded IT MW /
        accelerators at the answer) [1].
    """
    params = result.parameters
    stated = params["plan.budget"]

    def analysis(budget: xr.DataArray) -> xr.Dataset:
        changed = dataclasses.replace(result, parameters=params.assign({"plan.budget": budget}))
        return changed.budget

    first = analysis(stated)
    second = analysis(stated + 1e9)
    per_mw = 1e9 / (second["funded_it_mw"] - first["funded_it_mw"])
    need_mw = stated + (first["plan_it_mw"] - first["funded_it_mw"]) * per_mw
    need_acc = stated + (first["plan_accelerators"] - first["funded_accelerators"]) * (
        1e9 / (second["funded_accelerators"] - first["funded_accelerators"])
    )
    stated_count = first["plan_accelerators"] > 0
    need_acc = xr.where(stated_count, need_acc, np.nan)
    at_mw = analysis(need_mw)
    at_acc = analysis(xr.where(stated_count, need_acc, stated))
    with np.errstate(divide="ignore", invalid="ignore"):
        check_mw = at_mw["funded_it_mw"] / at_mw["plan_it_mw"] - 1.0
        check_acc = xr.where(
            stated_count, at_acc["funded_accelerators"] / at_acc["plan_accelerators"] - 1.0, np.nan
        )
    status_mw = xr.where(np.abs(check_mw) <= CHECK_TOLERANCE, SOLVED, CHECK_FAILED)
    status_acc = xr.where(
        stated_count,
        xr.where(np.abs(check_acc) <= CHECK_TOLERANCE, SOLVED, CHECK_FAILED),
        OUT_OF_REACH,
    )

    def with_total(array: xr.DataArray) -> xr.DataArray:
        return xr.concat(
            [array, array.sum("site", skipna=False).expand_dims(site=[PORTFOLIO])], dim="site"
        )

    solution = xr.Dataset(
        {
            "budget_for_plan_mw": with_total(need_mw),
            "budget_for_plan_accelerators": with_total(need_acc),
            "stated_budget": with_total(stated),
            "funding_gap": with_total(need_mw - stated),
            "status": xr.concat(
                [status_mw, status_mw.max("site").expand_dims(site=[PORTFOLIO])], dim="site"
            ),
            "status_accelerators": xr.concat(
                [status_acc, status_acc.max("site").expand_dims(site=[PORTFOLIO])], dim="site"
            ),
            "check_mw": xr.concat(
                [check_mw, np.abs(check_mw).max("site").expand_dims(site=[PORTFOLIO])], dim="site"
            ),
            "check_accelerators": xr.concat(
                [check_acc, np.abs(check_acc).max("site").expand_dims(site=[PORTFOLIO])], dim="site"
            ),
        }
    )
    attrs = {
        "budget_for_plan_mw": (
            "EUR",
            "Budget that funds the full plan's IT MW fully equipped (grid included)",
        ),
        "budget_for_plan_accelerators": (
            "EUR",
            "Budget that funds the stated accelerator count fully equipped",
        ),
        "stated_budget": ("EUR", "Stated initial investment budget"),
        "funding_gap": ("EUR", "Budget for the full plan less the stated budget"),
        "status": ("1", "Solver status, plan MW (0 = solved)"),
        "status_accelerators": (
            "1",
            "Solver status, stated accelerators (0 = solved; 1 = none stated)",
        ),
        "check_mw": ("1", "Funded IT MW at the answer / plan IT MW - 1"),
        "check_accelerators": ("1", "Funded accelerators at the answer / stated accelerators - 1"),
    }
    return set_attributes(solution, attrs)


def describe(solution: xr.Dataset, site: str = PORTFOLIO) -> str:
    """One sentence for a deterministic solver answer at a site."""
    row = solution.sel(site=site)
    status = int(row["status"])
    if status != SOLVED:
        return f"{site}: {solution.attrs.get('description', 'solution')}: {SOLVER_STATUS[status]}."
    units = solution["value"].attrs.get("units", "")
    value = float(row["value"])
    shown = (
        f"{value:,.4g} {units}"
        if np.isfinite(value)
        else f"x {float(row['factor']):.4f} of the case's values"
    )
    return f"{site}: {solution.attrs.get('description', 'solution')}: {shown} (factor {float(row['factor']):.4f})."
