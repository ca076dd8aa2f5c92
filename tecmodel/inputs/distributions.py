"""Probability distributions of uncertain inputs, and rank correlations between them.

This module owns what a distribution in a case file means and when it is admissible. A case
file may attach a distribution to any samplable registered parameter, next to its base value::

    market_price: {value: 60, unit: EUR/MWh, source: "...",
                   distribution: {type: triangular, low: 52, mode: 60, high: 69}}

The numbers of a distribution are stated in the Quantity's unit and converted with it. The base
value (``value``) stays what a deterministic run uses; the distribution is read only by the
uncertainty analyses (:mod:`tecmodel.sampling`, :mod:`tecmodel.sensitivity`,
:mod:`tecmodel.montecarlo`). The maths (quantile functions) is scipy.stats'.

Supported types and their fields:

=================  ==============================  ============================================
type               fields                          meaning
=================  ==============================  ============================================
uniform            low, high                       flat on [low, high]
triangular         low, mode, high                 triangle on [low, high] peaking at mode
pert               low, mode, high [, shape=4]     beta-PERT: beta on [low, high] with mean
                                                   (low + shape * mode + high) / (shape + 2)
beta               alpha, beta, low, high          beta(alpha, beta) scaled to [low, high]
normal             mean, std                       Gaussian
truncated_normal   mean, std, low, high            Gaussian restricted to [low, high]
lognormal          mean, std                       log-normal with that mean and standard
                                                   deviation (of the value, not of its log)
=================  ==============================  ============================================

A distribution must stay inside the parameter's registry bounds; for the unbounded types
(normal, lognormal) "inside" means between the quantiles at probabilities
:data:`TAIL_PROBABILITY` and 1 - :data:`TAIL_PROBABILITY`, which are the most extreme values the
samplers can produce (uniform variates are clipped to that range before the quantile function).

Rank correlations (Spearman) between parameters are declared in the case's ``uncertainty``
section and imposed by a Gaussian copula (:func:`copula_factor`): the Spearman matrix is
converted to the Pearson matrix of the normal scores, rho_P = 2 sin(pi rho_S / 6) (exact for a
Gaussian copula, Kruskal 1958), whose Cholesky (or eigen-) factor correlates independent normal
scores sample by sample.

References
----------
Kruskal, W. H. (1958). Ordinal measures of association. JASA 53(284), 814-861.
Vose, D. (2008). Risk Analysis: A Quantitative Guide, 3rd ed., Wiley (PERT, section 9.1.3).
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from tecmodel.errors import Problem

#: Smallest and largest probability fed to a quantile function: uniform variates are clipped to
#: [TAIL_PROBABILITY, 1 - TAIL_PROBABILITY] so unbounded distributions give finite values.
TAIL_PROBABILITY = 1e-10
#: Fast quantiles of the beta family and the truncated normal (``Distribution._fast_inverse``):
#: spline nodes, the normal score beyond which the exact quantile function is used (4: a
#: probability of 3.2e-5 in each tail), and the largest accepted interpolation error, relative
#: to the width of the body.
INVERSION_NODES = 4096
INVERSION_Z = 4.0
INVERSION_TOLERANCE = 1e-10

#: type -> (required fields, optional fields with defaults)
KINDS: dict[str, tuple[tuple[str, ...], dict[str, float]]] = {
    "uniform": (("low", "high"), {}),
    "triangular": (("low", "mode", "high"), {}),
    "pert": (("low", "mode", "high"), {"shape": 4.0}),
    "beta": (("alpha", "beta", "low", "high"), {}),
    "normal": (("mean", "std"), {}),
    "truncated_normal": (("mean", "std", "low", "high"), {}),
    "lognormal": (("mean", "std"), {}),
}

#: Fields stated in the parameter's unit (converted with it); the others are pure numbers.
SCALED_FIELDS = frozenset({"low", "mode", "high", "mean", "std"})
NUMBER_FIELDS = frozenset({"low", "mode", "high", "mean", "std", "alpha", "beta", "shape"})


@dataclass(frozen=True)
class Distribution:
    """A validated distribution of one parameter, in the parameter's registry unit.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    fields : tuple of (str, float)
        The distribution's numbers (registry unit for ``low``, ``mode``, ``high``, ``mean``,
        ``std``; pure numbers for ``alpha``, ``beta``, ``shape``), optional ones filled in.
    integer : bool
        The parameter takes whole numbers: quantiles are rounded to the nearest integer.
    source : str or None
        Where the range comes from, when the case says so.
    """

    kind: str
    fields: tuple[tuple[str, float], ...]
    integer: bool = False
    source: str | None = None

    def __getitem__(self, name: str) -> float:
        return dict(self.fields)[name]

    @cached_property
    def frozen(self):
        """The scipy.stats frozen distribution."""
        from scipy import stats

        f = dict(self.fields)
        kind = self.kind
        if kind == "uniform":
            return stats.uniform(loc=f["low"], scale=f["high"] - f["low"])
        if kind == "triangular":
            width = f["high"] - f["low"]
            return stats.triang(c=(f["mode"] - f["low"]) / width, loc=f["low"], scale=width)
        if kind == "pert":
            width = f["high"] - f["low"]
            alpha = 1.0 + f["shape"] * (f["mode"] - f["low"]) / width
            beta = 1.0 + f["shape"] * (f["high"] - f["mode"]) / width
            return stats.beta(alpha, beta, loc=f["low"], scale=width)
        if kind == "beta":
            return stats.beta(f["alpha"], f["beta"], loc=f["low"], scale=f["high"] - f["low"])
        if kind == "normal":
            return stats.norm(loc=f["mean"], scale=f["std"])
        if kind == "truncated_normal":
            return stats.truncnorm(
                (f["low"] - f["mean"]) / f["std"],
                (f["high"] - f["mean"]) / f["std"],
                loc=f["mean"],
                scale=f["std"],
            )
        if kind == "lognormal":
            sigma2 = math.log1p((f["std"] / f["mean"]) ** 2)
            return stats.lognorm(s=math.sqrt(sigma2), scale=f["mean"] * math.exp(-sigma2 / 2))
        raise ValueError(f"unknown distribution type {kind!r}")

    @cached_property
    def _fast_inverse(self):
        """A checked interpolant of the quantile function of the distributions whose exact
        ``ppf`` is slow (beta family, truncated normal), or None.

        The exact ``ppf`` of a beta distribution inverts the incomplete beta function value by
        value (about 2 us each, most of a Monte Carlo run's time). Instead the exact quantiles
        are computed once at ``INVERSION_NODES`` + 1 normal scores z evenly spaced in
        [-INVERSION_Z, INVERSION_Z] (probabilities Phi(z)) and joined by a cubic spline in z, in
        which the quantile function is smooth even near the ends of the support. The spline is
        accepted only if it agrees with the exact ``ppf`` at every midpoint between nodes
        (where its error peaks) within ``INVERSION_TOLERANCE`` of the body's width, else None
        (the exact ``ppf`` is used throughout). Returns the spline's coefficients (4, nodes),
        evaluated by :func:`_evaluate_uniform_spline`. Probabilities beyond the nodes use the exact
        ``ppf``. Each value depends only on its own probability, so results do not depend on
        how samples are chunked.
        """
        if self.kind not in ("pert", "beta", "truncated_normal"):
            return None
        from scipy.interpolate import CubicSpline
        from scipy.special import ndtr

        frozen = self.frozen
        scores = np.linspace(-INVERSION_Z, INVERSION_Z, INVERSION_NODES + 1)
        with np.errstate(all="ignore"):
            values = exact_quantiles(frozen, ndtr(scores))
            if not np.all(np.isfinite(values)) or np.any(np.diff(values) < 0):
                return None
            width = values[-1] - values[0]
            if not width > 0:
                return None
            spline = CubicSpline(scores, values, extrapolate=False)
            midpoints = 0.5 * (scores[:-1] + scores[1:])
            error = np.max(np.abs(spline(midpoints) - exact_quantiles(frozen, ndtr(midpoints))))
        return spline.c if error <= INVERSION_TOLERANCE * width else None

    def ppf(self, probability: np.ndarray) -> np.ndarray:
        """Quantile function (interpolated in the body for the beta family and the truncated
        normal, see ``_fast_inverse``).

        Parameters
        ----------
        probability : numpy.ndarray
            Probabilities in [0, 1] [1]; clipped to [TAIL_PROBABILITY, 1 - TAIL_PROBABILITY].

        Returns
        -------
        numpy.ndarray
            Values in the registry unit, rounded to whole numbers for an integer parameter.
        """
        clipped = np.clip(
            np.asarray(probability, dtype=float), TAIL_PROBABILITY, 1.0 - TAIL_PROBABILITY
        )
        inverse = self._fast_inverse
        if inverse is None:
            values = exact_quantiles(self.frozen, clipped)
        else:
            from scipy.special import ndtri

            scores = ndtri(clipped)
            body = np.abs(scores) <= INVERSION_Z
            values = np.empty(clipped.shape)
            values[body] = _evaluate_uniform_spline(inverse, scores[body])
            values[~body] = exact_quantiles(self.frozen, clipped[~body])
        return np.rint(values) if self.integer else values

    def support(self) -> tuple[float, float]:
        """The extreme values the samplers can produce [registry unit].

        Bounded families give their stated ends (the quantiles at TAIL_PROBABILITY lie just
        inside them); the normal and the lognormal their quantiles at TAIL_PROBABILITY and
        1 - TAIL_PROBABILITY, from the standard library's normal quantile. No scipy import:
        loading a case checks every distribution's support.
        """
        from statistics import NormalDist

        fields = dict(self.fields)
        if "low" in fields and "high" in fields:
            low, high = fields["low"], fields["high"]
        else:
            z = NormalDist().inv_cdf(1.0 - TAIL_PROBABILITY)
            if self.kind == "normal":
                low, high = fields["mean"] - z * fields["std"], fields["mean"] + z * fields["std"]
            else:  # lognormal, stated by its mean and standard deviation
                sigma = math.sqrt(math.log1p((fields["std"] / fields["mean"]) ** 2))
                mu = math.log(fields["mean"]) - sigma**2 / 2
                low, high = math.exp(mu - z * sigma), math.exp(mu + z * sigma)
        if self.integer:
            low, high = round(low), round(high)
        return float(low), float(high)

    def describe(self, unit: str = "") -> str:
        """Short text, e.g. ``triangular(low=52, mode=60, high=69) EUR/MWh``."""
        inner = ", ".join(f"{name}={value:.6g}" for name, value in self.fields)
        return f"{self.kind}({inner})" + (f" {unit}" if unit else "")


def exact_quantiles(frozen, probability: np.ndarray) -> np.ndarray:
    """scipy's quantile function, without the warning Boost raises in the far tail.

    For a beta with alpha or beta below 1, Boost's inverse incomplete beta stops iterating at
    probabilities near :data:`TAIL_PROBABILITY` and warns ("Root finding evaluation exceeded"),
    returning its best value, which lies within the support; the warning says nothing a caller
    could act on.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*Root finding evaluation exceeded", category=RuntimeWarning
        )
        return np.asarray(frozen.ppf(probability), dtype=float)


