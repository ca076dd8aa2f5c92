"""The price processes of a case and the quantities that follow them.

This module owns three top-level sections of a case file and their checks::

    processes:                      # name -> spec (tecmodel.inputs.processes)
      power_price: {type: mean_reverting, unit: EUR/MWh, source: "...", start: 60, ...}
      eur_usd: {type: mean_reverting, unit: USD/EUR, source: "...", ...}
    process_correlation:            # optional: Pearson correlation of the yearly shocks
      {processes: [compute_price, hardware_cost], matrix: [[1, 0.5], [0.5, 1]], source: "..."}
    drives:                         # process -> the registry quantities that follow it
      power_price: [power.market_price]
      eur_usd: [fx.usd_per_eur]

Which quantity follows which process is stated only under ``drives`` (never inferred from the
keys present). Only parameters the registry marks ``yearly`` may follow a process; a quantity
follows at most one process; the process's unit must convert to the parameter's. A quantity that
follows a process is not stated in its own section: its value in every year is the process's
path (a deterministic run uses the central path, :func:`tecmodel.inputs.paths.central_path`; a
Monte Carlo study passes simulated paths as overrides with a ``year`` dimension), and a
site-level quantity follows the same path at every site.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tecmodel.errors import InputError, Problem
from tecmodel.inputs.messages import line_for, path_tuple
from tecmodel.inputs.paths import central_path
from tecmodel.inputs.processes import ProcessSet, hint, parse_process_set
from tecmodel.inputs.registry import PARAMETERS, REGISTRY, resolve
from tecmodel.inputs.units import UnitMismatch, conversion_factor

#: Registry parameters that may follow a process (their value may differ by year).
YEARLY: tuple[str, ...] = tuple(parameter.name for parameter in PARAMETERS if parameter.yearly)


@dataclass(frozen=True)
class Binding:
    """A registry parameter that follows a process.

    Attributes
    ----------
    parameter : str
        Registry name.
    process : str
        Name of the process under ``processes``.
    factor : float
        Converts the process's unit into the parameter's registry unit.
    path : str
        Where the binding is stated (``drives.power_price[0]``).
    """

    parameter: str
    process: str
    factor: float
    path: str


@dataclass(frozen=True)
class Markets:
    """The processes of a case, their shock correlation and what follows them.

    Attributes
    ----------
    processes : ProcessSet or None
        None when the case declares no process.
    bindings : tuple of Binding
        In the order stated.
    correlation_source : str
        Where the shock correlation comes from ("" if none is stated).
    """

    processes: ProcessSet | None = None
    bindings: tuple[Binding, ...] = ()
    correlation_source: str = ""

    def binding(self, parameter: str) -> Binding | None:
        """The binding of a registry parameter, or None if it follows no process."""
        for binding in self.bindings:
            if binding.parameter == parameter:
                return binding
        return None

    def path(self, parameter: str, years: Sequence[int]) -> np.ndarray:
        """Central path of the process `parameter` follows, in its registry unit, over `years`."""
        binding = self.binding(parameter)
        if binding is None or self.processes is None:
            raise KeyError(f"{parameter} follows no process")
        process = next(p for p in self.processes.processes if p.name == binding.process)
        return central_path(process, years, name=process.name).values * binding.factor


def read_markets(spec: Any, problems: list[Problem], lines: Mapping[tuple, int]) -> Markets:
    """The ``processes``, ``process_correlation`` and ``drives`` sections, checked.

    Parameters
    ----------
    spec : CaseSpec
        The validated structure of the case file.
    problems : list of Problem
        Each problem found is appended (with its line).
    lines : mapping of tuple to int
        Line index of the case file.

    Returns
    -------
    Markets
        Empty when the case declares no process; partial after problems.
    """

    def add(path: str, message: str, value: Any = Problem.NO_VALUE) -> None:
        problems.append(Problem(path, message, value, line_for(path_tuple(path), lines)))

    processes, correlation, drives = spec.processes, spec.process_correlation, spec.drives
    if processes is None:
        if correlation is not None:
            add(
                "process_correlation",
                "correlates processes, but the case declares none; expected a `processes` section",
            )
        if drives:
            add(
                "drives",
                "binds quantities to processes, but the case declares none; expected a "
                "`processes` section",
            )
        return Markets()
    try:
        process_set = parse_process_set(
            processes, correlation, correlation_path="process_correlation"
        )
    except InputError as error:
        for problem in error.problems:
            add(problem.path, problem.message, problem.value)
        # The quantities the case binds still follow a process: they are not reported missing
        # from their own sections on top of the process's problems.
        return Markets(bindings=_unchecked_bindings(drives))
    source = correlation.get("source", "") if isinstance(correlation, Mapping) else ""
    if correlation is not None and not (isinstance(source, str) and source.strip()):
        add("process_correlation.source", "is missing; expected where the correlations come from")
    units = {process.name: process.unit for process in process_set.processes}
    bindings: list[Binding] = []
    for name, quantities in (drives or {}).items():
        if name not in units:
            add(
                f"drives.{name}",
                f"names no process; {hint(name, units)}expected one of {', '.join(units)}",
                name,
            )
            continue
        for index, quantity in enumerate(quantities):
            path = f"drives.{name}[{index}]"
            binding = _binding(quantity, name, units[name], path, bindings, add)
            if binding is not None:
                bindings.append(binding)
    return Markets(process_set, tuple(bindings), source.strip() if isinstance(source, str) else "")


def _unchecked_bindings(drives: Any) -> tuple[Binding, ...]:
    """The bindings as stated, unchecked (the processes could not be read)."""
    bindings = []
    for name, quantities in (drives or {}).items():
        for index, quantity in enumerate(quantities):
            try:
                parameter = resolve(quantity)
            except KeyError:
                continue
            bindings.append(Binding(parameter.name, name, 1.0, f"drives.{name}[{index}]"))
    return tuple(bindings)


def _binding(
    quantity: str, process: str, unit: str, path: str, bindings: list[Binding], add
) -> Binding | None:
    try:
        parameter = resolve(quantity)
    except KeyError as error:
        add(path, str(error.args[0]), quantity)
        return None
    if not parameter.yearly:
        add(
            path,
            f"{parameter.name} cannot follow a process: its value holds for the whole "
            f"horizon; expected one of {', '.join(YEARLY)}",
            quantity,
        )
        return None
    earlier = next((b for b in bindings if b.parameter == parameter.name), None)
    if earlier is not None:
        add(
            path,
            f"{parameter.name} already follows process {earlier.process!r} ({earlier.path}); "
            "expected each quantity to follow one process",
            quantity,
        )
        return None
    try:
        factor = conversion_factor(unit, parameter.unit)
    except UnitMismatch as error:
        add(
            path,
            f"process {process!r} is in {unit!r}, which does not convert to "
            f"{parameter.name}'s unit: {error}",
            quantity,
        )
        return None
    return Binding(parameter.name, process, factor, path)


def path_problems(
    markets: Markets, years: Sequence[int], lines: Mapping[tuple, int]
) -> list[Problem]:
    """Central paths outside the bounds of the parameter that follows them."""
    problems = []
    for binding in markets.bindings:
        parameter = REGISTRY[binding.parameter]
        values = markets.path(binding.parameter, years)
        low, high = parameter.bounds
        bad = ~(np.isfinite(values) & (values >= low) & (values <= high))
        if bad.any():
            year = list(years)[int(np.argmax(bad))]
            problems.append(
                Problem(
                    binding.path,
                    f"the central path of process "
                    f"{binding.process!r} reaches {values[bad][0]:g} "
                    f"{parameter.unit} in {year}; expected "
                    f"{parameter.expected()}",
                    binding.parameter,
                    line_for(path_tuple(binding.path), lines),
                )
            )
    return problems


__all__ = ["YEARLY", "Binding", "Markets", "path_problems", "read_markets"]
