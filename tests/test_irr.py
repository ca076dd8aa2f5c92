"""Tests of tecmodel.numerics.irr: the vectorised IRR solver.

Every test names the source of its expected numbers: the numpy-financial
docstrings, numpy_financial.irr on the same flows,
numpy.roots (companion-matrix eigenvalues) for root counts, polynomials
built from chosen roots, or mathematical identities (scaling, layout).
Warnings are errors (pyproject ``filterwarnings``), so every test also checks
that no numpy warning is emitted.
"""

from __future__ import annotations

import tracemalloc
from fractions import Fraction

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tecmodel.numerics.irr import IRR_STATUS, IrrResult, irr, rate_grid

from . import irr_reference
from .irr_reference import ReferenceSolver

LOW, HIGH = -0.99, 10.0

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def project_flows(rng: np.random.Generator, n_series: int, n_years: int) -> np.ndarray:
    """Realistic project cash flows [EUR], layout (year, series).

    Construction over 1-3 years (capex 800-1200 spread evenly), then net
    operating cash of 6-35 % of capex a year with a trend of -3 %...+4 % a
    year and 10 % lognormal noise, and a refresh investment of 20-80 % of
    capex every fifth operating year (not in the final year), which can turn
    that year negative.
    """
    build_years = rng.integers(1, 4, n_series)
    capex = rng.uniform(800.0, 1200.0, n_series)
    margin = rng.uniform(0.06, 0.35, n_series)
    trend = rng.uniform(-0.03, 0.04, n_series)
    refresh = rng.uniform(0.2, 0.8, n_series)
    year = np.arange(n_years)[:, None]
    operating_year = year - build_years
    operating = np.where(
        operating_year >= 0, capex * margin * (1.0 + trend) ** np.maximum(operating_year, 0), 0.0
    )
    operating *= rng.lognormal(0.0, 0.1, (n_years, n_series))
    construction = np.where(operating_year < 0, -capex / build_years, 0.0)
    is_refresh = (operating_year > 0) & (operating_year % 5 == 0) & (year < n_years - 1)
    return construction + operating + np.where(is_refresh, -refresh * capex, 0.0)


def real_rates_in_range(flows, low=LOW, high=HIGH, imag_tol=1e-9) -> np.ndarray:
    """IRRs of one series from numpy.roots (companion-matrix eigenvalues).

    Zero flows at either end are trimmed (they only add roots at g = 0 or
    x = 0), and the polynomial is solved in x = 1 + r (coefficients cf_0,
    cf_1, ... from the highest power) or in g = 1/(1 + r), whichever has the
    larger leading coefficient, so that a tiny leading coefficient does not
    spoil the eigenvalues.  Roots with |imag| <= imag_tol |root| count as real.
    """
    flows = np.trim_zeros(np.asarray(flows, dtype=float))
    in_x = abs(flows[0]) >= abs(flows[-1])
    roots = np.roots(flows if in_x else flows[::-1])
    real = roots[np.abs(roots.imag) <= imag_tol * np.abs(roots)].real
    real = real[real > 0.0]
    rates = real - 1.0 if in_x else 1.0 / real - 1.0
    return np.sort(rates[(rates >= low) & (rates <= high)])


def flows_from_growth_roots(*factors) -> np.ndarray:
    """Flows whose NPV * (1+r)**(T-1) is the product of the factors in x = 1+r.

    Each factor is a coefficient list in descending powers of x; the product's
    coefficients, highest power first, are the flows cf_0, cf_1, ...
    """
    product = np.array([1.0])
    for factor in factors:
        product = np.polymul(product, factor)
    return product


def _trim(poly: list) -> list:
    while poly and poly[-1] == 0:
        poly.pop()
    return poly


def _remainder(a: list, b: list) -> list:
    a = list(a)
    while a and len(a) >= len(b):
        factor = a[-1] / b[-1]
        shift = len(a) - len(b)
        for i, coefficient in enumerate(b):
            a[shift + i] -= factor * coefficient
        a.pop()
        _trim(a)
    return a


def _value(poly: list, x: Fraction) -> Fraction:
    value = Fraction(0)
    for coefficient in reversed(poly):
        value = value * x + coefficient
    return value


