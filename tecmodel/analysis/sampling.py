"""What an uncertainty study moves, and reproducible samples of it.

This module owns two things:

- **Columns**: one uniform variate of a study and the inputs it moves. A case-level parameter is
  one column. A site-level parameter is one column that moves every site to the same quantile
  of its own distribution (shared), or one column per site (independent) when the case lists it
  under ``uncertainty.per_site`` or a study asks for per-site factors. :func:`sampling_plan`
  builds the Monte Carlo columns from a case's distributions; :func:`factor_columns` builds the
  Sobol, Shapley and tornado factors from parameter names; :func:`column_rank_correlation` gives
  any columns' rank correlations from the case.
- **Blocks**: the samples of a study are split into fixed blocks of ``block_size`` samples (a
  study setting, like the seed, independent of how the work is chunked or distributed). Block
  ``b`` draws its uniforms from its own ``numpy.random.SeedSequence(seed).spawn``-child, so its
  values depend on (seed, sampler, block_size, n, b) only:

  ``random``  independent uniforms from ``default_rng(SeedSequence(seed, spawn_key=(b,)))``
              (that is ``SeedSequence(seed).spawn(b + 1)[b]``);
  ``lhs``     each block is its own Latin hypercube (``scipy.stats.qmc.LatinHypercube``) seeded
              by the block's child: stratified within every block;
  ``sobol``   one scrambled Sobol' sequence for the whole study (``scipy.stats.qmc.Sobol``,
              scrambling seeded by ``SeedSequence(seed)``); block ``b`` is points
              ``[b * block_size, (b + 1) * block_size)`` of it, reached with ``fast_forward``.
              Balanced when ``n`` and ``block_size`` are powers of two.

Rank correlations are imposed on the uniforms by the Gaussian copula of
:mod:`tecmodel.distributions`, row by row; each column's quantile function then gives values.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from tecmodel.errors import InputError, Problem
from tecmodel.inputs.case import Case
from tecmodel.inputs.distributions import (
    Distribution,
    copula_factor,
    correlate_uniforms,
    expanded_correlation,
    implied_distribution,
)
from tecmodel.inputs.paths import central_sample_paths
from tecmodel.inputs.processes import FIELDS, PROCESS_UNIT
from tecmodel.inputs.registry import PARAMETERS, Parameter, resolve, unknown_parameter_message

SAMPLERS = ("sobol", "lhs", "random")
#: Default number of samples per block (2^14): the unit of seeding, storage and resumption.
DEFAULT_BLOCK_SIZE = 2**14


@dataclass(frozen=True)
class Column:
    """One uniform variate of a study and the parameter values it moves.

    Attributes
    ----------
    label : str
        Name shown to the user: the factor as given (``energy_price``), a registry name, or
        ``name@site`` for a per-site column.
    parameter : Parameter
        The registered parameter moved.
    sites : tuple of str
        Sites whose value the column moves; empty for a case-level parameter.
    distributions : tuple of Distribution
        One per site in `sites` (one for a case-level parameter) [registry unit].
    """

    label: str
    parameter: Parameter
    sites: tuple[str, ...]
    distributions: tuple[Distribution, ...]

    def values(self, probability: np.ndarray) -> np.ndarray:
        """Parameter values at the given probabilities.

        Parameters
        ----------
        probability : numpy.ndarray
            Shape (samples,) [1].

        Returns
        -------
        numpy.ndarray
            Shape (samples,) for a case-level parameter, (samples, sites) otherwise
            [registry unit].
        """
        columns = [distribution.ppf(probability) for distribution in self.distributions]
        return columns[0] if not self.sites else np.stack(columns, axis=-1)


@dataclass(frozen=True)
class SamplingPlan:
    """The columns of a study and how they are correlated.

    Attributes
    ----------
    case : Case
    columns : tuple of Column
    correlated : tuple of int
        Indices of the columns that carry a rank correlation.
    copula : numpy.ndarray or None
        Lower factor of their normal-score correlation (see
        :func:`tecmodel.distributions.copula_factor`).
    """

    case: Case
    columns: tuple[Column, ...]
    correlated: tuple[int, ...] = ()
    copula: np.ndarray | None = None

    @property
    def dimension(self) -> int:
        return len(self.columns)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Registry names of the parameters moved, in column order, each once."""
        return tuple(dict.fromkeys(column.parameter.name for column in self.columns))

    def correlate(self, uniforms: np.ndarray) -> np.ndarray:
        """Impose the plan's rank correlations on independent uniforms (samples, columns)."""
        if self.copula is None:
            return uniforms
        result = uniforms.copy()
        index = list(self.correlated)
        result[:, index] = correlate_uniforms(uniforms[:, index], self.copula)
        return result

    def overrides(self, uniforms: np.ndarray) -> dict[str, xr.DataArray]:
        """Parameter values for :func:`tecmodel.evaluate` from (correlated) uniforms.

        Parameters
        ----------
        uniforms : numpy.ndarray
            Shape (samples, columns) [1].

        Returns
        -------
        dict of str to xarray.DataArray
            Registry name -> values over ``sample`` (and ``site``, every site of the case:
            sites a column does not move keep their base value) [registry unit].
        """
        return column_overrides(self.case, self.columns, uniforms)


