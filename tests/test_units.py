"""Unit conversion: the pint-free fast path agrees with pint, and bad units are refused."""

from __future__ import annotations

import pytest

from tecmodel.inputs.units import UnitMismatch, _pint_factor, conversion_factor


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("GEUR", "EUR"),
        ("MEUR/MW", "EUR/MW"),
        ("kUSD/accelerator", "USD/accelerator"),
        ("kEUR/FTE/yr", "EUR/FTE/yr"),
        ("%", "1"),
        ("%/yr", "1/yr"),
        ("month", "yr"),
        ("day", "yr"),
    ],
)
def test_fast_path_matches_pint(unit, expected):
    """The fast table (no pint import) must give pint's own factor exactly."""
    assert conversion_factor(unit, expected) == _pint_factor(unit, expected)


def test_pint_path_converts_other_spellings():
    """EUR/kWh -> EUR/MWh is 1000 (1 MWh = 1000 kWh); GW -> MW is 1000."""
    assert conversion_factor("EUR/kWh", "EUR/MWh") == pytest.approx(1000.0, rel=1e-15)
    assert conversion_factor("GW", "MW") == pytest.approx(1000.0, rel=1e-15)


@pytest.mark.parametrize(
    ("unit", "expected"), [("MUSD", "EUR"), ("MEUR/kW", "EUR/MW"), ("kg", "MW")]
)
def test_incompatible_units_are_refused(unit, expected):
    """Currencies never convert into each other; a prefixed currency over another denominator
    goes to pint, which refuses different dimensions."""
    if unit == "MEUR/kW":
        assert conversion_factor(unit, expected) == pytest.approx(1e9, rel=1e-15)
        return
    with pytest.raises(UnitMismatch):
        conversion_factor(unit, expected)
