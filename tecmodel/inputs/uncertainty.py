"""How a case's distributions are sampled together: the ``uncertainty`` section, checked.

This module owns :class:`Uncertainty` (which site-level distributions are drawn per site, and
the rank correlations between parameters) and its checks against the case's distributions
(:func:`uncertainty_from_spec`); :mod:`tecmodel.analysis.sampling` draws from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tecmodel.errors import Problem
from tecmodel.inputs.distributions import correlation_problems, expanded_correlation
from tecmodel.inputs.messages import format_path, line_for
from tecmodel.inputs.registry import resolve


@dataclass(frozen=True)
class Uncertainty:
    """How a case's distributions are sampled together (the case file's ``uncertainty`` section).

    Attributes
    ----------
    per_site : tuple of str
        Site-level parameters drawn independently for each site; every other site-level
        distribution is shared: one draw moves every site to the same quantile of its own
        distribution.
    correlated : tuple of str
        Registry names of the parameters in the rank-correlation matrix.
    rank_correlation : tuple of tuple of float
        Spearman rank correlations between them (symmetric, unit diagonal).
    source : str
        Where the correlations come from.
    """

    per_site: tuple[str, ...] = ()
    correlated: tuple[str, ...] = ()
    rank_correlation: tuple[tuple[float, ...], ...] = ()
    source: str = ""


def uncertainty_from_spec(
    spec: Any,
    entries: Mapping[tuple[str, str | None], Any],
    site_names: tuple[str, ...],
    problems: list[Problem],
    lines: Mapping[tuple, int],
) -> Uncertainty:
    """Check the ``uncertainty`` section against the case's distributions."""
    if spec is None:
        return Uncertainty()
    start = len(problems)

    def add(loc: tuple, message: str, value: Any = Problem.NO_VALUE) -> None:
        problems.append(Problem(format_path(loc), message, value, line_for(loc, lines)))

    def distributed_sites(name: str) -> list[str | None]:
        keys = [(name, None)] + [(name, site) for site in site_names]
        return [key[1] for key in keys if key in entries and entries[key].distribution is not None]

    def resolved(names: list[str], root: tuple, *, site_level: bool) -> list[str]:
        found: list[str] = []
        for index, name in enumerate(names):
            loc = root + (index,)
            try:
                parameter = resolve(name)
            except KeyError as error:
                add(loc, str(error.args[0]), name)
                continue
            if parameter.name in found:
                add(loc, f"{parameter.name} is listed twice; expected each parameter once", name)
            elif site_level and parameter.scope != "site":
                add(
                    loc,
                    f"{parameter.name} is a case-level parameter (one value for the case); "
                    "expected a site-level parameter",
                    name,
                )
            elif not distributed_sites(parameter.name):
                add(
                    loc,
                    f"{parameter.name} has no distribution in this case; expected a parameter "
                    "with a `distribution`",
                    name,
                )
            found.append(parameter.name)
        return found

    per_site = resolved(list(spec.per_site), ("uncertainty", "per_site"), site_level=True)
    correlated: list[str] = []
    matrix: tuple[tuple[float, ...], ...] = ()
    source = ""
    block = spec.rank_correlation
    if block is not None:
        root = ("uncertainty", "rank_correlation")
        correlated = resolved(list(block.parameters), root + ("parameters",), site_level=False)
        for sub, message, shown in correlation_problems(block.matrix, block.parameters):
            problems.append(
                Problem(
                    format_path(root) + sub, message, shown, line_for(root + ("matrix",), lines)
                )
            )
        matrix = tuple(tuple(float(x) for x in row) for row in block.matrix)
        source = block.source
        if len(problems) == start:
            columns = [
                (name, site)
                for name in correlated
                for site in (distributed_sites(name) if name in per_site else [None])
            ]
            try:
                expanded_correlation(matrix, correlated, columns)
            except ValueError as error:
                add(root + ("matrix",), str(error))
    return Uncertainty(tuple(per_site), tuple(correlated), matrix, source)


__all__ = ["Uncertainty", "uncertainty_from_spec"]