def column_overrides(
    case: Case, columns: Sequence[Column], uniforms: np.ndarray
) -> dict[str, xr.DataArray]:
    """Overrides over ``sample`` from uniforms (samples, columns); see :meth:`SamplingPlan.overrides`.

    A column that moves a process parameter (:func:`process_parameter`) gives, instead, the
    central paths over ``year`` x ``sample`` of the quantities that follow that process, unless
    another column moves such a quantity directly (its level then replaces the path).
    """
    samples = uniforms.shape[0]
    sites = list(case.site_names)
    arrays: dict[str, np.ndarray] = {}
    process_values: dict[str, dict[str, np.ndarray]] = {}
    for position, column in enumerate(columns):
        name = column.parameter.name
        values = column.values(uniforms[:, position])
        if is_process_parameter(column.parameter):
            process, _, field = name.partition(".")
            process_values.setdefault(process, {})[field] = values
            continue
        if not column.sites:
            arrays[name] = values
            continue
        if name not in arrays:
            # Per site the value the case states (for a quantity that follows a process, its
            # central path's first-year value: a sampled value replaces the path by a level).
            base = np.array([case.entry(name, site).value for site in sites], dtype=float)
            arrays[name] = np.repeat(base[:, None], samples, axis=1)
        for site_position, site in enumerate(column.sites):
            arrays[name][sites.index(site)] = values[:, site_position]
    result = {}
    for name, values in arrays.items():
        if values.ndim == 1:
            result[name] = xr.DataArray(values, dims="sample")
        else:
            result[name] = xr.DataArray(values, dims=("site", "sample"), coords={"site": sites})
    result.update(
        {
            name: paths
            for name, paths in process_overrides(case, process_values).items()
            if name not in result
        }
    )
    return result


# --------------------------------------------------------------------------- process parameters

#: Fields of a process that shape its central path, and so can be a sensitivity factor. The
#: volatility and the jumps act only through the random shocks: the central path (what a
#: sensitivity analysis evaluates) does not depend on them, so their effect is measured by the
#: Monte Carlo, which simulates the shocks.
CENTRAL_PATH_FIELDS: tuple[str, ...] = (
    "start",
    "level",
    "level_scale",
    "level.escalation",
    "speed",
    "drift",
)
#: The description every process parameter made into a registry-like parameter starts with.
PROCESS_PARAMETER_PREFIX = "process parameter: "


def is_process_parameter(parameter: Parameter) -> bool:
    """Whether `parameter` stands for a process parameter (:func:`process_parameter`)."""
    return parameter.description.startswith(PROCESS_PARAMETER_PREFIX)