def _sturm_chain(poly: list) -> list:
    chain = [poly, _trim([k * c for k, c in enumerate(poly)][1:])]
    while chain[-1]:
        remainder = _remainder(chain[-2], chain[-1])
        if not remainder:
            break
        chain.append([-c for c in remainder])
    return chain


def _distinct_roots(poly: list, a: Fraction, b: Fraction) -> int:
    """Distinct real roots of poly (ascending, exact) in [a, b] (Sturm's theorem)."""
    if len(poly) <= 1:
        return 0
    chain = _sturm_chain(poly)

    def variations(x):
        signs = [v > 0 for v in (_value(q, x) for q in chain) if v != 0]
        return sum(u != v for u, v in zip(signs, signs[1:], strict=False))

    return variations(a) - variations(b) + (_value(poly, a) == 0)


def exact_root_count(flows, low: float, high: float) -> tuple[int, bool]:
    """Distinct IRRs in [low, high] and whether one is a multiple root.

    Exact rational arithmetic (fractions.Fraction of the float flows) on the
    polynomial sum cf_t g**t over g in [1/(1+high), 1/(1+low)]; multiple roots
    are the roots of gcd(P, P'), the last element of the Sturm chain.
    """
    poly = _trim([Fraction(float(v)) for v in flows])
    while poly and poly[0] == 0:  # roots at g = 0 (r = infinity) only
        poly.pop(0)
    a, b = 1 / (1 + Fraction(high)), 1 / (1 + Fraction(low))
    if len(poly) <= 1:
        return 0, False
    gcd = _sturm_chain(poly)[-1]
    return _distinct_roots(poly, a, b), len(gcd) > 1 and _distinct_roots(gcd, a, b) > 0


# --------------------------------------------------------------------------
# numpy-financial docstring examples
# --------------------------------------------------------------------------

# (flows, numpy_financial.irr docstring value rounded to 5 digits)
NPF_DOCSTRING = [
    ([-100, 39, 59, 55, 20], 0.28095),
    ([-100, 0, 0, 74], -0.0955),
    ([-100, 100, 0, -7], -0.0833),
    ([-100, 100, 0, 7], 0.06206),
    ([-5, 10.5, 1, -8, 1], 0.0886),
]


@pytest.mark.parametrize("flows, documented", NPF_DOCSTRING)
def test_numpy_financial_docstring_examples(flows, documented):
    """npf.irr docstring values; root counts in range from numpy.roots.

    numpy_financial.irr returns the real root closest to zero.  Two of the
    five documented series have several IRRs in [-0.99, 10] (numpy.roots:
    -0.0833 and -0.6789; -0.8702, 0.0886 and 0.7096), and for those the only
    correct answer is status 2 with no rate.
    """
    assert round(npf.irr(flows), 5) == documented
    roots = real_rates_in_range(flows)
    result = irr(flows)
    if roots.size == 1:
        assert int(result.status) == 0
        assert round(float(result.rate), 5) == documented
        assert float(result.rate) == pytest.approx(npf.irr(flows), abs=1e-12)
    else:
        assert roots.size >= 2
        assert int(result.status) == 2
        assert np.isnan(result.rate)
        assert str(result.reasons()) == "several IRRs in the admissible range"


def test_docstring_multiple_root_examples_are_status_2():
    """Known from numpy.roots (see above): examples 3 and 5 have 2 and 3 IRRs."""
    assert real_rates_in_range([-100, 100, 0, -7]) == pytest.approx([-0.67889437, -0.08329967])
    assert real_rates_in_range([-5, 10.5, 1, -8, 1]) == pytest.approx(
        [-0.87020125, 0.08859834, 0.70955953]
    )
    result = irr(np.array([[-100, -5], [100, 10.5], [0, 1], [-7, -8], [0, 1]], dtype=float))
    assert result.status.tolist() == [2, 2]


