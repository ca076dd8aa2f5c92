"""Vectorised internal rate of return (IRR) of many cash-flow series, with a status per series.

:func:`irr` reports a rate only where it is the one root in the admissible range; every other
series gets an :class:`IrrStatus` and NaN.  :mod:`tecmodel.numerics.irr.solver` describes the
conventions and the method.
"""

from .grid import rate_grid
from .solver import IrrResult, irr
from .status import IRR_STATUS, IRR_STATUS_ATTRS, IrrStatus

__all__ = ["IRR_STATUS", "IRR_STATUS_ATTRS", "IrrResult", "IrrStatus", "irr", "rate_grid"]