def process_parameter(case: Case, name: str) -> Parameter | None:
    """A process parameter of the case (``compute_price.level_scale``) as a case-level parameter.

    Parameters
    ----------
    case : Case
    name : str
        ``<process>.<field>``, a field of :data:`tecmodel.inputs.processes.FIELDS`.

    Returns
    -------
    Parameter or None
        With the field's unit and admissible interval and the process's source; None when the
        case declares no such process parameter.
    """
    processes = case.markets.processes
    process_name, _, field = name.partition(".")
    if processes is None or field not in FIELDS:
        return None
    for process in processes.processes:
        if process.name != process_name or field not in dict(process.parameters):
            continue
        rule = FIELDS[field]
        value = process.parameter(field).value
        return Parameter(
            name=name,
            scope="case",
            unit=process.unit if rule.unit == PROCESS_UNIT else rule.unit,
            bounds=(rule.low, rule.high),
            reference=(value, value, value),
            description=f"{PROCESS_PARAMETER_PREFIX}{rule.meaning} of {process_name}",
            source=process.source,
        )
    return None


def process_factor_names(case: Case) -> list[str]:
    """The process parameters of the case that carry a distribution and shape the central path."""
    processes = case.markets.processes
    if processes is None:
        return []
    return [
        f"{process.name}.{field}"
        for process in processes.processes
        for field, parameter in process.parameters
        if field in CENTRAL_PATH_FIELDS and parameter.distribution is not None
    ]


def process_overrides(
    case: Case, values: dict[str, dict[str, np.ndarray]]
) -> dict[str, xr.DataArray]:
    """Central paths over (year, sample) of the quantities that follow the given processes.

    Parameters
    ----------
    case : Case
    values : mapping of str to mapping of str to numpy.ndarray
        Process -> field -> values over the samples [the field's unit].

    Returns
    -------
    dict of str to xarray.DataArray
        Registry name of each bound quantity -> its path [registry unit].
    """
    if not values:
        return {}
    years = list(case.years)
    by_name = {process.name: process for process in case.markets.processes.processes}
    return path_overrides(
        case,
        {name: central_sample_paths(by_name[name], years, given) for name, given in values.items()},
    )


def path_overrides(case: Case, paths: dict[str, np.ndarray]) -> dict[str, xr.DataArray]:
    """Overrides over (year, sample) of the quantities that follow a process [registry unit].

    A site-level quantity follows the same path at every site (the parameter dataset broadcasts
    it over ``site``).
    """
    years = list(case.years)
    return {
        binding.parameter: xr.DataArray(
            paths[binding.process] * binding.factor,
            dims=("year", "sample"),
            coords={"year": years},
        )
        for binding in case.markets.bindings
        if binding.process in paths
    }


# --------------------------------------------------------------------------- building columns


def sampling_plan(case: Case, parameters: Sequence[str] | None = None) -> SamplingPlan:
    """The Monte Carlo columns of a case: every parameter that carries a distribution.

    Parameters
    ----------
    case : Case
    parameters : sequence of str, optional
        Restrict the study to these parameters (names or aliases; each must carry a
        distribution in the case); default: all that do.

    Returns
    -------
    SamplingPlan

    Raises
    ------
    InputError
        If the case has no distribution, or a named parameter is unknown or has none.
    """
    wanted = None
    if parameters is not None:
        wanted = []
        for index, name in enumerate(parameters):
            parameter = _resolve_factor(name, f"parameters[{index}]")
            if not _distributed_sites(case, parameter):
                raise InputError(
                    Problem(
                        f"parameters[{index}]",
                        f"{parameter.name} has no distribution in case "
                        f"{case.name!r}; expected a parameter with a "
                        "`distribution`",
                        name,
                    ),
                    case.file,
                )
            wanted.append(parameter.name)
    columns: list[Column] = []
    for parameter in PARAMETERS:
        if wanted is not None and parameter.name not in wanted:
            continue
        sites = _distributed_sites(case, parameter)
        if not sites:
            continue
        if parameter.scope == "case":
            columns.append(
                Column(
                    parameter.name,
                    parameter,
                    (),
                    (case.entries[(parameter.name, None)].distribution,),
                )
            )
        elif parameter.name in case.uncertainty.per_site:
            columns.extend(
                Column(
                    f"{parameter.name}@{site}",
                    parameter,
                    (site,),
                    (case.entries[(parameter.name, site)].distribution,),
                )
                for site in sites
            )
        else:
            columns.append(
                Column(
                    parameter.name,
                    parameter,
                    tuple(sites),
                    tuple(case.entries[(parameter.name, site)].distribution for site in sites),
                )
            )
    if not columns:
        raise InputError(
            Problem(
                "",
                f"case {case.name!r} gives no parameter a distribution; expected at least one "
                "`distribution: {type: ..., ...}` next to a value",
                Problem.NO_VALUE,
            ),
            case.file,
        )
    correlated = correlated_columns(case, columns)
    if len({columns[i].parameter.name for i in correlated}) < 2:
        return SamplingPlan(case, tuple(columns))
    spearman = column_rank_correlation(case, columns)[np.ix_(correlated, correlated)]
    return SamplingPlan(case, tuple(columns), correlated, copula_factor(spearman))