# --------------------------------------------------------------------------
# agreement with numpy_financial on realistic project flows
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_years", [21, 30])
def test_agrees_with_numpy_financial_on_project_flows(n_years):
    """numpy_financial.irr (numpy.roots) on the same 2,000 project series.

    Wherever our status is 0 and npf's root lies in range, the two agree to
    1e-9.  Where npf finds a root in range but our status is not 0, numpy.roots
    must show several IRRs in range (status 2 is then the right answer).
    """
    rng = np.random.default_rng(20240601 + n_years)
    flows = project_flows(rng, 2_000, n_years)
    result = irr(flows)
    reference = np.array([npf.irr(flows[:, i]) for i in range(flows.shape[1])])
    in_range = np.isfinite(reference) & (reference >= LOW) & (reference <= HIGH)
    compared = in_range & (result.status == 0)
    assert compared.sum() > 1_500
    np.testing.assert_allclose(result.rate[compared], reference[compared], rtol=0, atol=1e-9)
    for i in np.flatnonzero(in_range & (result.status != 0)):
        assert result.status[i] == 2
        assert real_rates_in_range(flows[:, i]).size >= 2
    # every status-0 rate is also a root numpy.roots finds
    for i in np.flatnonzero(result.status == 0)[:200]:
        roots = real_rates_in_range(flows[:, i])
        assert np.min(np.abs(roots - result.rate[i])) < 1e-9


def test_status_2_confirmed_by_numpy_roots_on_project_flows():
    """numpy.roots counts at least two real IRRs in range wherever status is 2."""
    rng = np.random.default_rng(7)
    flows = project_flows(rng, 3_000, 30)
    result = irr(flows)
    several = np.flatnonzero(result.status == 2)
    assert several.size > 0
    for i in several[:100]:
        assert real_rates_in_range(flows[:, i]).size >= 2


def test_certificate_never_changes_an_answer(monkeypatch):
    """The fine grid alone (certificate switched off) gives the same results.

    The Descartes certificate only proves root counts to skip the fine grid,
    so statuses must be identical and rates equal to Newton's tolerance.

    The whole-array reference path (tests/irr_reference.py) is the one that calls
    ``certify``; the compiled path's certificate is switched off in
    tests/test_irr_compiled.py.
    """
    rng = np.random.default_rng(11)
    flows = np.concatenate([project_flows(rng, 3_000, 21), project_flows(rng, 3_000, 30)[:21]], 1)
    solver = ReferenceSolver(-0.99, 10.0, 16, flows.shape[0])
    certified_rate, certified_status = solver.run(flows)
    monkeypatch.setattr(irr_reference, "certify", lambda coef, x: np.zeros(coef.shape[1], bool))
    grid_rate, grid_status = solver.run(flows)
    np.testing.assert_array_equal(certified_status, grid_status)
    np.testing.assert_allclose(certified_rate, grid_rate, rtol=0, atol=1e-12)


def test_certificate_agrees_with_numpy_roots():
    """A proven series has at most one positive root (numpy.roots count).

    Random polynomials with 2-40 coefficients, pivots at random x in (0, 1];
    numpy.roots counts real positive roots (|imag| <= 1e-9 |root|) of well
    conditioned cases (roots kept 1e-3 apart from each other).
    """
    rng = np.random.default_rng(3)
    proven_count = 0
    for _ in range(3_000):
        n = int(rng.integers(2, 41))
        coef = rng.normal(size=n) * rng.choice([1.0, 0.0], size=n, p=[0.85, 0.15])
        if not np.any(coef):
            continue
        coef = coef / np.max(np.abs(coef))
        pivot = rng.uniform(0.05, 1.0)
        polynomial = np.polynomial.Polynomial(coef)
        if abs(polynomial(pivot)) < 1e-6:
            continue
        if not irr_reference.certify(coef[:, None], np.array([pivot]))[0]:
            continue
        roots = polynomial.roots()
        positive = np.sort(
            roots[(np.abs(roots.imag) <= 1e-9 * np.abs(roots)) & (roots.real > 0)].real
        )
        if positive.size > 1 and np.min(np.diff(positive)) < 1e-3:
            continue
        proven_count += 1
        assert positive.size <= 1, (coef, pivot, positive)
    assert proven_count > 500


# --------------------------------------------------------------------------
# constructed roots
# --------------------------------------------------------------------------


def test_two_known_irrs_10_and_20_percent():
    """(x - 1.1)(x - 1.2) = x**2 - 2.3 x + 1.32 with x = 1 + r: IRRs 10 % and 20 %."""
    flows = flows_from_growth_roots([1.0, -1.1], [1.0, -1.2])
    np.testing.assert_allclose(flows, [1.0, -2.3, 1.32])
    assert real_rates_in_range(flows) == pytest.approx([0.1, 0.2])
    for sign in (1.0, -1.0):
        result = irr(sign * flows)
        assert int(result.status) == 2
        assert np.isnan(result.rate)


