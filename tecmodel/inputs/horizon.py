"""What a case says about its value at the horizon: the method and why it was chosen.

This module owns the case file's ``terminal.method``::

    terminal:
      method: {value: liquidation, source: "...", note: "why this method"}

``liquidation`` sells the assets at the horizon (accelerators on the used market by age, the
facility at a share of its depreciated replacement cost, land at cost); ``going_concern`` sells
the campus as a business, with ``basis: exit_multiple`` (a multiple of the last year's EBITDA)
or ``basis: perpetuity`` (the normalised free cash flow net of sustaining capex, accelerator
refresh included, growing at a stated rate); ``none`` gives no value. The rates each method reads
are registry parameters of the ``terminal`` group; the value itself is computed by
:mod:`tecmodel.model.terminal`. A case that does not state a method is valued by liquidation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tecmodel.errors import Problem
from tecmodel.inputs.messages import format_path, line_for

#: The methods and, for each, the bases it admits (an empty tuple: no basis).
METHODS: dict[str, tuple[str, ...]] = {
    "liquidation": (),
    "going_concern": ("exit_multiple", "perpetuity"),
    "none": (),
}


@dataclass(frozen=True)
class TerminalMethod:
    """How the campus is valued at the horizon (``terminal.method`` of a case file).

    Attributes
    ----------
    method : {"liquidation", "going_concern", "none"}
    basis : {"exit_multiple", "perpetuity"} or None
        For ``going_concern`` only.
    source : str
        Why this method (the case file's source).
    note : str or None
    """

    method: str = "liquidation"
    basis: str | None = None
    source: str = "(default: liquidation)"
    note: str | None = None

    @property
    def label(self) -> str:
        """``liquidation``, ``going_concern (exit_multiple)`` ..."""
        return self.method if self.basis is None else f"{self.method} ({self.basis})"


def read_terminal_method(
    spec: Any, problems: list[Problem], lines: Mapping[tuple, int]
) -> TerminalMethod:
    """The case's horizon method, with a problem for a basis that does not fit the method."""
    section = getattr(spec, "terminal", None)
    stated = getattr(section, "method", None) if section is not None else None
    if stated is None:
        return TerminalMethod()
    loc = ("terminal", "method")
    bases = METHODS[stated.value]
    if bases and stated.basis not in bases:
        problems.append(
            Problem(
                format_path(loc + ("basis",)),
                f"method {stated.value!r} needs a basis: expected one of {list(bases)}",
                stated.basis if stated.basis is not None else Problem.NO_VALUE,
                line_for(loc, lines),
            )
        )
    elif not bases and stated.basis is not None:
        problems.append(
            Problem(
                format_path(loc + ("basis",)),
                f"method {stated.value!r} takes no basis; expected no basis "
                "(a basis is for going_concern)",
                stated.basis,
                line_for(loc, lines),
            )
        )
    return TerminalMethod(stated.value, stated.basis, stated.source, stated.note)


__all__ = ["METHODS", "TerminalMethod", "read_terminal_method"]