def correlated_columns(case: Case, columns: Sequence[Column]) -> tuple[int, ...]:
    """Indices of the columns whose parameter is in the case's rank-correlation matrix."""
    names = case.uncertainty.correlated
    return tuple(i for i, column in enumerate(columns) if column.parameter.name in names)


def column_rank_correlation(case: Case, columns: Sequence[Column]) -> np.ndarray:
    """Spearman rank correlations between columns, from the case's ``uncertainty.rank_correlation``.

    Columns correlate as their parameters do in the case, with the rule of
    :func:`tecmodel.inputs.distributions.expanded_correlation` for columns that move one site
    each: two columns of one parameter are uncorrelated, and a one-site column correlates only
    with the columns that move every site or its own site. Columns of parameters outside the
    case's matrix are independent of every other.

    Parameters
    ----------
    case : Case
    columns : sequence of Column

    Returns
    -------
    numpy.ndarray
        (columns, columns) [1], identity when the case correlates none of them.

    Raises
    ------
    InputError
        When the columns' matrix is not positive semi-definite (one-site columns of a parameter
        each strongly correlated with one shared column).
    """
    uncertainty = case.uncertainty
    matrix = np.eye(len(columns))
    correlated = correlated_columns(case, columns)
    present = {columns[i].parameter.name for i in correlated}
    names = [name for name in uncertainty.correlated if name in present]
    if len(names) < 2:
        return matrix
    keep = [uncertainty.correlated.index(name) for name in names]
    spearman = np.asarray(uncertainty.rank_correlation, dtype=float)[np.ix_(keep, keep)]
    keys = [
        (columns[i].parameter.name, columns[i].sites[0] if len(columns[i].sites) == 1 else None)
        for i in correlated
    ]
    try:
        matrix[np.ix_(correlated, correlated)] = expanded_correlation(spearman, names, keys)
    except ValueError as error:
        raise InputError(
            Problem("uncertainty.rank_correlation", str(error), Problem.NO_VALUE), case.file
        ) from None
    return matrix


def _distributed_sites(case: Case, parameter: Parameter) -> list[str | None]:
    if parameter.scope == "case":
        entry = case.entries[(parameter.name, None)]
        return [None] if entry.distribution is not None else []
    return [
        site
        for site in case.site_names
        if case.entries[(parameter.name, site)].distribution is not None
    ]


def _resolve_factor(name: str, path: str) -> Parameter:
    try:
        return resolve(name)
    except KeyError:
        raise InputError(Problem(path, unknown_parameter_message(name), Problem.NO_VALUE)) from None