def test_unique_root_despite_several_sign_changes():
    """(x - 1.1)(x**2 - x + 1): flows [1, -2.1, 2.1, -1.1], 3 sign changes, one IRR 10 %."""
    flows = flows_from_growth_roots([1.0, -1.1], [1.0, -1.0, 1.0])
    np.testing.assert_allclose(flows, [1.0, -2.1, 2.1, -1.1])
    result = irr(flows)
    assert int(result.status) == 0
    assert float(result.rate) == pytest.approx(0.1, abs=1e-14)


@given(
    r1=st.floats(-0.45, 0.7),
    gap=st.floats(0.2, 0.6),
    extra=hnp.arrays(np.float64, st.integers(0, 6), elements=st.floats(0.1, 10.0)),
    sign=st.sampled_from([1.0, -1.0]),
)
@PROPERTY_SETTINGS
def test_two_constructed_irrs_give_status_2(r1, gap, extra, sign):
    """Roots 1 + r1 and 1 + r1 + gap times a factor with positive coefficients.

    A polynomial with positive coefficients has no positive root, so the
    flows have exactly these two IRRs in range, at least two grid cells
    apart (grid spacing <= 0.086 in the band): status 2.
    """
    factor = np.concatenate([[1.0], extra])
    flows = sign * flows_from_growth_roots([1.0, -(1.0 + r1)], [1.0, -(1.0 + r1 + gap)], factor)
    result = irr(flows)
    assert int(result.status) == 2