def _evaluate_uniform_spline(coefficients: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Cubic spline on the uniform grid of ``Distribution._fast_inverse`` at normal scores in
    [-INVERSION_Z, INVERSION_Z]: the interval by index arithmetic, then Horner's scheme (scipy's
    general ``PPoly`` search is several times slower for this fixed grid)."""
    step = 2.0 * INVERSION_Z / INVERSION_NODES
    index = np.minimum(((scores + INVERSION_Z) / step).astype(np.intp), INVERSION_NODES - 1)
    offset = scores - (-INVERSION_Z + index * step)
    c3, c2, c1, c0 = (row[index] for row in coefficients)
    return ((c3 * offset + c2) * offset + c1) * offset + c0


def parse_distribution(
    spec: Mapping[str, Any],
    factor: float,
    bounds: tuple[float, float],
    unit: str,
    *,
    integer: bool = False,
    base: float | None = None,
) -> tuple[Distribution | None, list[tuple[str, str, Any]]]:
    """Validate a distribution as stated in a case file and convert it to the registry unit.

    Parameters
    ----------
    spec : mapping
        ``{type: ..., <fields>..., source: ...}`` as read from the case file (``None`` values
        are treated as absent).
    factor : float
        Conversion factor from the stated unit to the registry unit [registry unit / stated unit].
    bounds : tuple of float
        The parameter's admissible interval [registry unit].
    unit : str
        The registry unit (for messages).
    integer : bool
        The parameter takes whole numbers.
    base : float, optional
        The Quantity's base value [registry unit]; it must lie inside the distribution's support.

    Returns
    -------
    distribution : Distribution or None
        ``None`` when there are problems.
    problems : list of (sub-path, message, value)
        Sub-paths relative to the ``distribution`` key (``""``, ``".type"``, ``".low"`` ...).
    """
    problems: list[tuple[str, str, Any]] = []
    given = {key: value for key, value in spec.items() if value is not None}
    kind = given.pop("type", None)
    source = given.pop("source", None)
    given.pop("note", None)
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), list(KINDS), n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        problems.append(
            (
                ".type",
                f"unknown distribution type; {hint}expected one of {', '.join(KINDS)}",
                kind if kind is not None else _no_value(),
            )
        )
        return None, problems
    required, optional = KINDS[kind]
    expected_fields = ", ".join(required + tuple(f"[{name}]" for name in optional))
    for name in required:
        if name not in given:
            problems.append(
                (
                    f".{name}",
                    f"is missing: a {kind} distribution needs {expected_fields}",
                    _no_value(),
                )
            )
    for name in given:
        if name not in required and name not in optional:
            problems.append(
                (
                    f".{name}",
                    f"is not a field of a {kind} distribution (expected {expected_fields})",
                    given[name],
                )
            )
    if problems:
        return None, problems
    values = dict(optional)
    values.update({name: float(value) for name, value in given.items()})
    for name in values:
        if not math.isfinite(values[name]):
            problems.append((f".{name}", "expected a finite number", values[name]))
    if problems:
        return None, problems
    stated = dict(values)  # as written, for messages
    for name in SCALED_FIELDS.intersection(values):
        values[name] = values[name] * factor
    problems.extend(_consistency_problems(kind, values, stated))
    if problems:
        return None, problems
    ordered = tuple((name, values[name]) for name in required + tuple(optional))
    distribution = Distribution(kind, ordered, integer=integer, source=source)
    low, high = distribution.support()
    bound_low, bound_high = bounds
    if not (math.isfinite(low) and math.isfinite(high)) or low < bound_low or high > bound_high:
        tail = (
            f" (its {TAIL_PROBABILITY:g} and {1 - TAIL_PROBABILITY:.10g} quantiles)"
            if kind in ("normal", "lognormal")
            else ""
        )
        suggestion = (
            "; use a truncated_normal or a bounded type" if kind in ("normal", "lognormal") else ""
        )
        problems.append(
            (
                "",
                f"reaches [{low:.6g}, {high:.6g}] {unit}{tail}, outside the parameter's "
                f"bounds [{bound_low:g}, {bound_high:g}] {unit}{suggestion}",
                distribution.describe(),
            )
        )
        return None, problems
    if base is not None and not (low <= base <= high):
        problems.append(
            (
                "",
                f"does not contain the base value {base:.6g} {unit} (its range is "
                f"[{low:.6g}, {high:.6g}] {unit}); expected a distribution around the value",
                distribution.describe(),
            )
        )
        return None, problems
    return distribution, problems


def _consistency_problems(
    kind: str, values: dict[str, float], stated: dict[str, float]
) -> list[tuple[str, str, Any]]:
    problems: list[tuple[str, str, Any]] = []
    if "low" in values and "high" in values and not values["low"] < values["high"]:
        problems.append((".high", f"expected high > low ({stated['low']:g})", stated["high"]))
    if (
        "mode" in values
        and values["low"] < values["high"]
        and not (values["low"] <= values["mode"] <= values["high"])
    ):
        problems.append(
            (
                ".mode",
                f"expected low <= mode <= high ([{stated['low']:g}, {stated['high']:g}])",
                stated["mode"],
            )
        )
    for name in ("std", "alpha", "beta", "shape"):
        if name in values and not values[name] > 0:
            problems.append((f".{name}", "expected a positive number", stated[name]))
    if kind == "lognormal" and not values["mean"] > 0:
        problems.append(
            (".mean", "expected a positive mean (a log-normal value is positive)", stated["mean"])
        )
    return problems


def _no_value():
    return Problem.NO_VALUE


def implied_distribution(
    reference: tuple[float, float, float],
    base: float,
    *,
    integer: bool = False,
) -> Distribution | None:
    """Triangular distribution on a registry reference range with the case's value as its mode.

    Used for a Sobol or tornado factor whose parameter carries no distribution in the case.

    Parameters
    ----------
    reference : tuple of float
        Registry reference (low, mode, high) [registry unit].
    base : float
        The case's value [registry unit].

    Returns
    -------
    Distribution or None
        ``None`` when the range is degenerate or does not contain the case's value.
    """
    low, _, high = reference
    if not low < high or not low <= base <= high:
        return None
    return Distribution(
        "triangular",
        (("low", low), ("mode", base), ("high", high)),
        integer=integer,
        source="registry reference range (low, high) with the case value as mode",
    )


# --------------------------------------------------------------------------- rank correlation


def correlation_problems(
    matrix: Sequence[Sequence[float]], names: Sequence[str]
) -> list[tuple[str, str, Any]]:
    """Why a Spearman rank-correlation matrix is not admissible (empty list when it is).

    Checks: square and matching the names, finite, unit diagonal, ``|rho| <= 1``, symmetric, and
    positive semi-definite both as stated and after conversion to the Gaussian copula's Pearson
    matrix (:func:`spearman_to_pearson`).

    Returns
    -------
    list of (sub-path, message, value)
    """
    problems: list[tuple[str, str, Any]] = []
    size = len(names)
    if len(matrix) != size or any(len(row) != size for row in matrix):
        shape = f"{len(matrix)} rows of lengths {[len(row) for row in matrix]}"
        return [
            (
                ".matrix",
                f"expected a {size} x {size} matrix (one row and column per parameter), got {shape}",
                _no_value(),
            )
        ]
    array = np.asarray(matrix, dtype=float)
    if not np.isfinite(array).all():
        return [(".matrix", "expected finite numbers", _no_value())]
    for i in range(size):
        if array[i, i] != 1.0:
            problems.append(
                (
                    f".matrix[{i}][{i}]",
                    f"expected 1 on the diagonal ({names[i]} with itself)",
                    array[i, i],
                )
            )
        for j in range(size):
            if abs(array[i, j]) > 1.0:
                problems.append(
                    (f".matrix[{i}][{j}]", "expected a rank correlation in [-1, 1]", array[i, j])
                )
            elif j > i and abs(array[i, j] - array[j, i]) > 1e-12:
                problems.append(
                    (
                        f".matrix[{i}][{j}]",
                        f"not symmetric: matrix[{j}][{i}] = {array[j, i]:g}; "
                        "expected equal entries",
                        array[i, j],
                    )
                )
    if problems:
        return problems
    if _smallest_eigenvalue(array) < -1e-10:
        return [
            (
                ".matrix",
                f"is not positive semi-definite (smallest eigenvalue "
                f"{_smallest_eigenvalue(array):.3g}): no joint distribution has these rank "
                "correlations; expected a consistent matrix",
                _no_value(),
            )
        ]
    if _smallest_eigenvalue(spearman_to_pearson(array)) < -1e-10:
        return [
            (
                ".matrix",
                "is positive semi-definite, but the normal-score correlation it implies "
                "(2 sin(pi rho / 6)) is not; expected weaker or more consistent correlations",
                _no_value(),
            )
        ]
    return problems


def _smallest_eigenvalue(matrix: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(matrix).min())


def spearman_to_pearson(spearman: np.ndarray) -> np.ndarray:
    """Pearson correlation of normal scores giving a Spearman correlation under a Gaussian copula.

    rho_P = 2 sin(pi rho_S / 6) (Kruskal 1958); the diagonal stays 1.
    """
    pearson = 2.0 * np.sin(np.pi * np.asarray(spearman, dtype=float) / 6.0)
    np.fill_diagonal(pearson, 1.0)
    return pearson


def copula_factor(spearman: np.ndarray) -> np.ndarray:
    """Lower factor L with L L^T = the normal-score correlation of a Spearman matrix.

    Cholesky when the matrix is positive definite; otherwise (semi-definite, e.g. a correlation
    of exactly 1) the symmetric eigen-factor V sqrt(max(lambda, 0)).
    """
    pearson = spearman_to_pearson(spearman)
    try:
        return np.linalg.cholesky(pearson)
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(pearson)
        return eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))


def correlate_uniforms(uniforms: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Impose a Gaussian copula on independent uniforms, sample by sample.

    Parameters
    ----------
    uniforms : numpy.ndarray
        Independent uniforms, shape (samples, columns) [1].
    factor : numpy.ndarray
        From :func:`copula_factor`, shape (columns, columns).

    Returns
    -------
    numpy.ndarray
        Uniforms with the requested rank correlation, same shape. Each output row depends on its
        input row only, through sums taken in a fixed order (no BLAS), so a sample's value never
        depends on how many samples are transformed with it.
    """
    from scipy.special import ndtr, ndtri

    scores = ndtri(np.clip(uniforms, TAIL_PROBABILITY, 1.0 - TAIL_PROBABILITY))
    correlated = np.empty_like(scores)
    for row in range(factor.shape[0]):
        total = np.zeros(scores.shape[0])
        for column in range(factor.shape[1]):
            if factor[row, column] != 0.0:
                total += factor[row, column] * scores[:, column]
        correlated[:, row] = total
    return ndtr(correlated)


