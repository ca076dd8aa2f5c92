"""The one declared registry of model parameters.

This module owns the list of every numeric input the model reads: its dotted name, scope (one
value per case, or one per site), unit, admissible bounds, reference range, whether it may be
sampled, a description and the source of its reference values. Everything else is generated from
it: case-file validation (:mod:`tecmodel.inputs`), the parameter dataset
(:mod:`tecmodel.parameters`), the SALib problem, the workbook's inputs sheet and the assumptions
table in ``inputs/README.md`` (:mod:`tecmodel.docs`). Nothing here computes anything.

Units are the model's own: shares are fractions (unit ``"1"``), rates are per year (``"1/yr"``),
money is nominal EUR unless the unit says USD. A case file may state a value in any unit
convertible to the registry unit (``%`` for ``1``, ``EUR/kWh`` for ``EUR/MWh`` ...); it is
converted on load.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Literal

Scope = Literal["case", "site"]

#: Parameters whose short names the user asked for; usable wherever a parameter name is accepted.
ALIASES: dict[str, str] = {
    "energy_price": "power.market_price",
    "utilisation": "revenue.utilisation",
    "chip_cost": "chips.unit_price",
}


@dataclass(frozen=True)
class Parameter:
    """One registered model input.

    Attributes
    ----------
    name : str
        Dotted name, ``group.field`` (e.g. ``power.market_price``).
    scope : {"case", "site"}
        ``"case"``: one value for the whole case; ``"site"``: one value per site.
    unit : str
        The model's unit for the value (after conversion from the case file's unit).
    bounds : tuple of float
        Admissible closed interval; a value outside it is an input error.
    reference : tuple of float
        Low, mode and high of the sourced reference range (``../shared/REFERENCE_INPUTS.md``).
    description : str
        What the parameter means, in one sentence.
    source : str
        Where the reference values come from.
    integer : bool
        The value must be a whole number (years, lives).
    samplable : bool
        May carry a distribution and be a Sobol / Monte Carlo factor. Structural integers
        (lives, durations) are not samplable.
    default : float or None
        Used when a case omits the parameter; ``None`` makes it required in every case file.
    yearly : bool
        The value may differ by year: it may follow a price process of the case (``drives``)
        or be overridden with a ``year`` dimension; a single value holds in every year.
    """

    name: str
    scope: Scope
    unit: str
    bounds: tuple[float, float]
    reference: tuple[float, float, float]
    description: str
    source: str
    integer: bool = False
    samplable: bool = True
    default: float | None = None
    yearly: bool = False

    @property
    def group(self) -> str:
        """The case-file section the parameter lives in (``power`` for ``power.market_price``)."""
        return self.name.split(".", 1)[0]

    @property
    def field(self) -> str:
        """The key inside its section (``market_price`` for ``power.market_price``)."""
        return self.name.split(".", 1)[1]

    @property
    def required(self) -> bool:
        return self.default is None

    def expected(self) -> str:
        """Human description of an admissible value, used in error messages."""
        low, high = self.bounds
        kind = "a whole number" if self.integer else "a number"
        return f"{kind} in [{_fmt(low)}, {_fmt(high)}] {self.unit}"


def _fmt(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:g}"


INF = math.inf
_P = Parameter

#: Refreshes a ``chips.refresh_policy`` code can describe (one base-3 digit each).
REFRESH_POLICY_ROUNDS = 8

# Source strings are kept short; the full citations are in inputs/README.md and in
# ../shared/REFERENCE_INPUTS.md from which these reference ranges were taken.
_SRC_WACC = "REFERENCE_INPUTS 1f: WACC nominal EUR post-tax 6.5/9/13 % (own est. from cost of debt and equity)"

PARAMETERS: tuple[Parameter, ...] = (
    # ---------------------------------------------------------------- model horizon (case)
    _P(
        "model.start_year",
        "case",
        "calendar year",
        (2000, 2100),
        (2025, 2025, 2025),
        "First model year, discounted at t = 0 (year-end cash flows).",
        "Fluidstack: construction start Q3-2025 (WSJ via livemint.com)",
        integer=True,
        samplable=False,
    ),
    _P(
        "model.end_year",
        "case",
        "calendar year",
        (2000, 2150),
        (2045, 2045, 2050),
        "Last model year; the horizon value (terminal.method) is realised at its end.",
        "Own choice: a 20-year operating horizon after first operations",
        integer=True,
        samplable=False,
    ),
    # ---------------------------------------------------------------- finance and tax (case)
    _P(
        "finance.discount_rate",
        "case",
        "1/yr",
        (-0.99, 1.0),
        (0.065, 0.09, 0.13),
        "Nominal post-tax discount rate (WACC) applied to unlevered free cash flow.",
        _SRC_WACC,
    ),
    _P(
        "finance.inflation",
        "case",
        "1/yr",
        (-0.05, 0.25),
        (0.01, 0.02, 0.035),
        "General escalation of opex, grid tariffs, excise and staff costs.",
        "ECB medium-term inflation target 2 % (own choice of range)",
    ),
    # ---------------------------------------------------------------- horizon value (case)
    # The method (liquidation, going concern, none) is the case file's `terminal.method`
    # (tecmodel.inputs.horizon); these are the rates each method reads.
    _P(
        "terminal.chip_value_retention",
        "case",
        "1",
        (0.0, 1.0),
        (0.63, 0.67, 0.70),
        "Liquidation: share of its value a used accelerator keeps per year of age; one bought in "
        "year V sells at the horizon T for retention^(T - V + 1) of its purchase price (the "
        "purchase year counts as a year of use).",
        "MARKETS_NOTES: used H100 60-65 % of new after 1 year, 40-45 % after 2, 25-35 % after 3 "
        "(GLRI guide); REFERENCE_INPUTS 1a: 25-35 % after 36 months (v2-pseo-ai.pages.dev); "
        "0.63-0.70 per year gives 25-34 % at age 3",
        default=0.67,
    ),
    _P(
        "terminal.facility_share",
        "case",
        "1",
        (0.0, 1.0),
        (0.5, 0.8, 1.0),
        "Liquidation: share of the depreciated replacement cost (the cost new at horizon-year "
        "prices x the remaining straight-line share of its economic life) a buyer pays for the "
        "shell, electrical and cooling plant and the grid connection; land sells at its cost.",
        "Own est.: a discount to replacement cost for a specialised facility sold with its power; "
        "powered sites trade at 100-550 kUSD per MW (B. Riley via reportify.ai)",
        default=0.8,
    ),
    _P(
        "terminal.exit_multiple",
        "case",
        "1",
        (0.0, 100.0),
        (5.0, 8.0, 14.0),
        "Going concern (exit multiple): enterprise value at the horizon per EUR of the last "
        "year's EBITDA (revenue + opex).",
        "ctacquisitions.com: single-site colocation low-to-mid teens EV/EBITDA, platforms "
        "20-30x (leases, no accelerator refresh); own est. 5/8/14 for a GPU campus whose EBITDA "
        "must pay for its accelerators",
        default=8.0,
    ),
    _P(
        "terminal.perpetuity_growth",
        "case",
        "1/yr",
        (-0.5, 0.2),
        (0.0, 0.02, 0.03),
        "Going concern (perpetuity): yearly growth of the normalised free cash flow after the "
        "horizon; must stay below finance.discount_rate.",
        "Own est.: at most the ECB's 2 % inflation target in nominal terms",
        default=0.02,
    ),
    _P(
        "tax.corporate_rate",
        "case",
        "1",
        (0.0, 0.6),
        (0.25, 0.2583, 0.3613),
        "Corporate income tax rate including the social contribution.",
        "legifiscal.fr: IS 25 % + CSB 3.3 % of IS = 25.83 %; temporary surtax up to 36.13 % (FY2025-26)",
    ),
    _P(
        "tax.loss_offset_fixed",
        "case",
        "EUR",
        (0.0, INF),
        (1e6, 1e6, 1e6),
        "Profit that carried-forward losses may offset in full each year.",
        "Code general des impots art. 209-I: losses offset up to EUR 1 M plus 50 % of the excess",
        default=1e6,
        samplable=False,
    ),
    _P(
        "tax.loss_offset_share",
        "case",
        "1",
        (0.0, 1.0),
        (0.5, 0.5, 1.0),
        "Share of the profit above the fixed amount that carried-forward losses may offset.",
        "Code general des impots art. 209-I (50 %)",
        default=0.5,
        samplable=False,
    ),
    _P(
        "fx.usd_per_eur",
        "case",
        "USD/EUR",
        (0.5, 2.5),
        (1.05, 1.17, 1.25),
        "USD per EUR in a year: each generation's accelerators are bought at the rate of their "
        "purchase year, USD-quoted revenue converts at the rate of the year it is earned.",
        "exchangerates.org.uk 1.1818 (27-Feb-2026); bank forecasts end-2026 1.12-1.25",
        yearly=True,
    ),
    # ---------------------------------------------------------------- compute markets (case)
    _P(
        "markets.compute_price",
        "case",
        "USD/PFLOPS-hour",
        (1e-6, 1e3),
        (0.20, 0.28, 0.35),
        "Market rent of one PFLOP/s (dense FP4) of current-generation accelerators for an hour, "
        "in a year; only its movement enters: GPU-hour prices of a generation (merchant, and "
        "contract at signing) scale with its value in the year over its value in the site's "
        "reference year.",
        "B200 rental 3.20 -> 2.80 USD/GPU-h within 2025 (RBC via FT, newsbeep.com) / 10 PFLOPS "
        "dense FP4 per B200; a constant (no movement) by default",
        default=0.28,
        yearly=True,
    ),
    _P(
        "markets.hardware_cost",
        "case",
        "USD/PFLOPS",
        (1e-3, 1e7),
        (2_300.0, 5_500.0, 7_000.0),
        "All-in price of one PFLOP/s (dense FP4) of accelerators bought in a year; only its "
        "movement enters: a generation's price per accelerator is chips.unit_price x its value "
        "in the purchase year over its value in the site's reference year x the performance "
        "ratio.",
        "GB200 class 45/55/70 kUSD all-in / 10 PFLOPS (Bernstein via ng.investing.com); Rubin "
        "115 kUSD / 50 PFLOPS = 2,300 (REFERENCE_INPUTS 1a); a constant by default",
        default=5_500.0,
        yearly=True,
    ),
    # ---------------------------------------------------------------- financing (case)
    # Scalar financing inputs; the debt tranches themselves are the case file's
    # `financing.tranches` list (tecmodel/inputs.py, tecmodel/financing.py).
    _P(
        "financing.cost_of_equity",
        "case",
        "1/yr",
        (-0.99, 1.0),
        (0.09, 0.13, 0.18),
        "Nominal required return on equity; discounts the equity cash flow (equity NPV).",
        "REFERENCE_INPUTS 1f: cost of equity 9/13/18 % (arjuninfrastructure.com core infra 9-12 %; "
        "high own est.)",
        default=0.13,
    ),
    _P(
        "financing.rate_shift",
        "case",
        "1/yr",
        (-0.05, 0.2),
        (-0.01, 0.0, 0.02),
        "Shift added to every debt tranche's interest rate (a base-rate move; 0 = rates as stated).",
        "Own choice: 0 in the base case; +/-100-200 bp base-rate moves (REFERENCE_INPUTS 1f cost of "
        "debt 5.5-12 %)",
        default=0.0,
    ),
    _P(
        "financing.target_dscr",
        "case",
        "1",
        (1.0, 10.0),
        (1.20, 1.30, 1.50),
        "Debt-service cover ratio at which the debt capacity metric sizes the largest debt the "
        "cash flow supports.",
        "REFERENCE_INPUTS 1f: DSCR covenants e.g. 1.25x (bclplaw.com); own choice 1.30x",
        default=1.30,
    ),
    _P(
        "financing.reserve_period",
        "case",
        "yr",
        (0.0, 2.0),
        (0.25, 0.5, 1.0),
        "Debt service reserve account of each borrower, as a period of its largest yearly "
        "scheduled debt service (6 months = 0.5 yr): funded by the equity at first operations, "
        "drawn when CFADS falls short of debt service, refilled from later surpluses, released "
        "at maturity.",
        "MARKETS_NOTES (debt as lenders size it): a debt service reserve of typically 6 months of "
        "debt service",
        samplable=False,
        default=0.5,
    ),
    _P(
        "financing.lockup_dscr",
        "case",
        "1",
        (1.0, 10.0),
        (1.10, 1.15, 1.20),
        "DSCR below which a borrower's distributions are locked up (held in the borrower until a "
        "later year passes the test, or maturity).",
        "MARKETS_NOTES (debt as lenders size it): lock-up ratio typically 1.10-1.20x",
        samplable=False,
        default=1.10,
    ),
    # ---------------------------------------------------------------- build-out (site)
    _P(
        "timeline.first_year_fraction",
        "site",
        "1",
        (0.0, 1.0),
        (0.25, 0.5, 0.75),
        "Fraction of its online year during which a new phase operates (commissioning ramp).",
        "Own est.: mid-year commissioning on average",
    ),
    _P(
        "timeline.delay_years",
        "site",
        "yr",
        (0, 15),
        (0, 0, 3),
        "Delay of every phase's online year against plan (grid or commissioning); construction "
        "spend keeps its planned schedule.",
        "Own choice; RTE connection lead time 1.5-7 years (e-voltaire.fr)",
        integer=True,
        samplable=True,
        default=0,
    ),
    _P(
        "timeline.start_shift_years",
        "site",
        "yr",
        (0, 30),
        (0, 0, 5),
        "Years by which the site's whole plan starts later than stated: construction spend, grid "
        "connection schedule, phases online and the power contract's first year all move; the "
        "site's prices keep their stated reference year (the real-options analysis sets it for "
        "each candidate start year).",
        "Own choice: 0 is the plan as stated",
        integer=True,
        samplable=True,
        default=0,
    ),
    _P(
        "construction.build_years",
        "site",
        "yr",
        (1, 6),
        (1, 2, 3),
        "Construction duration of a phase; its facility capex is spread evenly over the build "
        "years ending in the online year.",
        "cortexconstruct.com: first building 18-24 months; Fluidstack Q3-2025 start, 250 MW end-2026",
        integer=True,
        samplable=False,
    ),
    # ---------------------------------------------------------------- chips (site)
    _P(
        "chips.unit_price",
        "site",
        "USD/accelerator",
        (1e3, 1e6),
        (45_000, 55_000, 70_000),
        "All-in IT capex per accelerator (GPU, CPU share, memory, scale-out network, storage) of "
        "the reference generation, bought in the site's reference year (its planned first "
        "online year); later purchases move with markets.hardware_cost and the performance.",
        "REFERENCE_INPUTS 1a: GB200/GB300 class all-in 45/55/70 kUSD (Bernstein via ng.investing.com)",
    ),
    _P(
        "chips.it_kw_per_accelerator",
        "site",
        "kW/accelerator",
        (0.2, 10.0),
        (1.70, 1.85, 2.00),
        "All-in IT power per accelerator slot at nameplate, network and storage included.",
        "REFERENCE_INPUTS 1a: GB200 NVL72 120-132 kW/rack / 72 + 5-10 % network",
    ),
    _P(
        "chips.performance",
        "site",
        "PFLOPS/accelerator",
        (1e-3, 1e4),
        (9.0, 10.0, 50.0),
        "Dense FP4 PFLOP/s per accelerator of the reference generation (bought in the site's "
        "reference year): the unit in which generations and compute-hours are compared.",
        "B200/GB200 ~10 PFLOPS dense FP4 per GPU, Rubin ~50 per package (achoenix.github.io, "
        "megaobzor.com via MARKETS_NOTES)",
    ),
    _P(
        "chips.performance_growth",
        "site",
        "1/yr",
        (-0.5, 2.0),
        (0.20, 0.30, 0.60),
        "Yearly growth of the dense FP4 PFLOP/s per accelerator slot (at the site's kW per "
        "accelerator) of the generation bought in a year.",
        "Epoch AI: ML hardware price-performance ~ +30 %/yr; dense FP4 per kW GB200 5.4 -> Rubin "
        "17.9 PFLOPS/kW in two years (own est. from MARKETS_NOTES)",
    ),
    _P(
        "chips.refresh_years",
        "site",
        "yr",
        (2, 10),
        (3, 5, 7),
        "Economic life: accelerators are replaced by a new generation this often.",
        "REFERENCE_INPUTS 1a: refresh cycle 3/5/7 years (own est.; realclear.ai)",
        integer=True,
        samplable=False,
    ),
    _P(
        "chips.refresh_min_remaining_years",
        "site",
        "yr",
        (0, 30),
        (2, 3, 5),
        "A refresh is bought only if at least this many model years remain, its own year "
        "included (end_year - refresh year + 1); otherwise the generation in service runs on to "
        "the horizon. 0 refreshes whenever one is due.",
        "Own choice: a generation must be able to serve the shortest economic life of "
        "REFERENCE_INPUTS 1a (3/5/7 years) before the horizon",
        integer=True,
        samplable=False,
        default=0.0,
    ),
    _P(
        "chips.refresh_policy",
        "site",
        "1",
        (0, 3**REFRESH_POLICY_ROUNDS - 1),
        (0, 0, 0),
        "What the site does at each accelerator refresh, one base-3 digit per refresh from the "
        "first (the lowest digit): 0 refresh (buy the new generation), 1 skip (run the "
        "generation in service for another refresh period), 2 stop and sell the accelerators "
        "(their revenue, energy and IT costs end; the facility's fixed costs continue). 0 "
        "refreshes at every refresh (the real-options analysis sets it for each policy).",
        "Own choice: 0 is the plan as stated",
        integer=True,
        samplable=True,
        default=0,
    ),
    _P(
        "chips.resale_share",
        "site",
        "1",
        (0.0, 1.0),
        (0.0, 0.10, 0.25),
        "Resale value of a retired accelerator at refresh, as a share of its purchase price.",
        "Own est. extrapolating 25-35 % after 36 months (v2-pseo-ai.pages.dev) to 5 years",
    ),
    _P(
        "chips.tax_life_years",
        "site",
        "yr",
        (1, 10),
        (3, 3, 5),
        "Straight-line tax depreciation life of IT equipment.",
        "cogilog.com, comptabox.fr: IT equipment 3 years (administrative guide)",
        integer=True,
        samplable=False,
    ),
    # ---------------------------------------------------------------- power (site)
    _P(
        "power.contract_share",
        "site",
        "1",
        (0.0, 1.0),
        (0.3, 0.7, 1.0),
        "Share of the energy bought under the long-term nuclear contract (CAPN) during its term; "
        "the rest, and all energy outside the term, is bought at the market price.",
        "Own est.; CAPN volumes ~10 TWh/yr in all (lemagit.fr); Data4 precedent 230 GWh/yr",
    ),
    _P(
        "power.contract_price",
        "site",
        "EUR/MWh",
        (0.0, 1000.0),
        (60.0, 70.0, 80.0),
        "Energy price of the long-term nuclear contract in the first model year.",
        "lemagit.fr: EDF CAPN starting price 70 EUR/MWh; CRE nuclear cost 60.3 EUR/MWh",
    ),
    _P(
        "power.contract_start_year",
        "site",
        "calendar year",
        (2000, 2150),
        (2026, 2026, 2028),
        "First year of deliveries under the long-term nuclear contract (CAPN).",
        "EDF CAPN contracts signed 2024-25 for deliveries from 2026 (lemagit.fr)",
        integer=True,
        samplable=False,
    ),
    _P(
        "power.contract_term_years",
        "site",
        "yr",
        (1, 100),
        (10, 12, 15),
        "Years of deliveries under the long-term nuclear contract; afterwards that energy is "
        "bought at the market price.",
        "CAPN terms 10-15 years; Data4's is 12 years (lemagit.fr, revolution-energetique.com)",
        integer=True,
    ),
    _P(
        "power.contract_indexation",
        "site",
        "1/yr",
        (-0.1, 0.3),
        (0.0, 0.02, 0.03),
        "Yearly indexation of the contract energy price.",
        "Own est. (CAPN contracts are indexed; no public formula)",
    ),
    _P(
        "power.market_price",
        "site",
        "EUR/MWh",
        (0.0, 4000.0),
        (52.0, 60.0, 69.0),
        "Wholesale baseload energy price in a year before power.market_escalation: the price in "
        "year t is this x (1 + escalation)^t (alias energy_price); a price that follows a process "
        "is its path, escalation 0.",
        "agence203.net Cal-26 52.70, Cal-27 56.10; selectra.info Cal-30 68.66 EUR/MWh; bound: "
        "a yearly average cannot exceed the day-ahead price cap (SDAC harmonised maximum "
        "clearing price 4,000 EUR/MWh)",
        yearly=True,
    ),
    _P(
        "power.market_escalation",
        "site",
        "1/yr",
        (-0.2, 0.3),
        (0.0, 0.02, 0.05),
        "Yearly change of the market energy price (0 where the price follows a process).",
        "French forward curve in contango Cal-26 52.7 -> Cal-30 68.7 (selectra.info); own est. long run",
        default=0.0,
    ),
    _P(
        "power.grid_tariff_capacity",
        "site",
        "EUR/MW/yr",
        (0.0, 1e6),
        (2_000.0, 5_000.0, 15_000.0),
        "TURPE HTB power component on subscribed MW (peak facility draw).",
        "CRE TURPE 4 HTB3 a2 = 4.69 EUR/kW/yr (deliberation 7-May-2014), TURPE 7 +9.6 % (omnegy.com); low confidence",
    ),
    _P(
        "power.grid_tariff_energy",
        "site",
        "EUR/MWh",
        (0.0, 100.0),
        (1.5, 5.0, 11.0),
        "TURPE HTB energy component, net of the stable-profile reduction.",
        "REFERENCE_INPUTS 1c: TURPE HTB all-in 2-12 EUR/MWh for a flat load (own est., low confidence)",
    ),
    _P(
        "power.excise",
        "site",
        "EUR/MWh",
        (0.0, 100.0),
        (10.0, 10.0, 26.58),
        "Electricity excise (accise); 10 EUR/MWh at the data-centre reduced rate.",
        "LF 2026 art. 18 / CIBS L312-70: DC rate 10 EUR/MWh; normal 20.92 + 5.66 = 26.58 EUR/MWh",
    ),
    _P(
        "power.capacity_cost",
        "site",
        "EUR/MWh",
        (0.0, 100.0),
        (0.2, 2.5, 6.0),
        "Capacity-mechanism cost passed through per MWh for a flat load.",
        "connaissancedesenergies.org 2,522 EUR/MW (2026); own est. ~3 EUR/MWh for the new mechanism",
    ),
    _P(
        "power.idle_share",
        "site",
        "1",
        (0.0, 1.0),
        (0.15, 0.20, 0.30),
        "IT power of an idle accelerator slot as a share of its nameplate.",
        "Uptime Institute: idle ~20 % of nameplate",
    ),
    _P(
        "power.active_load_share",
        "site",
        "1",
        (0.0, 1.0),
        (0.75, 0.85, 0.95),
        "Average IT power of a busy accelerator slot as a share of its nameplate.",
        "Own est. giving 75 % average load at 85 % utilisation (REFERENCE_INPUTS 1e: 60/75/90 %)",
    ),
    _P(
        "power.electrical_losses",
        "site",
        "1",
        (0.0, 1.0),
        (0.04, 0.06, 0.08),
        "PUE contribution of the electrical chain (transformers, UPS, lighting).",
        "Own est.: UPS and transformer efficiency 96-97 %",
    ),
    # ---------------------------------------------------------------- cooling (site)
    _P(
        "cooling.capex_per_mw",
        "site",
        "EUR/MW",
        (0.0, 2e7),
        (1.2e6, 2.0e6, 3.0e6),
        "Cooling capex per MW IT (CDUs, secondary loops, dry coolers; no chillers).",
        "REFERENCE_INPUTS 1b: 1.2/2.0/3.0 MEUR per MW IT (own est., 15-25 % of facility capex)",
    ),
    _P(
        "cooling.overhead_annual",
        "site",
        "1",
        (0.0, 2.0),
        (0.06, 0.14, 0.24),
        "Annual-average PUE contribution of cooling (PUE = 1 + electrical losses + this).",
        "REFERENCE_INPUTS 1b: annual PUE 1.12/1.20/1.30 for warm-water DLC with dry coolers",
    ),
    _P(
        "cooling.overhead_peak",
        "site",
        "1",
        (0.0, 2.0),
        (0.20, 0.29, 0.40),
        "Peak (hot summer) PUE contribution of cooling; sizes the grid connection.",
        "REFERENCE_INPUTS 1b: peak-summer PUE ~1.3-1.4 (own est.)",
    ),
    _P(
        "cooling.maintenance_rate",
        "site",
        "1/yr",
        (0.0, 0.5),
        (0.01, 0.02, 0.03),
        "Yearly cooling maintenance as a share of installed cooling capex.",
        "Own est. (REFERENCE_INPUTS 1d: facility maintenance 1-2.5 %/yr)",
    ),
    _P(
        "cooling.replacement_years",
        "site",
        "yr",
        (5, 40),
        (12, 15, 20),
        "Life of the cooling plant; it is replaced at the same cost (escalated) after this.",
        "Own est. (dry coolers and CDUs)",
        integer=True,
        samplable=False,
    ),
    _P(
        "cooling.tax_life_years",
        "site",
        "yr",
        (1, 40),
        (10, 15, 20),
        "Straight-line tax depreciation life of the cooling plant.",
        "cogilog.com: installations 10-20 years",
        integer=True,
        samplable=False,
    ),
    _P(
        "cooling.water_use",
        "site",
        "L/kWh",
        (0.0, 10.0),
        (0.0, 0.0, 0.5),
        "Water use per kWh of IT energy (WUE); zero for a water-free design.",
        "Campus AI: water-free cooling (seed article); adiabatic assist ~0.2 L/kWh (own est.)",
    ),
    # ---------------------------------------------------------------- construction (site)
    _P(
        "construction.shell_core_per_mw",
        "site",
        "EUR/MW",
        (0.0, 5e7),
        (2.4e6, 3.3e6, 4.8e6),
        "Shell and core, fit-out and other facility capex per MW IT.",
        "Turner & Townsend EMEA ~11 MEUR/MW (savills-vx.com); shell 20 % + other 10 % split (own est.)",
    ),
    _P(
        "construction.electrical_per_mw",
        "site",
        "EUR/MW",
        (0.0, 5e7),
        (3.6e6, 4.95e6, 7.2e6),
        "Electrical capex per MW IT (HV substation, MV, UPS, generators).",
        "Turner & Townsend ~11 MEUR/MW; electrical 45 % split (own est.; Bernstein M&E ~1/3)",
    ),
    _P(
        "construction.land_per_mw",
        "site",
        "EUR/MW",
        (0.0, 1e7),
        (10_000.0, 30_000.0, 100_000.0),
        "Land cost per MW IT (not depreciated; kept at its value at the horizon).",
        "Own est.: ~535 m2/MW (Fouju 70-80 ha for 1.4 GW) x 30-100 EUR/m2",
    ),
    _P(
        "construction.contingency",
        "site",
        "1",
        (0.0, 1.0),
        (0.05, 0.075, 0.15),
        "Contingency on shell, core and electrical capex.",
        "Own est.",
    ),
    _P(
        "construction.building_life",
        "site",
        "yr",
        (5, 100),
        (25, 30, 40),
        "Economic life of shell and core (residual value at the horizon).",
        "Own est.",
        integer=True,
        samplable=False,
    ),
    _P(
        "construction.electrical_life",
        "site",
        "yr",
        (5, 60),
        (15, 20, 25),
        "Economic life of the electrical plant (residual value at the horizon).",
        "Own est.",
        integer=True,
        samplable=False,
    ),
    _P(
        "construction.building_tax_life",
        "site",
        "yr",
        (1, 60),
        (20, 25, 50),
        "Straight-line tax depreciation life of shell and core.",
        "cogilog.com: industrial buildings 20 years, commercial 20-50, offices 25",
        integer=True,
        samplable=False,
    ),
    _P(
        "construction.electrical_tax_life",
        "site",
        "yr",
        (1, 60),
        (10, 15, 20),
        "Straight-line tax depreciation life of the electrical plant.",
        "cogilog.com: installations 10-20 years",
        integer=True,
        samplable=False,
    ),
    # ---------------------------------------------------------------- grid connection (site)
    _P(
        "grid.connection_fixed_cost",
        "site",
        "EUR",
        (0.0, 1e10),
        (5e6, 20e6, 60e6),
        "Fixed grid-connection cost (customer HV works), paid with the first capacity step.",
        "Own est.; RTE connection conventions (services-rte.com), CRE deliberation 2024-200",
    ),
    _P(
        "grid.connection_cost_per_mw",
        "site",
        "EUR/MW",
        (0.0, 5e6),
        (30_000.0, 100_000.0, 300_000.0),
        "Grid-connection cost per MW of capacity, paid the year before each capacity step.",
        "REFERENCE_INPUTS 1b: 30/100/300 kEUR per MW (own est., low confidence)",
    ),
    _P(
        "grid.connection_life",
        "site",
        "yr",
        (5, 80),
        (20, 40, 50),
        "Economic life of the grid connection (residual value at the horizon).",
        "Own est.",
        integer=True,
        samplable=False,
    ),
    _P(
        "grid.connection_tax_life",
        "site",
        "yr",
        (1, 80),
        (15, 20, 25),
        "Straight-line tax depreciation life of the grid connection.",
        "Own est.",
        integer=True,
        samplable=False,
    ),
    # ---------------------------------------------------------------- operations (site)
    _P(
        "operations.staff_per_mw",
        "site",
        "FTE/MW",
        (0.0, 10.0),
        (0.2, 0.35, 0.6),
        "Permanent staff per MW of peak facility draw.",
        "brownstoneworldwide.com (Quartz): 20-30 staff per 100 MW; Campus AI 700 jobs (blocknewsint.com)",
    ),
    _P(
        "operations.cost_per_fte",
        "site",
        "EUR/FTE/yr",
        (0.0, 1e6),
        (70_000.0, 95_000.0, 130_000.0),
        "Loaded yearly cost of one full-time employee in the first model year.",
        "Own est. (France)",
    ),
    _P(
        "operations.facility_maintenance_rate",
        "site",
        "1/yr",
        (0.0, 0.5),
        (0.01, 0.015, 0.025),
        "Yearly maintenance of shell, core and electrical plant as a share of their capex.",
        "REFERENCE_INPUTS 1d: 1.0/1.5/2.5 % (own est.)",
    ),
    _P(
        "operations.it_support_rate",
        "site",
        "1/yr",
        (0.0, 0.5),
        (0.015, 0.03, 0.05),
        "IT hardware support, spares and RMA as a yearly share of installed IT capex.",
        "REFERENCE_INPUTS 1d: 1.5/3/5 % (own est.)",
    ),
    _P(
        "operations.insurance_rate",
        "site",
        "1/yr",
        (0.0, 0.1),
        (0.001, 0.0025, 0.005),
        "Property and business-interruption insurance as a yearly share of insured value.",
        "REFERENCE_INPUTS 1d: 0.10/0.25/0.50 % (own est.; marsh.com, lockton.com)",
    ),
    _P(
        "operations.local_taxes_per_mw",
        "site",
        "EUR/MW/yr",
        (0.0, 1e6),
        (1_000.0, 3_000.0, 10_000.0),
        "Local taxes (taxe fonciere, CFE, IFER) per MW of peak facility draw.",
        "BFM: Fouju ~EUR 1 M/yr taxe fonciere; REFERENCE_INPUTS 1d: 1/3/10 MEUR per GW-yr",
    ),
    _P(
        "operations.network_per_mw",
        "site",
        "EUR/MW/yr",
        (0.0, 1e6),
        (2_000.0, 5_000.0, 15_000.0),
        "Network and bandwidth (dark fibre, transit) per MW of peak facility draw.",
        "REFERENCE_INPUTS 1d: 2/5/15 MEUR per GW-yr (own est.)",
    ),
    # ---------------------------------------------------------------- revenue (site)
    _P(
        "revenue.gpu_hour_price",
        "site",
        "EUR/GPU-hour",
        (0.0, 100.0),
        (2.14, 2.82, 3.85),
        "Merchant price of a GPU-hour on the reference generation in the site's reference year "
        "(EUR at that year's rate); later prices move with markets.compute_price, the "
        "generation's performance, its age and the launches of newer generations.",
        "REFERENCE_INPUTS 1e: B200/GB200 long-term 2.5/3.3/4.5 USD/GPU-hr at 1.17 USD/EUR",
    ),
    _P(
        "revenue.age_decline",
        "site",
        "1/yr",
        (0.0, 0.9),
        (0.0, 0.03, 0.08),
        "Yearly decline of a generation's merchant price per unit of compute against the "
        "market's compute price, from wear, failures and support (between launch steps).",
        "Own est.: used H100 60-65 % of new after 1 year, 25-35 % after 3 (GLRI guide via "
        "MARKETS_NOTES) bounds index, steps and ageing together",
    ),
    _P(
        "revenue.obsolescence_step",
        "site",
        "1",
        (0.0, 0.9),
        (0.05, 0.10, 0.25),
        "Step down of a generation's merchant price at each launch of a newer generation after "
        "its purchase (every revenue.generation_cadence years).",
        "20-30 % step-downs cited at launches (MARKETS_NOTES), of which markets.compute_price "
        "carries the market-wide part; own est. 10 % for the generation's own part",
    ),
    _P(
        "revenue.generation_cadence",
        "site",
        "yr",
        (1, 10),
        (1, 2, 3),
        "Years between launches of new accelerator generations on the market.",
        "NVIDIA architectures every two years (Hopper 2022, Blackwell 2024, Rubin 2026) with a "
        "yearly refresh in between (Computex 2024 roadmap)",
        integer=True,
    ),
    _P(
        "revenue.utilisation",
        "site",
        "1",
        (0.0, 1.0),
        (0.70, 0.85, 0.95),
        "Steady billed utilisation of merchant capacity (GPU-hours sold / offered); a phase "
        "reaches revenue.ramp_* of it in its first two years; also drives the power draw of all "
        "capacity (alias utilisation).",
        "REFERENCE_INPUTS 1e: 70/85/95 % (Uptime Institute; LBNL 75-85 %)",
    ),
    _P(
        "revenue.ramp_first_year",
        "site",
        "1",
        (0.0, 1.0),
        (0.3, 0.6, 1.0),
        "Utilisation of a phase in its first year of operation, as a share of the steady "
        "utilisation (merchant sales and power draw).",
        "Own est.: new GPU capacity sells out over one to two years; 1 (no ramp-up) by default",
        default=1.0,
    ),
    _P(
        "revenue.ramp_second_year",
        "site",
        "1",
        (0.0, 1.0),
        (0.6, 0.85, 1.0),
        "Utilisation of a phase in its second year of operation, as a share of the steady "
        "utilisation.",
        "Own est.: new GPU capacity sells out over one to two years; 1 (no ramp-up) by default",
        default=1.0,
    ),
    _P(
        "revenue.availability",
        "site",
        "1",
        (0.0, 1.0),
        (0.90, 0.97, 0.995),
        "Share of contracted accelerator-hours that are billable (service level met); the "
        "rest is credited to the tenant.",
        "Meta Llama 3: >90 % effective training time on 16,384 H100 with 419 unexpected "
        "interruptions in 54 days (datacenterdynamics.com); GPU-cloud SLAs 99-99.9 %; own est. "
        "97 %; 1 (every hour billed) by default",
        default=1.0,
    ),
    _P(
        "revenue.contract_share",
        "site",
        "1",
        (0.0, 1.0),
        (0.0, 0.5, 0.9),
        "Share of each generation's accelerator-hours under a take-or-pay contract for "
        "revenue.contract_tenor_years from its purchase; afterwards sold on the merchant market.",
        "Own est.; REFERENCE_INPUTS 1e: take-or-pay anchor contracts ~95 % billed",
    ),
    _P(
        "revenue.contract_price",
        "site",
        "EUR/GPU-hour",
        (0.0, 100.0),
        (2.14, 2.48, 2.82),
        "Take-or-pay price of a GPU-hour on the reference generation signed in the site's "
        "reference year (EUR at that year's rate); a later generation's contract is signed at "
        "this price moved by markets.compute_price and its performance.",
        "inworld.ai B200 reserved from 2.65 USD; greaterwrong.com GB200 at-cost ~3.2 USD; 2.9 USD at 1.17",
    ),
    _P(
        "revenue.contract_tenor_years",
        "site",
        "yr",
        (1, 30),
        (3, 5, 5),
        "Years a generation's take-or-pay contract runs from its purchase; its price is fixed "
        "(or indexed) for the tenor.",
        "5-year take-or-pay offtakes: Nebius-Microsoft 17.4 bn USD, Nebius-Meta 3 bn USD "
        "(aimmediahouse.com, menfem.com via MARKETS_NOTES)",
        integer=True,
    ),
    _P(
        "revenue.contract_indexation",
        "site",
        "1/yr",
        (-0.5, 0.5),
        (0.0, 0.0, 0.03),
        "Yearly indexation of a contract's GPU-hour price during its tenor (0 = fixed price).",
        "Own est.: offtakes state a total contract value (Nebius-Microsoft 17.4 bn USD); 0 by "
        "default",
        default=0.0,
    ),
    _P(
        "revenue.contract_usd_share",
        "site",
        "1",
        (0.0, 1.0),
        (0.0, 0.0, 1.0),
        "Share of contract revenue quoted in USD, converted at each year's rate (0 = EUR).",
        "Hyperscaler offtakes are in USD (Nebius-Microsoft 17.4 bn USD); 0 (EUR) by default",
        default=0.0,
    ),
    _P(
        "revenue.merchant_usd_share",
        "site",
        "1",
        (0.0, 1.0),
        (0.0, 1.0, 1.0),
        "Share of merchant revenue quoted in USD, converted at each year's rate (0 = EUR).",
        "GPU-hour rental is quoted in USD (SemiAnalysis H100 index; compux.net); 0 (EUR) by "
        "default",
        default=0.0,
    ),
    # ---------------------------------------------------------------- stated plan (site)
    _P(
        "plan.budget",
        "site",
        "EUR",
        (0.0, 1e12),
        (1e10, 1e10, 1e10),
        "Stated initial investment budget of the site.",
        "Seed articles (EUR 10 bn initial investment)",
        samplable=False,
    ),
    _P(
        "plan.facility_mw",
        "site",
        "MW",
        (0.0, 1e5),
        (1000.0, 1000.0, 1400.0),
        "Stated full-plan capacity at the grid meter.",
        "Seed articles (up to 1 GW)",
        samplable=False,
    ),
    _P(
        "plan.accelerators",
        "site",
        "accelerator",
        (0.0, 1e8),
        (500_000.0, 500_000.0, 500_000.0),
        "Stated full-plan accelerator count.",
        "Seed articles (~500,000 next-generation chips)",
        samplable=False,
    ),
    _P(
        "plan.development_cost_share",
        "site",
        "1",
        (0.0, 0.5),
        (0.02, 0.03, 0.05),
        "Development and owner's costs (permits, studies, owner's engineering, the project "
        "company until operations) as a share of the initial capex; a use of funds in the "
        "sources and uses (not a row of the cash flows).",
        "Own est. (low confidence): 2-5 % of the capex of large infrastructure projects",
        samplable=False,
        default=0.03,
    ),
    _P(
        "plan.receivable_period",
        "site",
        "yr",
        (0.0, 1.0),
        (30 / 365.25, 45 / 365.25, 60 / 365.25),
        "Days of revenue outstanding as receivables (45 days = 45/365.25 yr); with the payables, "
        "the working capital funded at first operations in the sources and uses.",
        "Own est. (low confidence): compute contracts billed monthly, paid at 30-60 days",
        samplable=False,
        default=45 / 365.25,
    ),
    _P(
        "plan.payable_period",
        "site",
        "yr",
        (0.0, 1.0),
        (15 / 365.25, 30 / 365.25, 45 / 365.25),
        "Days of operating costs outstanding as payables (30 days = 30/365.25 yr); they reduce the "
        "working capital to fund.",
        "Own est. (low confidence): energy and services invoices paid at 30 days",
        samplable=False,
        default=30 / 365.25,
    ),
)

REGISTRY: dict[str, Parameter] = {parameter.name: parameter for parameter in PARAMETERS}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(parameter.group for parameter in PARAMETERS))
CASE_GROUPS: tuple[str, ...] = tuple(
    dict.fromkeys(p.group for p in PARAMETERS if p.scope == "case")
)
SITE_GROUPS: tuple[str, ...] = tuple(
    dict.fromkeys(p.group for p in PARAMETERS if p.scope == "site")
)


def resolve(name: str) -> Parameter:
    """Return the registered parameter for a dotted name or an alias.

    Raises
    ------
    KeyError
        With the closest registered names suggested.
    """
    canonical = ALIASES.get(name, name)
    try:
        return REGISTRY[canonical]
    except KeyError:
        raise KeyError(unknown_parameter_message(name)) from None


def unknown_parameter_message(name: str) -> str:
    """Message for a name that is neither a registered parameter nor an alias."""
    candidates = list(REGISTRY) + list(ALIASES)
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    hint = (
        f"; did you mean {', '.join(repr(c) for c in close)}?"
        if close
        else ("; see inputs/README.md for the registered names")
    )
    return f"{name!r} is not a registered parameter or alias{hint}"


def site_parameters() -> tuple[Parameter, ...]:
    return tuple(p for p in PARAMETERS if p.scope == "site")


def case_parameters() -> tuple[Parameter, ...]:
    return tuple(p for p in PARAMETERS if p.scope == "case")