@given(
    r=st.floats(-0.9, 9.0),
    beta=st.floats(0.3, 3.0),
    gamma_ratio=st.floats(0.3, 2.0),
    extra=hnp.arrays(np.float64, st.integers(0, 5), elements=st.floats(0.1, 10.0)),
)
@PROPERTY_SETTINGS
def test_constructed_unique_irr_is_found(r, beta, gamma_ratio, extra):
    """(x - (1 + r)) * (complex pair) * (positive factor): exactly one IRR, r."""
    gamma = gamma_ratio * beta
    pair = [1.0, -2.0 * beta, beta**2 + gamma**2]
    flows = flows_from_growth_roots([1.0, -(1.0 + r)], pair, np.concatenate([[1.0], extra]))
    result = irr(flows)
    assert int(result.status) == 0
    assert float(result.rate) == pytest.approx(r, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("grid_points", [16, 64])
def test_root_on_every_grid_node_is_counted_once(grid_points):
    """[-1, 1 + r_k] has the single IRR r_k for every node r_k of the grid."""
    nodes = rate_grid(LOW, HIGH, grid_points)
    flows = np.stack([-np.ones_like(nodes), 1.0 + nodes])
    result = irr(flows, grid_points=grid_points)
    np.testing.assert_array_equal(result.status, 0)
    np.testing.assert_allclose(result.rate, nodes, rtol=1e-14, atol=1e-15)


def test_exact_zero_on_a_node_with_several_sign_changes():
    """(x - 1)(x**2 - x + 1) = x**3 - 2x**2 + 2x - 1: NPV(0) is exactly 0.

    The root r = 0 is a grid node and the flows change sign three times, so
    the grid counting decides: one root, counted once, status 0 at r = 0.
    """
    result = irr([1.0, -2.0, 2.0, -1.0])
    assert int(result.status) == 0
    assert float(result.rate) == 0.0
    result = irr([-100.0, 50.0, 50.0])
    assert int(result.status) == 0
    assert float(result.rate) == 0.0


def test_tangent_double_root_is_not_reported_as_a_rate():
    """(x - 1)**2 = [1, -2, 1] and (x - 1.1)**2: a double root, on a node or not.

    NPV touches zero without changing sign; a root of multiplicity two cannot
    be separated from a pair of roots at float64 precision, so it is
    reported as status 2 (counted with multiplicity), never with a rate.
    """
    for flows in ([1.0, -2.0, 1.0], flows_from_growth_roots([1.0, -1.1], [1.0, -1.1])):
        result = irr(flows)
        assert int(result.status) == 2
        assert np.isnan(result.rate)


def test_two_roots_inside_one_grid_cell():
    """(x - 1.1)(x - 1.105): IRRs 10 % and 10.5 % (numpy.roots), one grid cell.

    The grid sees no sign change there; the exact isolation does: status 2.
    """
    flows = flows_from_growth_roots([1.0, -1.1], [1.0, -1.105])
    assert real_rates_in_range(flows) == pytest.approx([0.1, 0.105])
    grid = rate_grid()
    assert np.count_nonzero((grid > 0.1) & (grid < 0.105)) == 0
    result = irr(flows)
    assert int(result.status) == 2
    assert np.isnan(result.rate)


def test_hidden_root_pair_next_to_a_simple_root():
    """A simple IRR at -50 % plus a pair at 10 % and 10.5 % inside one grid cell.

    The grid shows exactly one sign change; numpy.roots shows three IRRs, so
    reporting -50 % would be a silently chosen root: status must be 2.
    """
    flows = flows_from_growth_roots([1.0, -0.5], [1.0, -1.1], [1.0, -1.105], [1.0, 0.3, 2.0])
    assert real_rates_in_range(flows) == pytest.approx([-0.5, 0.1, 0.105])
    result = irr(flows)
    assert int(result.status) == 2


def test_count_brackets_counts_node_roots_once():
    """Hand-made grid values (rows = nodes): zeros on nodes count once."""
    values = np.array(
        [
            [1.0, 1.0, 0.0, 1.0, 1.0, 1.0],
            [0.0, 0.0, 1.0, -1.0, 0.0, 1.0],
            [-1.0, 1.0, -1.0, 1.0, 0.0, 2.0],
        ]
    )
    count, where, on_node = irr_reference.count_brackets(values)
    assert count.tolist() == [1, 1, 2, 2, 2, 0]
    assert on_node.tolist() == [True, True, True, False, True, False]
    assert where[:2].tolist() == [1, 1]


# --------------------------------------------------------------------------
# statuses for degenerate input
# --------------------------------------------------------------------------


def test_non_finite_flows_status_4_without_warning():
    """NaN / inf in a series: status 4, NaN rate, other series unaffected."""
    flows = np.array(
        [[-100.0, np.nan, -100.0, np.inf, -np.inf], [39, 1, 39, -1, 1], [59, 1, 59, 1, 1]]
    )
    result = irr(flows)
    assert result.status.tolist() == [0, 4, 0, 4, 4]
    assert np.isnan(result.rate[[1, 3, 4]]).all()
    assert result.rate[0] == result.rate[2]
    assert result.reasons()[1] == "non-finite cash flows"


def test_all_zero_and_same_sign_flows_status_1():
    """No sign change among the non-zero flows: status 1 (no IRR exists)."""
    flows = np.array([[0.0, 1.0, -1.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, -3.0, 5.0]]).T
    result = irr(flows.T)
    assert result.status.tolist() == [1, 1, 1, 1]
    assert np.isnan(result.rate).all()
    assert int(irr([]).status) == 1
    assert int(irr([5.0]).status) == 1


@given(
    flows=hnp.arrays(
        np.float64,
        st.integers(1, 60),
        elements=st.floats(0.0, 1e9, allow_subnormal=False),
    ),
    sign=st.sampled_from([1.0, -1.0]),
)
@PROPERTY_SETTINGS
def test_same_sign_flows_property(flows, sign):
    """Flows of one sign (zeros allowed) never have an IRR: status 1."""
    result = irr(sign * flows)
    assert int(result.status) == 1
    assert np.isnan(result.rate)


def test_no_root_in_range_status_3():
    """[-1, 100]: IRR 99 > high; [-1, 0, ..., 0, 1e-20] over 10 years: r < low."""
    assert int(irr([-1.0, 100.0]).status) == 3
    flows = np.zeros(10)
    flows[0], flows[-1] = -1.0, 1e-20
    assert real_rates_in_range(flows).size == 0  # the IRR is -99.4 %
    assert int(irr(flows).status) == 3


def test_leading_and_trailing_zero_flows():
    """Zero years before and after the project do not change the IRR (npf.irr)."""
    core = [-100.0, 39.0, 59.0, 55.0, 20.0]
    padded = [0.0, 0.0] + core + [0.0, 0.0, 0.0]
    result = irr(np.stack([core + [0.0] * 5, padded, [0.0] * 5 + core]).T)
    np.testing.assert_array_equal(result.status, 0)
    expected = npf.irr(core)
    np.testing.assert_allclose(result.rate, expected, rtol=0, atol=1e-12)


def test_extreme_magnitudes_and_rates_near_the_bounds():
    """Flows of 1e12 and 1e-12, IRRs next to low and high, 60 periods.

    Expected rates from the closed form of two-flow series: [-1, (1+r)**k]
    at period k has the IRR r.
    """
    cases = [
        (0, 1, 9.9),  # close to high
        (0, 1, -0.9895),  # close to low
        (0, 59, -0.985),  # long series, root near low: (1+r)**59 = 1.4e-108
        (0, 59, 4.0),  # (1+r)**59 = 1.7e41
        (10, 59, 0.12),
    ]
    for scale in (1e12, 1.0, 1e-12):
        flows = np.zeros((60, len(cases)))
        expected = np.empty(len(cases))
        for j, (first, last, rate) in enumerate(cases):
            flows[first, j] = -scale
            flows[last, j] = scale * (1.0 + rate) ** (last - first)
            expected[j] = rate
        result = irr(flows)
        np.testing.assert_array_equal(result.status, 0)
        np.testing.assert_allclose(result.rate, expected, rtol=1e-12)


# --------------------------------------------------------------------------
# property tests on arbitrary flows
# --------------------------------------------------------------------------

flow_series = st.integers(2, 60).flatmap(
    lambda n: hnp.arrays(
        np.float64, n, elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)
    )
)