def factor_columns(
    case: Case, factors: Sequence[str], *, per_site: bool = False, option: str = "factors"
) -> list[Column]:
    """Sobol or tornado factors as columns.

    Parameters
    ----------
    case : Case
    factors : sequence of str
        Registered parameter names or aliases; ``name@site`` moves one site only. A process
        parameter of the case (``<process>.<field>``, a field of :data:`CENTRAL_PATH_FIELDS`
        with a distribution) moves the central path of the quantities that follow the process.
    per_site : bool
        Split each site-level factor into one factor per site (``name@site``); by default a
        site-level factor moves every site together, each to the same quantile of its own
        distribution.
    option : str
        Name of the option in error messages.

    Returns
    -------
    list of Column
        Distributions from the case where it gives one, otherwise a triangular distribution on
        the registry reference range with the case's value as mode
        (:func:`tecmodel.distributions.implied_distribution`).

    Raises
    ------
    InputError
        For an unknown or structural parameter, an unknown site, a duplicate factor, or a
        parameter with neither a case distribution nor a reference range containing its value.
    """
    if isinstance(factors, str) or not len(factors):
        raise InputError(
            Problem(option, "expected a non-empty list of parameter names or aliases", factors)
        )
    columns: list[Column] = []
    seen: dict[tuple[str, tuple[str, ...]], str] = {}
    for index, given in enumerate(factors):
        path = f"{option}[{index}]"
        name, _, site = str(given).partition("@")
        process = process_parameter(case, name)
        if process is not None:
            column = _process_column(case, process, given, site, path)
            if column.label in seen.values():
                raise InputError(
                    Problem(path, f"moves {name} twice; expected each factor once", given)
                )
            seen[(name, ())] = column.label
            columns.append(column)
            continue
        parameter = _resolve_factor(name, path)
        if not parameter.samplable:
            raise InputError(
                Problem(
                    path,
                    f"{parameter.name} is structural (not samplable); expected a samplable "
                    "parameter (inputs/README.md lists them)",
                    given,
                )
            )
        if site and parameter.scope == "case":
            raise InputError(
                Problem(
                    path, f"{parameter.name} is a case-level parameter; expected no '@site'", given
                )
            )
        if site and site not in case.site_names:
            raise InputError(
                Problem(
                    path,
                    f"case {case.name!r} has no site {site!r}; expected one of "
                    f"{list(case.site_names)}",
                    given,
                )
            )
        if parameter.scope == "case":
            groups = [((), given)]
        elif site:
            groups = [((site,), given)]
        elif per_site:
            groups = [((s,), f"{given}@{s}") for s in case.site_names]
        else:
            groups = [(tuple(case.site_names), given)]
        for sites, label in groups:
            key = (parameter.name, sites)
            if key in seen:
                raise InputError(
                    Problem(
                        path,
                        f"moves {parameter.name} as factor {seen[key]!r} does; expected each "
                        "factor once",
                        given,
                    )
                )
            seen[key] = label
            distributions = tuple(
                _factor_distribution(case, parameter, s, path, given) for s in (sites or (None,))
            )
            columns.append(Column(label, parameter, sites, distributions))
    _check_paths_moved_once(case, columns, option)
    return columns


def _check_paths_moved_once(case: Case, columns: Sequence[Column], option: str) -> None:
    """Refuse a quantity moved directly and through a parameter of its process at once: the
    direct level would replace the path and hide the process parameter's effect."""
    moved = {column.parameter.name: column.label for column in columns}
    for column in columns:
        if not is_process_parameter(column.parameter):
            continue
        process = column.parameter.name.partition(".")[0]
        for binding in case.markets.bindings:
            if binding.process == process and binding.parameter in moved:
                raise InputError(
                    Problem(
                        option,
                        f"{moved[binding.parameter]!r} sets {binding.parameter} to one level in "
                        f"every year, which replaces the path that {column.label!r} moves; "
                        "expected one of the two",
                        [moved[binding.parameter], column.label],
                    )
                )


