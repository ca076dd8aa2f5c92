"""Fuzzing the case loader: any mutation of a valid case gives a valid case or an InputError.

Random edits of the toy case at two levels: the parsed data (delete a key, replace a value by
junk of another type or an extreme number, duplicate or drop list entries, rename keys) and the
raw text (insert, delete or replace characters). Nothing else may escape: no TypeError,
KeyError, ZeroDivisionError, RecursionError or a silently accepted NaN.
"""

from __future__ import annotations

import copy
import math
import os
import warnings

import hypothesis.strategies as st
import yaml
from hypothesis import HealthCheck, given, settings

import tecmodel
from tecmodel.errors import InputWarning
from tecmodel.inputs.case import case_from_data, load_case

from .conftest import TOY_FILE

TOY_TEXT = TOY_FILE.read_text()
TOY_DATA = yaml.safe_load(TOY_TEXT)
FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("TECMODEL_FUZZ_EXAMPLES", 300)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.sampled_from([10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["=1+1", "@SUM(A1)", "../../etc/passwd", "EUR/kWh", "%", "MEUR", "", " ", "1e309"]
    ),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def paths(node, prefix=()):
    """Every key path of a nested structure of dicts and lists."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, prefix + (index,))


ALL_PATHS = [path for path in paths(TOY_DATA) if path]


def parent_of(data, path):
    node = data
    for part in path[:-1]:
        node = node[part]
    return node


@st.composite
def mutated_cases(draw):
    data = copy.deepcopy(TOY_DATA)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        try:
            parent = parent_of(data, path)
            key = path[-1]
            parent[key]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this branch
        action = draw(st.sampled_from(["delete", "junk", "scale", "rename", "duplicate"]))
        if action == "delete":
            del parent[key]
        elif action == "junk":
            parent[key] = draw(junk)
        elif action == "scale":
            value = parent[key]
            # an integer beyond float range (drawn as junk) cannot be scaled by a float
            if (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and abs(value) < 1e300
            ):
                parent[key] = value * draw(
                    st.sampled_from([-1, 0, 1e-9, 1e9, math.inf, -math.inf, math.nan])
                )
        elif action == "rename" and isinstance(parent, dict):
            parent[str(key) + draw(st.sampled_from(["_", "x", "s"]))] = parent.pop(key)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return data


def check_case(case) -> None:
    """A case that loads must be evaluable with finite cash flows."""
    result = tecmodel.evaluate(case)
    flows = result.free_cash_flow.values
    assert flows.size and all(math.isfinite(value) for value in flows.ravel())


@given(data=mutated_cases())
@FUZZ_SETTINGS
def test_mutated_data_is_valid_or_an_input_error(data):
    try:
        case = case_from_data(data, file="fuzzed.yaml")
    except tecmodel.InputError as error:
        message = str(error)
        assert message.startswith("fuzzed.yaml"), message
        assert error.problems, message
        return
    check_case(case)


text_edits = st.lists(
    st.tuples(
        st.integers(0, len(TOY_TEXT) - 1),
        st.sampled_from(["insert", "delete", "replace"]),
        st.sampled_from(list(":{}[],-#'\"\n\t 0123456789.%&*!|>@`") + ["\x00", "é", "\ufeff"]),
    ),
    min_size=1,
    max_size=4,
)


@given(edits=text_edits)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_text_is_valid_or_an_input_error(tmp_path_factory, edits):
    text = TOY_TEXT
    for position, action, character in edits:
        position = min(position, len(text) - 1)
        if action == "insert":
            text = text[:position] + character + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + character + text[position + 1 :]
    path = tmp_path_factory.mktemp("fuzz") / "case.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        with warnings.catch_warnings():  # a mutated number may be a plausible unit slip: a warning
            warnings.simplefilter("ignore", InputWarning)
            case = load_case(path)
    except tecmodel.InputError as error:
        assert str(error).startswith(str(path)), str(error)
        return
    check_case(case)