#: Flows with one root: an outlay then non-negative inflows (Descartes' rule
#: of signs allows one positive root of the discount polynomial), plus an
#: arbitrary tail so later sign changes also occur.
conventional_series = (
    st.integers(1, 59)
    .flatmap(
        lambda n: st.tuples(
            st.floats(1.0, 1e3),
            hnp.arrays(np.float64, n, elements=st.floats(0.0, 1e3, allow_subnormal=False)),
        )
    )
    .map(lambda parts: np.concatenate([[-parts[0]], parts[1]]))
)
mostly_single_root = st.one_of(conventional_series, flow_series)


def npv(rate, flows):
    """sum_t cf_t / (1 + r)**t [EUR] of one series by Horner's scheme, first flow at t = 0."""
    flows = np.asarray(flows, dtype=np.float64)
    g = 1.0 / (1.0 + rate)
    acc = flows[-1]
    for t in range(flows.size - 2, -1, -1):
        acc = acc * g + flows[t]
    return acc


def discounted_scale(flows, rate):
    """sum_t |cf_t| / (1 + r)**t [EUR]: the size NPV(r) is measured against."""
    return float(npv(rate, np.abs(flows)))


@given(flows=mostly_single_root, exponent=st.integers(-12, 12))
@PROPERTY_SETTINGS
def test_npv_vanishes_at_the_irr(flows, exponent):
    """NPV(irr) = 0 up to 1e-10 of the discounted absolute flows."""
    flows = flows * 10.0**exponent
    result = irr(flows)
    assume(int(result.status) == 0)
    rate = float(result.rate)
    assert LOW <= rate <= HIGH
    assert abs(float(npv(rate, flows))) <= 1e-10 * discounted_scale(flows, rate)


@given(flows=mostly_single_root)
@PROPERTY_SETTINGS
def test_npv_changes_sign_across_the_range(flows):
    """Status 0 means one simple root in range (a double root is status 2), so
    NPV(low) and NPV(high) straddle zero; a root exactly at an end of the range (flows -10, 0.1
    have their IRR at -99 %) leaves that end's NPV zero to rounding (1e-12 of the discounted
    absolute flows)."""
    result = irr(flows)
    assume(int(result.status) == 0)
    at_low, at_high = float(npv(LOW, flows)), float(npv(HIGH, flows))
    at_an_end = min(
        abs(at_low) / discounted_scale(flows, LOW), abs(at_high) / discounted_scale(flows, HIGH)
    )
    assert np.sign(at_low) * np.sign(at_high) <= 0.0 or at_an_end <= 1e-12


exact_values = st.one_of(
    st.integers(-5, 5).map(float),
    st.integers(-(10**5), 10**5).map(lambda v: v / 100.0),
    st.floats(-1e3, 1e3).filter(lambda v: v == 0.0 or abs(v) > 1e-6),
)


