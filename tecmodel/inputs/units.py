"""Unit conversion of case-file values into the registry's units.

The bundled cases state every value in its registry unit, in percent, in months or days, or in
a metric-prefixed currency (``MEUR/MW``, ``GEUR``), which the fast path below converts without
loading anything.
Any other spelling (``EUR/kWh`` for ``EUR/MWh``,
``kUSD/GPU`` for ``USD/accelerator``, ``GW`` for ``MW`` ...) is converted by pint, loaded only
when first needed (building its registry takes about a second). Currencies are separate
dimensions: EUR and USD never convert into each other (exchange rates are model inputs).
"""

from __future__ import annotations

from functools import cache

# (unit in the file, registry unit) -> factor; exact spellings that need no pint.
_FAST_FACTORS: dict[tuple[str, str], float] = {
    ("%", "1"): 0.01,
    ("percent", "1"): 0.01,
    ("%/yr", "1/yr"): 0.01,
    # A rate quoted in percent is per year by convention (a 9 % discount rate).
    ("%", "1/yr"): 0.01,
    ("% per year", "1/yr"): 0.01,
    # Durations the bundled cases state in months or days (delays, lags), as pint converts
    # them: a year of 365.25 days, a month of a twelfth of it (tested against pint).
    ("month", "yr"): 1.0 / 12.0,
    ("day", "yr"): 1.0 / 365.25,
}

# Unit names pint does not know; GPU-hour contains a hyphen that pint would read as a minus.
_PINT_DEFINITIONS = (
    "EUR = [currency_eur] = euro",
    "USD = [currency_usd] = dollar_us",
    "accelerator = [accelerator] = GPU = gpu = chip",
    "FTE = [staff]",
    "GPU_hour = accelerator * hour",
)
_CALENDAR = "calendar year"


class UnitMismatch(ValueError):
    """The stated unit is not convertible to the expected one."""


def conversion_factor(unit: str, expected: str) -> float:
    """Factor that converts a value stated in `unit` into `expected`.

    Parameters
    ----------
    unit : str
        Unit as written in the case file.
    expected : str
        The registry unit of the field.

    Returns
    -------
    float
        Multiply the stated value by this to get the value in `expected`.

    Raises
    ------
    UnitMismatch
        When the units are not convertible (different dimensions, or unknown to pint).
    """
    unit = unit.strip()
    if unit == expected:
        return 1.0
    if (unit, expected) in _FAST_FACTORS:
        return _FAST_FACTORS[(unit, expected)]
    prefixed = _prefixed_currency_factor(unit, expected)
    if prefixed is not None:
        return prefixed
    if expected == _CALENDAR or unit == _CALENDAR:
        if {unit, expected} <= {_CALENDAR, "year"}:
            return 1.0
        raise UnitMismatch(f"expected unit {expected!r}, got {unit!r}")
    return _pint_factor(unit, expected)


_CURRENCY_PREFIXES = {"k": 1e3, "M": 1e6, "G": 1e9}


def _prefixed_currency_factor(unit: str, expected: str) -> float | None:
    """Factor for a metric-prefixed currency over the same denominator, without pint.

    ``MEUR/MW`` -> ``EUR/MW`` is 1e6, ``kUSD/accelerator`` -> ``USD/accelerator`` is 1e3.
    Returns None when the spelling is anything else (pint then decides).
    """
    numerator, slash, denominator = unit.partition("/")
    expected_numerator, expected_slash, expected_denominator = expected.partition("/")
    if (slash, denominator) != (expected_slash, expected_denominator):
        return None
    prefix, currency = numerator[:1], numerator[1:]
    if (
        currency in ("EUR", "USD")
        and currency == expected_numerator
        and prefix in _CURRENCY_PREFIXES
    ):
        return _CURRENCY_PREFIXES[prefix]
    return None


@cache
def _registry():
    import pint

    registry = pint.UnitRegistry(cache_folder=None)
    for definition in _PINT_DEFINITIONS:
        registry.define(definition)
    return registry


def _pint_spelling(unit: str) -> str:
    return unit.replace("GPU-hour", "GPU_hour").replace("GPU-h", "GPU_hour")


@cache
def _pint_factor(unit: str, expected: str) -> float:
    import pint

    registry = _registry()
    try:
        return float(
            registry.Quantity(1.0, _pint_spelling(unit)).to(_pint_spelling(expected)).magnitude
        )
    except pint.DimensionalityError:
        raise UnitMismatch(f"expected a unit convertible to {expected!r}, got {unit!r}") from None
    except Exception as error:  # noqa: BLE001 - any parse failure of a user string is a bad unit
        raise UnitMismatch(f"unknown unit {unit!r} ({error}); expected {expected!r}") from None
