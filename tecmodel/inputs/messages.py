"""Messages about a case file: field paths, their lines, and pydantic's errors as Problems.

This module owns how a problem found in a case file is worded and located. A field is named by
its path (``sites[1].power.market_price``, :func:`format_path`) and pointed at by the line of the
closest key that the line index knows (:func:`line_for`). pydantic's validation errors are
translated into :class:`~tecmodel.errors.Problem` lines a reader of the case file understands:
an unknown key with the closest valid name and the valid keys, a missing field with what it
needs, a type error in plain words (:func:`pydantic_problems`).
"""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from tecmodel.errors import Problem
from tecmodel.inputs.schema import CaseSpec, Quantity


def format_path(loc: tuple) -> str:
    """``('sites', 1, 'power', 'market_price')`` -> ``sites[1].power.market_price``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def path_tuple(path: str) -> tuple:
    """``sites[1].power.market_price`` -> ``('sites', 1, 'power', 'market_price')``.

    The inverse of :func:`format_path`.
    """
    parts: list[Any] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    return tuple(parts)


def line_for(loc: tuple, lines: Mapping[tuple, int]) -> int | None:
    """The 1-based line of `loc`, or of its closest ancestor the line index knows (else None)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _unwrap(annotation: Any) -> list[Any]:
    """Candidate model classes inside Optional / list / Annotated annotations."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list):
        found = []
        for argument in typing.get_args(annotation):
            found.extend(_unwrap(argument))
        return found
    return [annotation]


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: Any = CaseSpec
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        candidates = [
            c for c in _unwrap(info.annotation) if isinstance(c, type) and issubclass(c, BaseModel)
        ]
        model = candidates[0] if candidates else None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _expected_keys(loc: tuple) -> list[str]:
    model = _model_at(loc)
    return list(model.model_fields) if model is not None else []


_TYPE_MESSAGES = {
    "float_type": "expected a number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "finite_number": "expected a finite number (not NaN or infinity)",
    "string_type": "expected text",
    "string_too_short": "expected non-empty text",
    "dict_type": "expected a mapping (key: value pairs)",
    "model_type": "expected a mapping (key: value pairs)",
    "model_attributes_type": "expected a mapping (key: value pairs)",
    "list_type": "expected a list",
    "too_short": "expected at least one entry",
}


def pydantic_problems(error: ValidationError, lines: Mapping[tuple, int]) -> list[Problem]:
    """The Problems of a case file that failed :class:`~tecmodel.inputs.schema.CaseSpec`.

    Parameters
    ----------
    error : pydantic.ValidationError
        From validating the case data against ``CaseSpec``.
    lines : mapping of tuple to int
        Line index of the case file (key path -> 1-based line); empty when there is no file.

    Returns
    -------
    list of Problem
        One per distinct (path, message), in pydantic's order.
    """
    problems: list[Problem] = []
    details = error.errors(include_url=False)
    # Union members add their own tag to loc (e.g. 'float' / 'int'): strip them.
    for detail in details:
        detail["loc"] = tuple(
            part for part in detail["loc"] if part not in {"float", "int", "str", "list", "none"}
        )
    not_numbers = {
        detail["loc"] for detail in details if detail["type"] in {"float_type", "finite_number"}
    }
    for detail in details:
        loc = tuple(detail["loc"])
        kind = detail["type"]
        value = detail.get("input", Problem.NO_VALUE)
        if kind in {"int_type", "int_from_float"} and loc in not_numbers:
            continue  # a number (float or whole) was expected: one message, not one per member
        if kind == "extra_forbidden":
            parent, key = loc[:-1], loc[-1]
            valid = _expected_keys(parent)
            close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            listing = ", ".join(valid)
            problems.append(
                Problem(
                    format_path(loc),
                    f"unknown key{hint} (valid keys here: {listing})",
                    Problem.NO_VALUE,
                    line_for(loc, lines),
                )
            )
            continue
        if kind == "missing":
            what = (
                "a mapping {value, unit, source}"
                if loc[-1:] in (("it_mw",), ("capacity",))
                else None
            )
            message = "is missing (required" + (f": expected {what})" if what else ")")
            problems.append(
                Problem(format_path(loc), message, Problem.NO_VALUE, line_for(loc, lines))
            )
            continue
        message = _TYPE_MESSAGES.get(kind, detail["msg"])
        if kind == "value_error":  # raised by a validator of ours: its own message
            message = str(detail["ctx"]["error"])
        if kind == "float_type" and isinstance(value, str) and _reads_as_number(value):
            message += (
                f" (YAML reads {value!r} as text: write it with a decimal point, e.g. 1.0e+3)"
            )
        if (
            kind in {"model_type", "model_attributes_type", "dict_type"}
            and _model_at(loc) is Quantity
        ):
            message = "expected a mapping {value: <number>, unit: <unit>, source: <text>}"
        problems.append(
            Problem(format_path(loc), message, _displayable(value), line_for(loc, lines))
        )
    return _deduplicate(problems)


def _reads_as_number(text: str) -> bool:
    """Whether Python reads `text` as a number (YAML 1.1 reads ``1e3`` as text: no decimal)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _displayable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return Problem.NO_VALUE if len(repr(value)) > 60 else value
    return value


def _deduplicate(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


__all__ = ["format_path", "path_tuple", "line_for", "pydantic_problems"]