@given(flows=st.integers(2, 9).flatmap(lambda n: hnp.arrays(np.float64, n, elements=exact_values)))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_status_is_the_exact_root_count(flows):
    """Status against Sturm's theorem in exact rational arithmetic.

    Small integers make double roots and roots on grid nodes common.  0 means
    exactly one simple root in range, 3 none, 2 several or a multiple root.
    A root within rounding of ``low`` or ``high`` may fall either way, so the
    range is also tried 1e-9 narrower and wider.
    """
    status = int(irr(flows).status)
    if not (np.any(flows > 0) and np.any(flows < 0)):
        assert status == 1
        return
    consistent = []
    for low, high in ((LOW, HIGH), (LOW - 1e-9, HIGH + 1e-8), (LOW + 1e-9, HIGH - 1e-8)):
        count, multiple = exact_root_count(flows, low, high)
        consistent.append(
            (status == 0 and count == 1 and not multiple)
            or (status == 3 and count == 0)
            or (status == 2 and (count >= 2 or multiple))
        )
    assert any(consistent), (status, exact_root_count(flows, LOW, HIGH))


def test_exact_root_count_reference():
    """The Sturm reference itself on the numpy-financial docstring series."""
    assert exact_root_count([-100, 39, 59, 55, 20], LOW, HIGH) == (1, False)
    assert exact_root_count([-100, 100, 0, -7], LOW, HIGH) == (2, False)
    assert exact_root_count([-5, 10.5, 1, -8, 1], LOW, HIGH) == (3, False)
    assert exact_root_count([1, -2, 1], LOW, HIGH) == (1, True)
    assert exact_root_count([2.758e-219, -1.0, 2.0, -1.0, 2.758e-219], LOW, HIGH) == (2, False)


@given(flows=flow_series, exponent=st.integers(-40, 40), factor=st.floats(1e-6, 1e6))
@PROPERTY_SETTINGS
def test_positive_scaling_leaves_the_irr_unchanged(flows, exponent, factor):
    """Scaling by 2**k is exact in floating point: identical results.

    Scaling by another positive factor rounds every flow, so only the rates
    of status-0 results are compared (to 1e-9).
    """
    reference = irr(flows)
    scaled = irr(flows * 2.0**exponent)
    np.testing.assert_array_equal(scaled.status, reference.status)
    np.testing.assert_array_equal(scaled.rate, reference.rate)
    other = irr(flows * factor)
    if int(reference.status) == 0 and int(other.status) == 0:
        assert float(other.rate) == pytest.approx(float(reference.rate), abs=1e-9)


@given(
    cube=st.tuples(st.integers(2, 25), st.integers(1, 4), st.integers(1, 5)).flatmap(
        lambda shape: hnp.arrays(
            np.float64, shape, elements=st.floats(-1e3, 1e3, allow_subnormal=False)
        )
    )
)
@PROPERTY_SETTINGS
def test_shapes_and_axes_are_consistent(cube):
    """3-D (year, a, b) input: any time axis, 2-D slices and single series agree.

    A series' result does not depend on the layout or its neighbours, so the
    comparisons are exact.
    """
    reference = irr(cube)  # time on axis 0
    assert reference.rate.shape == reference.status.shape == cube.shape[1:]
    assert reference.status.dtype == np.int8
    for axis, moved in ((-1, np.moveaxis(cube, 0, -1)), (1, np.moveaxis(cube, 0, 1))):
        result = irr(moved, axis=axis)
        np.testing.assert_array_equal(result.status, reference.status)
        np.testing.assert_array_equal(result.rate, reference.rate)
    flat = cube.reshape(cube.shape[0], -1)
    two_d = irr(flat)
    np.testing.assert_array_equal(two_d.rate.reshape(cube.shape[1:]), reference.rate)
    transposed = irr(np.ascontiguousarray(flat.T), axis=-1)
    np.testing.assert_array_equal(transposed.rate, two_d.rate)
    for i in range(min(flat.shape[1], 4)):
        single = irr(flat[:, i])
        assert single.rate.shape == ()
        assert int(single.status) == two_d.status[i]
        np.testing.assert_array_equal(single.rate, two_d.rate[i])


