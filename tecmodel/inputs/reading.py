"""Reading YAML case files: safe parsing, duplicate keys refused, and the line of every key.

This module owns the step from bytes on disk to plain Python data. Only the safe constructors
run (no object construction from tags), a key given twice in one mapping is an error rather than
a silent overwrite, and every failure (a missing, unreadable or non-UTF-8 file, invalid YAML)
becomes an :class:`~tecmodel.errors.InputError` naming the file and, when known, the line. The
line index maps each key path of the document to its line, so later checks can point at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tecmodel.errors import InputError, Problem

#: libyaml's parser when PyYAML was built with it (about ten times faster), else the pure-Python
#: one. Either way only the safe constructors run: no object construction from tags.
_SafeLoaderBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoaderBase):
    """Safe loader (no object construction) that refuses duplicate keys."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"unhashable key {key!r}", key_node.start_mark
            ) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_index(text: str) -> dict[tuple, int]:
    """Map every key path of the YAML document to its 1-based line."""
    lines: dict[tuple, int] = {}
    try:
        root = yaml.compose(text, Loader=_SafeLoaderBase)
    except yaml.YAMLError:
        return lines

    def walk(node, path: tuple):
        if node is None:
            return
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                lines[path + (key,)] = key_node.start_mark.line + 1
                walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, path + (index,))

    walk(root, ())
    return lines


class LazyLineIndex(Mapping):
    """The line index of a YAML text, built on first use (only when a problem is reported).

    Parameters
    ----------
    text : str
        The YAML document. Keys are key paths such as ``("sites", 0, "power", "market_price")``;
        values are 1-based lines.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[tuple, int] | None = None

    def _index(self) -> dict[tuple, int]:
        if self._lines is None:
            self._lines = _line_index(self._text)
        return self._lines

    def __getitem__(self, key: tuple) -> int:
        return self._index()[key]

    def __iter__(self):
        return iter(self._index())

    def __len__(self) -> int:
        return len(self._index())


def read_yaml(path: str | Path) -> tuple[Any, str]:
    """Read a YAML file safely; return the data and its text.

    Raises
    ------
    InputError
        If the file is missing, unreadable, not UTF-8, empty or not valid YAML (with its line).
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            "file not found (expected a case file, e.g. inputs/base_10b.yaml)", path
        ) from None
    except IsADirectoryError:
        raise InputError("is a directory (expected a YAML case file)", path) from None
    except OSError as error:
        raise InputError(f"cannot be read ({error.strerror})", path) from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"is not UTF-8 text (byte {error.start}); expected a YAML case file", path
        ) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        what = error.problem or error.context or "invalid YAML"
        raise InputError(
            Problem("", f"invalid YAML: {what}", Problem.NO_VALUE, line), path
        ) from None
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {error}", path) from None
    if data is None:
        raise InputError(
            "is empty (expected a case: name, title, model, finance, tax, fx, sites)", path
        )
    return data, text


__all__ = ["LazyLineIndex", "read_yaml"]
