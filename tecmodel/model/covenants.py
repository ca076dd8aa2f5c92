"""The covenants of each borrower, year by year, and the financing diagnostics in words.

This module owns what a lender tests on a borrower's (site's) cash flow once the debt schedule is
fixed (:mod:`tecmodel.model.financing` states the definitions): the debt service reserve account,
the lock-up of distributions and the default test, carried from one year to the next as
whole-array operations over the series (samples x sites); and the sentences that name the year
and the amount of every finding of a deterministic structure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from tecmodel.inputs.terms import Tranche

#: Amounts below this many EUR are rounding, not debt.
EUR_TOLERANCE = 0.5


def covenant_accounts(
    cfads: np.ndarray,
    debt_service: np.ndarray,
    sized_service: np.ndarray,
    reserve_period: np.ndarray,
    lockup_dscr: np.ndarray,
) -> dict[str, np.ndarray]:
    """The debt service reserve account, the lock-up and the default test, year by year.

    A loop over the years, each a whole-array operation over the series (samples x sites): the
    accounts carry cash from one year to the next.

    Parameters
    ----------
    cfads, debt_service : numpy.ndarray
        (year, series) CFADS and debt service of this evaluation [EUR/yr].
    sized_service : numpy.ndarray
        (year, series) debt service of the fixed schedule [EUR/yr]: it sets the reserve's
        level, its funding year (the year before the first service) and maturity (the last).
    reserve_period : numpy.ndarray
        (series,) years of the largest yearly debt service held in reserve [yr].
    lockup_dscr : numpy.ndarray
        (series,) DSCR below which distributions are locked up [1].

    Returns
    -------
    dict of str to numpy.ndarray
        ``reserve_target`` (series,) [EUR]; per (year, series): ``reserve_balance`` and
        ``locked_cash`` at year end, ``reserve_funding`` (funding, positive; release,
        negative), ``reserve_draw`` (used to pay debt service, positive; refills negative)
        [EUR]; ``cash_held_back`` [EUR] (the change of the cash held in the borrower, reserve
        and locked-up cash: a negative equity flow when it grows); ``lock_up`` and ``default``
        (booleans).
    """
    n_years = cfads.shape[0]
    serviced = sized_service > EUR_TOLERANCE
    has_debt = serviced.any(axis=0)
    first = np.argmax(serviced, axis=0)
    maturity = n_years - 1 - np.argmax(serviced[::-1], axis=0)
    funding_year = np.maximum(first - 1, 0)
    target = np.where(has_debt, reserve_period * sized_service.max(axis=0), 0.0)
    reserve = np.zeros(cfads.shape[1:])
    locked = np.zeros(cfads.shape[1:])
    out = {
        name: np.zeros(cfads.shape)
        for name in (
            "reserve_balance",
            "locked_cash",
            "reserve_funding",
            "reserve_draw",
            "cash_held_back",
        )
    }
    lock_up = np.zeros(cfads.shape, dtype=bool)
    default = np.zeros(cfads.shape, dtype=bool)
    for year in range(n_years):
        held_before = reserve + locked
        funding = np.where(has_debt & (year == funding_year), target - reserve, 0.0)
        reserve = reserve + funding
        tested = (debt_service[year] > EUR_TOLERANCE) & (year <= maturity)
        gap = np.where(tested, debt_service[year] - cfads[year], 0.0)
        from_locked = np.clip(gap, 0.0, locked)
        from_reserve = np.clip(gap - from_locked, 0.0, reserve)
        default[year] = tested & (gap - from_locked - from_reserve > EUR_TOLERANCE)
        locked = locked - from_locked
        reserve = reserve - from_reserve
        surplus = np.where(
            (year >= first) & (year <= maturity),
            np.maximum(cfads[year] - debt_service[year], 0.0),
            0.0,
        )
        refill = np.minimum(surplus, np.maximum(target - reserve, 0.0))
        reserve = reserve + refill
        with np.errstate(divide="ignore", invalid="ignore"):
            below = tested & (cfads[year] < lockup_dscr * debt_service[year])
        lock_up[year] = below
        locked = np.where(below, locked + surplus - refill, np.where(tested, 0.0, locked))
        matured = has_debt & (year == maturity)
        release = np.where(matured, reserve, 0.0)
        reserve = np.where(matured, 0.0, reserve)
        locked = np.where(matured, 0.0, locked)
        out["reserve_funding"][year] = funding - release
        out["reserve_draw"][year] = from_reserve - refill
        out["reserve_balance"][year] = reserve
        out["locked_cash"][year] = locked
        out["cash_held_back"][year] = held_before - (reserve + locked)
    out["reserve_target"] = target
    out["lock_up"] = lock_up
    out["default"] = default
    return out


# --------------------------------------------------------------------------- diagnostics in words


def _eur(amount: float) -> str:
    """EUR amount in bn from EUR 1 bn, else in M."""
    return f"EUR {amount / 1e9:,.2f} bn" if abs(amount) >= 1e9 else f"EUR {amount / 1e6:,.1f} M"


def financing_notes(financing: xr.Dataset, tranches: Sequence[Tranche]) -> list[str]:
    """One sentence per finding of a deterministic structure: year and amount, never just a flag."""
    notes: list[str] = []
    if not tranches:
        return notes
    years = financing["year"].values
    for site in financing["site"].values:
        row = financing.sel(site=site)
        for tranche in tranches:
            if site not in tranche.sites:
                continue
            part = row.sel(tranche=tranche.name)
            drawn = float(part["drawdown"].sum())
            if tranche.repayment == "sculpted":
                for year, short in zip(years, part["sculpting_shortfall"].values, strict=True):
                    if short > EUR_TOLERANCE:
                        cfads = float(row["cfads"].sel(year=year))
                        notes.append(
                            f"{site}: tranche {tranche.name} (sculpted to DSCR {tranche.target_dscr:.2f}x) "
                            f"cannot meet its target in {year}: CFADS of EUR {cfads / 1e6:,.0f} M is "
                            f"EUR {short / 1e6:,.0f} M short of {tranche.target_dscr:.2f}x the other "
                            "tranches' debt service; no sculpted repayment that year."
                        )
                lent = float(part["share_lent"])
                if drawn <= EUR_TOLERANCE:
                    notes.append(
                        f"{site}: tranche {tranche.name} draws nothing: the cash flow supports no sculpted "
                        f"debt at {tranche.target_dscr:.2f}x."
                    )
                elif lent < tranche.share * (1 - 1e-9):
                    notes.append(
                        f"{site}: tranche {tranche.name} is sized by its {tranche.target_dscr:.2f}x DSCR target "
                        f"to {lent:.1%} of the funded capex ({_eur(drawn)}; up to "
                        f"{tranche.share:.0%} allowed)."
                    )
                else:
                    notes.append(
                        f"{site}: tranche {tranche.name} lends its full {tranche.share:.0%} of the funded "
                        f"capex ({_eur(drawn)}); where it repays, its DSCR is at or above the "
                        f"{tranche.target_dscr:.2f}x target."
                    )
        service = row["debt_service"].values
        cfads = row["cfads"].values
        for year, flow, owed, failed in zip(
            years, cfads, service, row["default"].values, strict=True
        ):
            if owed > EUR_TOLERANCE and flow < owed:
                cure = (
                    "the reserve and locked-up cash do not cover the gap: default"
                    if failed
                    else "the reserve and locked-up cash cover the gap"
                )
                notes.append(
                    f"{site}: DSCR {flow / owed:.2f}x in {year}: CFADS of EUR {flow / 1e6:,.0f} M does not "
                    f"cover debt service of EUR {owed / 1e6:,.0f} M; {cure}."
                )
        locked = [
            str(year) for year, flag in zip(years, row["lock_up"].values, strict=True) if flag
        ]
        if locked:
            notes.append(
                f"{site}: distributions locked up (DSCR below the lock-up ratio) in {', '.join(locked)}."
            )
        for tranche in tranches:
            if site not in tranche.sites:
                continue
            left = float(row["repayment_at_horizon"].sel(tranche=tranche.name).sum())
            if left > EUR_TOLERANCE:
                notes.append(
                    f"{site}: refinancing risk: tranche {tranche.name} has {_eur(left)} outstanding at the "
                    f"horizon ({years[-1]}), a balloon the borrower must refinance (the model pays it in "
                    f"{years[-1]})."
                )
    return notes