def test_block_boundaries_do_not_matter(monkeypatch):
    """Small blocks (97 series) give the same results as one block, in the whole-array
    reference path (the one that works block by block; the compiled path's batch splits are
    tested in tests/test_irr_compiled.py)."""
    rng = np.random.default_rng(5)
    flows = project_flows(rng, 1_000, 21)
    solver = ReferenceSolver(-0.99, 10.0, 16, flows.shape[0])
    reference_rate, reference_status = solver.run(flows)
    monkeypatch.setattr(irr_reference, "BLOCK_SERIES", 97)
    rate, status = solver.run(flows)
    np.testing.assert_array_equal(status, reference_status)
    np.testing.assert_array_equal(rate, reference_rate)


def test_range_and_grid_options():
    """Narrow ranges, all-negative or all-positive, and a coarser grid.

    [-100, 100, 0, -7] has IRRs -67.9 % and -8.3 % (numpy.roots).
    """
    flows = [-100.0, 100.0, 0.0, -7.0]
    assert int(irr(flows, low=-0.5, high=0.0).status) == 0
    assert float(irr(flows, low=-0.5, high=0.0).rate) == pytest.approx(-0.08329966618, abs=1e-10)
    assert float(irr(flows, low=-0.9, high=-0.5).rate) == pytest.approx(-0.67889437, abs=1e-8)
    assert int(irr(flows, low=-0.5, high=-0.1).status) == 3
    assert int(irr(flows, grid_points=8).status) == 2
    result = irr([-100.0, 39.0, 59.0, 55.0, 20.0], low=0.05, high=0.5, grid_points=8)
    assert float(result.rate) == pytest.approx(0.28094842116, abs=1e-10)
    grid = rate_grid(0.0, 1.0, 8)
    assert grid[0] == 0.0 and grid[-1] == 1.0 and np.all(np.diff(grid) > 0)
    grid = rate_grid()
    assert grid.size == 16 and 0.0 in grid and grid[0] == LOW and grid[-1] == HIGH
    for grid_points in (8, 16, 64):
        assert int(irr(flows, grid_points=grid_points).status) == 2


def test_invalid_arguments():
    """Bad ranges, grids, 0-d input and over-long series are rejected."""
    with pytest.raises(ValueError):
        irr(1.0)
    with pytest.raises(ValueError):
        irr([-1.0, 2.0], low=-1.0)
    with pytest.raises(ValueError):
        irr([-1.0, 2.0], low=0.5, high=0.5)
    with pytest.raises(ValueError):
        irr([-1.0, 2.0], high=np.inf)
    with pytest.raises(ValueError):
        irr([-1.0, 2.0], grid_points=4)
    with pytest.raises(ValueError, match="too many"):
        irr(np.ones(200))
    assert irr(np.ones((200, 2)), low=-0.1, high=0.5).status.tolist() == [1, 1]


def test_result_type_and_reasons():
    """IrrResult is frozen; reasons() maps every code through IRR_STATUS."""
    assert IRR_STATUS == {
        0: "ok",
        1: "no sign change in the cash flows",
        2: "several IRRs in the admissible range",
        3: "no IRR in the admissible range",
        4: "non-finite cash flows",
    }
    result = IrrResult(rate=np.full(5, np.nan), status=np.arange(5, dtype=np.int8))
    assert result.reasons().tolist() == [IRR_STATUS[code] for code in range(5)]
    with pytest.raises(AttributeError):
        result.rate = np.zeros(5)
    empty = irr(np.zeros((5, 0)))
    assert empty.rate.shape == (0,) and empty.status.shape == (0,)


# --------------------------------------------------------------------------
# a million series
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_million_series_in_blocks():
    """10**6 series of 21 years: equal to separate calls on 65,536-series
    slices, with temporaries far below a (grid, year, series) array.

    A (grid, year, series) float64 array would take 16 * 21 * 10**6 * 8 B =
    2.7 GB; the peak of traced numpy allocations beyond input and output
    must stay under 150 MB.
    """
    rng = np.random.default_rng(2024)
    flows = project_flows(rng, 1_000_000, 21)
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    result = irr(flows)
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    assert peak < 150e6
    assert np.count_nonzero(result.status == 0) > 990_000
    for start in range(0, flows.shape[1], 65_536):
        part = irr(flows[:, start : start + 65_536])
        np.testing.assert_array_equal(part.status, result.status[start : start + 65_536])
        np.testing.assert_array_equal(part.rate, result.rate[start : start + 65_536])