def expanded_correlation(
    spearman: Sequence[Sequence[float]],
    names: Sequence[str],
    columns: Sequence[tuple[str, str | None]],
) -> np.ndarray:
    """Spearman matrix over sampled columns, from the parameters' matrix.

    A parameter drawn independently per site has one column per site: two of its columns are
    uncorrelated, and a column of one site correlates with the other parameters' shared columns
    and with their columns of the same site only.

    Parameters
    ----------
    spearman : sequence of sequence of float
        Rank correlations between `names` [1].
    names : sequence of str
        Parameter names, in the matrix's order.
    columns : sequence of (str, str or None)
        (parameter name, site) of each column; site ``None`` for a shared or case-level column.

    Returns
    -------
    numpy.ndarray
        The columns' Spearman matrix [1].

    Raises
    ------
    ValueError
        If the expanded matrix (or its normal-score counterpart) is not positive semi-definite.
    """
    index = {name: position for position, name in enumerate(names)}
    matrix = np.asarray(spearman, dtype=float)
    size = len(columns)
    expanded = np.eye(size)
    for i, (name_i, site_i) in enumerate(columns):
        for j, (name_j, site_j) in enumerate(columns):
            if i == j or name_i == name_j:
                continue
            if site_i is None or site_j is None or site_i == site_j:
                expanded[i, j] = matrix[index[name_i], index[name_j]]
    if size and _smallest_eigenvalue(spearman_to_pearson(expanded)) < -1e-10:
        raise ValueError(
            "expanded over the sites of the parameters drawn independently per site "
            "(uncertainty.per_site), the correlations are not positive semi-definite: two "
            "independent site draws cannot both be strongly correlated with one shared "
            "parameter; expected weaker correlations or shared sampling"
        )
    return expanded
