"""Shared fixtures: the bundled cases, the hand-calculable toy case and their evaluations."""

from __future__ import annotations

from pathlib import Path

import pytest

import tecmodel

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "inputs"
DATA = Path(__file__).resolve().parent / "data"
BASE_FILE = INPUTS / "base_10b.yaml"
DOUBLED_FILE = INPUTS / "doubled_20b.yaml"
TOY_FILE = DATA / "toy.yaml"


@pytest.fixture(scope="session")
def base_case():
    return tecmodel.load_case(BASE_FILE)


@pytest.fixture(scope="session")
def doubled_case():
    return tecmodel.load_case(DOUBLED_FILE)


@pytest.fixture(scope="session")
def toy_case():
    return tecmodel.load_case(TOY_FILE)


@pytest.fixture(scope="session")
def base_result(base_case):
    return tecmodel.evaluate(base_case)


@pytest.fixture(scope="session")
def doubled_result(doubled_case):
    return tecmodel.evaluate(doubled_case)


@pytest.fixture(scope="session")
def toy_result(toy_case):
    return tecmodel.evaluate(toy_case)
