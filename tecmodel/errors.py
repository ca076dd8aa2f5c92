"""Error types of the package.

`InputError` is the one exception a user sees for bad input (a malformed case file, an unknown
parameter, an inadmissible override or option). Its message names the file, the field path,
the offending value and what was expected; the command-line interface prints that message and
exits with status 2, never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: A numpy scalar as numpy 2 prints it inside a list or a message, e.g. ``np.str_('a')``.
_NUMPY_SCALAR_REPR = re.compile(
    r"np\.(?:str_|bytes_|bool_?|u?int\d*|float\d*|complex\d*)\(([^()]*)\)"
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Attributes
    ----------
    path : str
        Field path inside the input, e.g. ``sites[1].power.market_price`` ("" for the whole file).
    message : str
        What is wrong and what was expected.
    value : object
        The offending value (``Problem.NO_VALUE`` when there is none, e.g. a missing field).
    line : int or None
        1-based line in the file, when known.
    """

    path: str
    message: str
    value: object = None
    line: int | None = None

    NO_VALUE = object()

    def render(self, file: str | None) -> str:
        where = []
        if file:
            where.append(file if self.line is None else f"{file}, line {self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        head = ": ".join(where)
        subject = self.path
        if self.value is not Problem.NO_VALUE and self.value is not None:
            subject = f"{subject} = {_short(self.value)}" if subject else _short(self.value)
        body = f"{subject}: {self.message}" if subject else self.message
        body = plain_text(body)
        return f"{head}: {body}" if head else body


def plain_text(text: str) -> str:
    """`text` with numpy scalars written as their plain values (``np.str_('a')`` -> ``'a'``).

    Messages are built from values that are often numpy scalars (a site label, a bound); numpy
    2 writes their type into ``repr``, which means nothing to a reader of the message.

    Examples
    --------
    >>> plain_text("expected one of [np.str_('fr'), np.str_('portfolio')], got np.float64(0.5)")
    "expected one of ['fr', 'portfolio'], got 0.5"
    """
    return _NUMPY_SCALAR_REPR.sub(r"\1", text)


def _short(value: object, limit: int = 60) -> str:
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()  # a numpy scalar as its Python value
    text = repr(value) if isinstance(value, str) else plain_text(str(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputWarning(UserWarning):
    """An admissible input that is probably not what was meant (e.g. a unit slip)."""


class InputError(ValueError):
    """Bad input: the message names the file, the field, the value and what was expected.

    Parameters
    ----------
    problems : list of Problem or str
        What is wrong; a plain string is one problem without a field path.
    file : str or Path, optional
        The input file the problems were found in.
    """

    def __init__(self, problems: list[Problem] | Problem | str, file: str | Path | None = None):
        if isinstance(problems, str):
            problems = [Problem("", problems, Problem.NO_VALUE)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.file: str | None = str(file) if file is not None else None
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [problem.render(self.file) for problem in self.problems[:10]]
        if len(self.problems) > 10:
            lines.append(f"... and {len(self.problems) - 10} more problems")
        return "\n".join(lines)

    @property
    def paths(self) -> list[str]:
        """Field paths of every problem (handy in tests)."""
        return [problem.path for problem in self.problems]