def _process_column(case: Case, parameter: Parameter, given: str, site: str, path: str) -> Column:
    """A process parameter as a factor: its own distribution, every site alike."""
    process_name, _, field = parameter.name.partition(".")
    if site:
        raise InputError(
            Problem(path, f"{parameter.name} is a process parameter; expected no '@site'", given)
        )
    if field not in CENTRAL_PATH_FIELDS:
        raise InputError(
            Problem(
                path,
                f"{parameter.name} acts only through the random shocks of the process, which a "
                "sensitivity analysis does not draw (it evaluates central paths); expected one "
                f"of the fields {', '.join(CENTRAL_PATH_FIELDS)} (the Monte Carlo samples the "
                "volatility and the jumps)",
                given,
            ),
            case.file,
        )
    process = next(p for p in case.markets.processes.processes if p.name == process_name)
    distribution = process.parameter(field).distribution
    if distribution is None:
        raise InputError(
            Problem(
                path,
                f"{parameter.name} has no distribution in case {case.name!r}; expected a "
                f"`distribution` next to processes.{process_name}.{field} in the case file",
                given,
            ),
            case.file,
        )
    return Column(str(given), parameter, (), (distribution,))


def _factor_distribution(
    case: Case, parameter: Parameter, site: str | None, path: str, given: str
) -> Distribution:
    entry = case.entries[(parameter.name, site)]
    if entry.distribution is not None:
        return entry.distribution
    implied = implied_distribution(parameter.reference, entry.value, integer=parameter.integer)
    if implied is None:
        where = f" on site {site}" if site else ""
        low, _, high = parameter.reference
        raise InputError(
            Problem(
                path,
                f"{parameter.name}{where} has no distribution in case {case.name!r} and its "
                f"value {entry.value:g} {parameter.unit} lies outside the registry reference "
                f"range [{low:g}, {high:g}]; expected a `distribution` in the case file "
                f"({entry.path})",
                given,
            ),
            case.file,
        )
    return implied


# --------------------------------------------------------------------------- blocks of uniforms


def check_seed(seed) -> int:
    """A seed as a non-negative int (0 is a seed like any other), else InputError."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(Problem("seed", "expected a non-negative whole number", seed))
    return int(seed)


def check_sampler(sampler: str) -> str:
    if sampler not in SAMPLERS:
        raise InputError(Problem("sampler", f"expected one of {', '.join(SAMPLERS)}", sampler))
    return sampler


def block_bounds(n: int, block_size: int) -> list[tuple[int, int]]:
    """[start, stop) of every block of a study of `n` samples."""
    return [(start, min(start + block_size, n)) for start in range(0, n, block_size)]


def block_seed(seed: int, block: int) -> np.random.SeedSequence:
    """The block's child seed: ``SeedSequence(seed).spawn(block + 1)[block]``, without spawning."""
    return np.random.SeedSequence(seed, spawn_key=(block,))


def unit_block(
    sampler: str, dimension: int, seed: int, block: int, block_size: int, n: int
) -> np.ndarray:
    """Independent uniforms of one block.

    Parameters
    ----------
    sampler : {"sobol", "lhs", "random"}
    dimension : int
        Number of columns.
    seed : int
    block : int
        Block index; the block holds samples ``[block * block_size, min(n, (block + 1) * block_size))``.
    block_size, n : int
        Samples per block and in the whole study.

    Returns
    -------
    numpy.ndarray
        Shape (block length, dimension), values in [0, 1) [1]; a function of the arguments only.
    """
    from scipy.stats import qmc

    start, stop = block * block_size, min(n, (block + 1) * block_size)
    length = stop - start
    if sampler == "random":
        return np.random.default_rng(block_seed(seed, block)).random((length, dimension))
    if sampler == "lhs":
        return qmc.LatinHypercube(
            dimension, rng=np.random.default_rng(block_seed(seed, block))
        ).random(length)
    if sampler == "sobol":
        engine = qmc.Sobol(
            dimension, scramble=True, rng=np.random.default_rng(np.random.SeedSequence(seed))
        )
        with warnings.catch_warnings():
            # Balance warnings for lengths that are not powers of two (a short last block).
            warnings.filterwarnings(
                "ignore", message=".*balance properties of Sobol", category=UserWarning
            )
            if start:
                engine.fast_forward(start)
            return engine.random(length)
    raise InputError(Problem("sampler", f"expected one of {', '.join(SAMPLERS)}", sampler))
